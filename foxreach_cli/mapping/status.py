"""Status and opt-out columns: which column fills the lead's status (by its values), and which
columns are read for opt-outs on every row (flags, dates, status-like columns not used)."""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from collections.abc import Sequence

from foxreach_cli.cell_rules import NULL_CELLS
from foxreach_cli.optouts import NO, STATUS_OF, YES

from .claims import Claim, Claims, Level
from .evidence import OptOutRead, Source, StatusValues, opt_out_note, status_note
from .headers import opt_out_header, status_like
from .result import OptOutColumn
from .targets import STATUS, Target
from .values import Fit, fit_of
from .words import compare_form

Samples = AbcMapping[str, Sequence[str]]
Notes = tuple[tuple[str, ...], tuple[str, ...]]


def look_at_statuses(values: Sequence[str]) -> StatusValues:
    """What a status-like column's sampled values say."""
    meaning = STATUS_OF
    seen = fit = 0
    example = ""
    kinds: set[str] = set()
    translated: dict[str, str] = {}
    for value in values:
        text = value.strip()
        if not text or text in NULL_CELLS:
            continue
        seen += 1
        form = compare_form(text)
        status = meaning.get(form)
        if status is None:
            example = example or text
            continue
        fit += 1
        kinds.add(status)
        if form != status:
            translated[form] = status
    pairs = tuple(f"{k} -> {v}" for k, v in sorted(translated.items()))
    return StatusValues(Fit(fit, seen, example), pairs, frozenset(kinds))


def used(look: StatusValues) -> bool:
    """The rule (docs/mapping.md): more than half of the values looked at are lead statuses,
    and not all ``active`` (a word many tools use for states of their own, such as Stripe's
    subscriptions). A status-like column not used is still read for opt-outs on every row."""
    return look.fit.most and bool(look.kinds - {"active"})


def _opt_outs(look: StatusValues) -> bool:
    return bool(look.kinds & {"unsubscribed", "bounced"})


def decide_status(claims: Claims, samples: Samples) -> dict[int, StatusValues]:
    """Decide, from its values, whether each status-like column fills the lead's status.

    Candidates: the column headed ``Status``, unrecognised columns whose header names a
    status (``Subscriber Status``, ``state``) or whose values are lead statuses. Explicit
    entries are not second-guessed. Returns every status-like column (used or not) with
    what its values say: those not used are read for opt-outs row by row.
    """
    looks: dict[int, StatusValues] = {}
    for index, claim in claims.items():
        look = look_at_statuses(samples.get(claim.column, ()))
        named = claim.target == STATUS and claim.level == Level.HEADER
        unrecognised = claim.source is Source.UNRECOGNISED
        like = status_like(claim.header)
        if not (named or like or _opt_outs(look) or (unrecognised and used(look))):
            continue
        if opt_out_header(claim.header) is not None and claim.target != STATUS:
            continue  # a flag or date column: read as such (opt_out_columns)
        looks[index] = look
        _settle_status(claim, look, named=named, unrecognised=unrecognised, like=like)
    return looks


def _settle_status(
    claim: Claim, look: StatusValues, *, named: bool, unrecognised: bool, like: bool
) -> None:
    if claim.level in (Level.MAP_OPTION, Level.MAPPING_FILE):
        if claim.target == STATUS and look.fit.seen:
            claim.add(look)
        return
    if named and (used(look) or not look.fit.seen):
        if look.fit.seen:
            claim.add(look)
    elif (named or unrecognised) and used(look):
        source = Source.STATUS_BY_HEADER if like else Source.STATUS_BY_VALUES
        claim.recast(STATUS, source, Level.HEADER, look, rank=1 if like else 2)
    elif named:
        not_statuses = StatusValues(look.fit, look.translated, look.kinds, key=claim.key)
        claim.recast(Target("custom", claim.key), Source.NOT_STATUSES, Level.UNMAPPED, not_statuses)


def opt_out_columns(
    claims: Claims, samples: Samples, statuses: dict[int, StatusValues]
) -> tuple[tuple[OptOutColumn, ...], Notes]:
    """The columns read for opt-outs on every row, and a sentence on each status-like or
    opt-out column (notes), of which those on status-like columns not used (warnings)."""
    columns: list[OptOutColumn] = []
    notes: list[str] = []
    warnings: list[str] = []
    for index in sorted(claims):
        claim = claims[index]
        look = statuses.get(index)
        if claim.target == STATUS:
            if look is not None and look.fit.seen:
                notes.append(status_note(claim.header, look.fit))
            continue
        named = opt_out_header(claim.header)
        if named is not None:
            means, kind = named
            fit = fit_of(samples.get(claim.column, ()), _yes_or_no)
            if kind == "flag" and fit.few:
                kind = "when"  # not a yes/no column (an address, a note): any value is a yes
            read = OptOutRead(kind, means, fit)
        elif look is not None:
            read = OptOutRead("status", None)
        else:
            continue
        claim.add(read)
        columns.append(OptOutColumn(claim.header, claim.column, read.kind, read.means, claim.how))
        notes.append(opt_out_note(claim.header, read, not_status=look))
        if read.kind == "status":
            warnings.append(notes[-1])
    return tuple(columns), (tuple(notes), tuple(warnings))


def _yes_or_no(value: str) -> bool:
    form = compare_form(value)
    return form in YES or form in NO
