"""The HYGIENE stage: every rule applied to one chunk of a run's unique valid rows at a time.

    hygiene = load_rules(cfg.hygiene, state_dir=..., stack=..., note=...)   # once per run
    split = hygiene.split(file, unique, verdicts=[(column, values), ...])   # per chunk
        split.kept        the rows to send
        split.excluded    DetailPart of the rows a rule left out (kind ``excluded``)
        split.flagged     DetailPart of the role and disposable addresses kept, or None
    hygiene.summary(verdict_columns)   HygieneSummary for the report

Like dedup (:meth:`Deduper.split`) it runs after validation and returns a frozen result; it
runs on every run, since role and disposable addresses are always counted and named. Under
:meth:`Hygiene.split`, :meth:`Hygiene.check` finds per address (as read or as validated)::

    result = hygiene.check(emails, verdicts=[(column, values), ...])
        result.exclusions[i]   None, or the Rejection (reason code + params) of row i
        result.role[i]         the role local part of row i, or ""
        result.disposable[i]   the listed disposable domain of row i, or ""
        result.unchecked[i]    True when row i's domain could not be checked
    hygiene.counts             HygieneCounts: excluded per code, role/disposable seen, ...

One reason per row, the first that applies: a suppression list, the source's verdict, the
domain check, then (when asked) disposable and role. Role and disposable addresses are always
flagged and counted; they are left out only with ``skip_role`` / ``skip_disposable``. DNS is
asked only for the domains of rows no earlier rule left out, each domain once per run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..details import DISPOSABLE, ROLE, DetailPart
from ..object_arrays import is_none
from ..reasons import ReasonCode, Rejection
from ..report import HygieneSummary
from ..stage_data import EXCLUDED
from .addresses import LowerLines, domains_of, split_addresses
from .roles import disposable_domains, role_locals
from .suppression import Suppression, load_default_list, load_list
from .verdicts import EXCLUDED_CLASSES, VerdictClass, VerdictColumn

if TYPE_CHECKING:
    import pandas as pd

    # dnspython is loaded only by runs that check domains (see load_rules).
    from ..import_config import HygieneOptions
    from .domains import DomainChecker, DomainResult

#: One verdict column of a file with its values for the rows of a chunk.
Verdicts = Iterable[tuple[VerdictColumn, Sequence[object] | np.ndarray]]


@dataclass(frozen=True)
class HygieneRules:
    """What the user asked of the rules that are off or on by default (the run's settings,
    ``import_config.HygieneOptions``, hand these over as its ``rules``)."""

    skip_role: bool = False  # leave role addresses out (default: count and name them)
    skip_disposable: bool = False  # leave disposable-domain addresses out
    ignore_verdicts: bool = False  # import rows whose source verdict says invalid/do-not-mail


@dataclass(frozen=True)
class HygieneCounts:
    """What the rules saw and did, so far in the run."""

    excluded: dict[str, int]  # rows left out, per reason code
    role_seen: int  # role addresses among the rows checked
    disposable_seen: int  # disposable-domain addresses among the rows checked
    verdicts_seen: dict[tuple[str, str], int]  # (column, value as written) -> rows, that decide
    domains_checked: int  # distinct domains DNS answered (or the cache knew)
    domains_unchecked: int  # distinct domains DNS could not answer (timeout, SERVFAIL...)
    rows_unchecked: int  # rows whose domain could not be checked (they are imported)


@dataclass(frozen=True)
class HygieneSplit:
    """The stage's result for one chunk: the rows to send, and the details of the others."""

    kept: pd.DataFrame  # the unique valid rows no rule left out, in input order
    excluded: DetailPart  # the rows left out, each with its reason (kind ``excluded``)
    flagged: DetailPart | None  # the role and disposable addresses kept, named


@dataclass(frozen=True)
class ChunkHygiene:
    """The rules' findings for one chunk, row by row (see the module docstring)."""

    exclusions: list[Rejection | None]
    role: np.ndarray
    disposable: np.ndarray
    unchecked: np.ndarray
    excluded: np.ndarray  # bool: the rows left out (those whose exclusion is not None)


@dataclass
class _Tally:
    excluded: Counter[str] = field(default_factory=Counter)
    role_seen: int = 0
    disposable_seen: int = 0
    verdicts_seen: Counter[tuple[str, str]] = field(default_factory=Counter)
    rows_unchecked: int = 0


class Hygiene:
    """The rules of one run; :meth:`check` is called once per chunk, in any order."""

    def __init__(
        self,
        *,
        suppression: Suppression | None = None,
        domains: DomainChecker | None = None,
        options: HygieneRules | None = None,
    ) -> None:
        self.suppression = suppression
        self.domains = domains
        self.options = options or HygieneRules()
        self._tally = _Tally()
        self._known: dict[str, DomainResult] = {}  # every domain asked this run

    def split(self, file: str, unique: pd.DataFrame, *, verdicts: Verdicts = ()) -> HygieneSplit:
        """Apply the rules to a chunk's unique valid rows (columns ``row``, ``email``): the
        rows to send, the rows left out with their reasons, the role and disposable addresses
        kept. ``verdicts``: the file's verdict columns with their values for these rows.

        After dedup on purpose: an excluded address still counts as seen, so a second copy of
        it is a duplicate of the first (not imported either) and each row has one reason."""
        emails = unique["email"].to_numpy(dtype=object)
        rows = unique["row"].to_numpy()
        found = self.check(emails, verdicts=verdicts)
        out = found.excluded
        hit = np.flatnonzero(out)
        why = _picked(found.exclusions, hit)
        excluded = DetailPart.of_reasons(
            file, rows[hit], emails[hit].tolist(), [EXCLUDED] * len(hit), why
        )
        kept = unique[~out] if len(hit) else unique
        return HygieneSplit(kept, excluded, _flagged(file, rows, emails, found, ~out))

    def summary(self, verdict_columns: Sequence[str]) -> HygieneSummary:
        """What the rules saw, for the report (``verdict_columns``: "file: header (service)"
        of every file's verdict columns)."""
        counts = self.counts
        lists = self.suppression.lists if self.suppression is not None else ()
        return HygieneSummary(
            lists=tuple((lst.path, lst.entries) for lst in lists),
            check_domains=self.domains is not None,
            verdict_columns=tuple(verdict_columns),
            role_seen=counts.role_seen,
            disposable_seen=counts.disposable_seen,
            verdicts_seen=tuple((c, v, n) for (c, v), n in sorted(counts.verdicts_seen.items())),
            domains_checked=counts.domains_checked,
            domains_unchecked=counts.domains_unchecked,
            rows_unchecked=counts.rows_unchecked,
        )

    def check(
        self,
        emails: Sequence[object] | np.ndarray,
        *,
        verdicts: Verdicts = (),
    ) -> ChunkHygiene:
        """Apply every rule to a chunk's emails (as read or as validated; anything that is
        not an address is left alone) and, per verdict column of the file, its values."""
        n = len(emails)
        values = np.asarray(emails, dtype=object)  # no copy for the pipeline's arrays
        lines = None
        if self.suppression is None and self.domains is None:
            # Only role and disposable addresses are looked for (every run does): the local
            # part's base and the domain of each address, cut in C over one joined text that
            # both cuts share.
            lines = LowerLines(values) if n else None
            addresses, domains = values, domains_of(values, lines)
        else:
            addresses, domains = split_addresses(values)
        out: list[Rejection | None] = (
            self.suppression.match(addresses, domains) if self.suppression else [None] * n
        )
        said_disposable = self._apply_verdicts(out, verdicts, n)
        unchecked = np.zeros(n, dtype=bool)
        if self.domains is not None:
            self._apply_domains(out, domains, unchecked)
        role = role_locals(addresses, lines)
        disposable = disposable_domains(domains)
        # A verdict of "disposable" (NeverBounce, Hunter...) counts as a disposable address.
        if said_disposable.any():
            for i in np.flatnonzero(said_disposable & (disposable == "")):
                disposable[i] = domains[i] or "?"
        is_role, is_disposable = role != "", disposable != ""
        opts = self.options
        for i in np.flatnonzero(is_disposable if opts.skip_disposable else []):
            if out[i] is None:
                out[i] = ReasonCode.DISPOSABLE_DOMAIN.of(domain=disposable[i])
        for i in np.flatnonzero(is_role if opts.skip_role else []):
            if out[i] is None:
                out[i] = ReasonCode.ROLE_ADDRESS.of(local=role[i])
        tally = self._tally
        tally.role_seen += int(is_role.sum())
        tally.disposable_seen += int(is_disposable.sum())
        tally.rows_unchecked += int(unchecked.sum())
        # Read once, in C: most chunks have no row left out, and a Python step per row was
        # a large part of the stage.
        if out.count(None) == n:
            excluded = np.zeros(n, dtype=bool)
        else:
            given = np.empty(n, dtype=object)
            given[:] = out
            excluded = ~is_none(given)
        tally.excluded.update(e.code for e in _picked(out, np.flatnonzero(excluded)))
        return ChunkHygiene(out, role, disposable, unchecked, excluded)

    def _apply_verdicts(
        self,
        out: list[Rejection | None],
        verdicts: Verdicts,
        n: int,
    ) -> np.ndarray:
        said_disposable = np.zeros(n, dtype=bool)
        for column, values in verdicts:
            if not column.decides:
                continue
            classes = column.classes(values)
            for i in range(n):
                verdict = classes[i]
                if verdict is None or verdict is VerdictClass.DETAIL:
                    continue
                if verdict is VerdictClass.DISPOSABLE:
                    said_disposable[i] = True
                if verdict in EXCLUDED_CLASSES:
                    self._tally.verdicts_seen[(column.header, str(values[i]))] += 1
                    if out[i] is None and not self.options.ignore_verdicts:
                        out[i] = ReasonCode.SOURCE_VERDICT.of(
                            column=column.header, value=values[i], service=column.service
                        )
        return said_disposable

    def _apply_domains(
        self, out: list[Rejection | None], domains: np.ndarray, unchecked: np.ndarray
    ) -> None:
        from .domains import DomainStatus

        assert self.domains is not None
        wanted = {d for d, e in zip(domains, out) if d and e is None}
        new = [d for d in wanted if d not in self._known]
        if new:
            self._known.update(self.domains.check(new))
        for i, (domain, done) in enumerate(zip(domains, out)):
            if not domain or done is not None:
                continue
            result = self._known.get(domain)
            if result is None:
                continue
            if result.status is DomainStatus.NOT_FOUND:
                out[i] = ReasonCode.DOMAIN_NOT_FOUND.of(domain=domain)
            elif result.status in (DomainStatus.NULL_MX, DomainStatus.NO_RECORDS):
                out[i] = ReasonCode.DOMAIN_NO_MAIL.of(domain=domain, why=result.status.value)
            elif result.status is DomainStatus.UNCHECKED:
                unchecked[i] = True

    @property
    def counts(self) -> HygieneCounts:
        """A snapshot of what the rules saw and did so far."""
        t = self._tally
        unchecked = 0
        if self._known:  # some domain was checked: dnspython is loaded already
            from .domains import DomainStatus

            unchecked = sum(r.status is DomainStatus.UNCHECKED for r in self._known.values())
        return HygieneCounts(
            excluded=dict(t.excluded),
            role_seen=t.role_seen,
            disposable_seen=t.disposable_seen,
            verdicts_seen=dict(t.verdicts_seen),
            domains_checked=len(self._known) - unchecked,
            domains_unchecked=unchecked,
            rows_unchecked=t.rows_unchecked,
        )


def _flagged(
    file: str, rows: np.ndarray, emails: np.ndarray, found: ChunkHygiene, kept: np.ndarray
) -> DetailPart | None:
    """The role and disposable addresses among the rows kept, named (imported all the same)."""
    role = np.flatnonzero((found.role != "") & kept)
    disposable = np.flatnonzero((found.disposable != "") & kept)
    if not len(role) and not len(disposable):
        return None
    flags = [(i, ROLE, ReasonCode.ROLE_ADDRESS, found.role[i]) for i in role]
    flags += [
        (i, DISPOSABLE, ReasonCode.DISPOSABLE_DOMAIN, found.disposable[i]) for i in disposable
    ]
    at = [f[0] for f in flags]
    return DetailPart.of(
        file,
        rows[at],
        emails[at].tolist(),
        [f[1] for f in flags],
        [f[2] for f in flags],
        [str(f[3]) for f in flags],
    )


def load_rules(
    options: HygieneOptions, *, state_dir: Path, stack: ExitStack, note: Callable[[str], None]
) -> Hygiene:
    """The run's rules. Role and disposable addresses are always counted and named (left out
    only with --skip-role / --skip-disposable); lists, domain checks and verdict columns apply
    when given. Lists are read here, before anything is sent; the default list that cannot be
    read stops the run (InputError, exit 2). ``note`` hears of list lines that were skipped;
    the domain cache (in ``state_dir``) is closed by ``stack``."""
    default = load_default_list()
    lists = [default] if default is not None else []
    lists += [load_list(path) for path in options.exclude]
    for lst in lists:
        skipped = lst.skipped_note()
        if skipped is not None:
            note(skipped)
    checker = None
    if options.check_domains:
        # Imported only now: dnspython costs a run that checks no domain.
        from .domains import DomainCache, DomainChecker

        cache = DomainCache(state_dir / "domains.sqlite", max_age=options.domain_cache_days * 86400)
        stack.callback(cache.close)
        checker = DomainChecker(resolver=options.resolver, cache=cache)
    return Hygiene(
        suppression=Suppression(lists) if lists else None, domains=checker, options=options.rules
    )


def _picked(exclusions: list[Rejection | None], idx: np.ndarray) -> list[Rejection]:
    """The exclusions at ``idx`` (rows left out, so none is None)."""
    return [e for i in idx.tolist() if (e := exclusions[i]) is not None]
