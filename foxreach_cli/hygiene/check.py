"""The hygiene stage: every rule applied to one chunk of addresses at a time.

    hygiene = Hygiene(suppression=..., domains=..., options=HygieneRules(...))
    result = hygiene.check(emails, verdicts=[(column, values), ...])   # per chunk
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..reasons import ReasonCode, Rejection
from .addresses import domains_of, split_addresses
from .domains import DomainChecker, DomainResult, DomainStatus
from .roles import disposable_domains, role_locals
from .suppression import Suppression
from .verdicts import EXCLUDED_CLASSES, VerdictClass, VerdictColumn


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
class ChunkHygiene:
    """The rules' findings for one chunk, row by row (see the module docstring)."""

    exclusions: list[Rejection | None]
    role: np.ndarray
    disposable: np.ndarray
    unchecked: np.ndarray

    @property
    def excluded(self) -> np.ndarray:
        """A boolean mask of the rows left out."""
        return np.fromiter((e is not None for e in self.exclusions), bool, len(self.exclusions))


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

    def check(
        self,
        emails: Sequence[object] | np.ndarray,
        *,
        verdicts: Iterable[tuple[VerdictColumn, Sequence[object] | np.ndarray]] = (),
    ) -> ChunkHygiene:
        """Apply every rule to a chunk's emails (as read or as validated; anything that is
        not an address is left alone) and, per verdict column of the file, its values."""
        n = len(emails)
        if self.suppression is None and self.domains is None:
            # Only role and disposable addresses are looked for (every run does): the local
            # part's base and the domain of each address, cut in C over one joined text.
            addresses, domains = emails, domains_of(emails)
        else:
            addresses, domains = split_addresses(emails)
        out: list[Rejection | None] = (
            self.suppression.match(addresses, domains) if self.suppression else [None] * n
        )
        said_disposable = self._apply_verdicts(out, verdicts, n)
        unchecked = np.zeros(n, dtype=bool)
        if self.domains is not None:
            self._apply_domains(out, domains, unchecked)
        role = role_locals(addresses)
        disposable = disposable_domains(domains)
        # A verdict of "disposable" (NeverBounce, Hunter...) counts as a disposable address.
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
        tally.excluded.update(e.code for e in out if e is not None)
        return ChunkHygiene(out, role, disposable, unchecked)

    def _apply_verdicts(
        self,
        out: list[Rejection | None],
        verdicts: Iterable[tuple[VerdictColumn, Sequence[object] | np.ndarray]],
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
        statuses = Counter(r.status for r in self._known.values())
        return HygieneCounts(
            excluded=dict(t.excluded),
            role_seen=t.role_seen,
            disposable_seen=t.disposable_seen,
            verdicts_seen=dict(t.verdicts_seen),
            domains_checked=sum(statuses.values()) - statuses[DomainStatus.UNCHECKED],
            domains_unchecked=statuses[DomainStatus.UNCHECKED],
            rows_unchecked=t.rows_unchecked,
        )
