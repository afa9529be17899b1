"""Status and opt-out columns: which column fills the lead's status (by its values), and which
columns are read for opt-outs on every row (flags, dates, status-like columns not used,
subscription and permission columns: docs/mapping.md, "Opt-outs" and "Consent columns")."""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from collections.abc import Sequence

from foxreach_cli.cell_rules import NULL_CELLS
from foxreach_cli.optouts import CONSENT_NO, CONSENT_YES, NO, STATUS_OF, YES
from foxreach_cli.text_fold import fold

from .claims import Claim, Claims, Level
from .evidence import (
    NotRead,
    OptOutRead,
    Source,
    StatusValues,
    not_read_note,
    opt_out_note,
    status_note,
)
from .headers import (
    bare_name_of,
    consent_header,
    field_of_header,
    names_full_name,
    opt_out_header,
    status_like,
)
from .result import OptOutColumn, OptOutStatus
from .targets import STATUS, Target
from .values import Fit, fit_of

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
        form = fold(text)
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
        if says_who(claim):
            continue  # a surname or a company "Bounce" is who the lead is, not a status
        if claim.target != STATUS and (
            opt_out_header(claim.header) is not None or consent_header(claim.header) is not None
        ):
            continue  # a flag, date or consent column: read as such (opt_out_columns)
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
    claims: Claims,
    samples: Samples,
    statuses: dict[int, StatusValues],
    *,
    consent_required: bool = False,
) -> tuple[tuple[OptOutColumn, ...], Notes]:
    """The columns read for opt-outs on every row, and a sentence on each status-like or
    opt-out column (notes), of which those on status-like columns not used (warnings).
    ``consent_required``: a no in a marketing-permission column unsubscribes."""
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
        read = _reading(claim, samples.get(claim.column, ()), look, consent_required)
        if read is None:
            continue
        if ignored_by_map(claim):
            claim.add(NotRead(claim.key, read))
            notes.append(not_read_note(claim.header, NotRead(claim.key, read)))
            continue
        claim.add(read)
        columns.append(OptOutColumn(claim.header, claim.column, read.kind, read.means, claim.how))
        notes.append(opt_out_note(claim.header, read, not_status=look))
        if read.kind == "status":
            warnings.append(notes[-1])
    return tuple(columns), (tuple(notes), tuple(warnings))


def ignored_by_map(claim: Claim) -> bool:
    """The user said ``--map 'Column=ignore'``: the column is read for nothing."""
    return claim.level == Level.MAP_OPTION and claim.target.kind == "ignore"


def _reading(
    claim: Claim, values: Sequence[str], look: StatusValues | None, consent_required: bool
) -> OptOutRead | None:
    """How one column is read for opt-outs, from its header and sampled values; None: not."""
    consent = consent_header(claim.header)
    named = opt_out_header(claim.header)
    if consent == "other_channel":
        return None
    if named is None and consent == "do_not_email":
        named = ("unsubscribed", "flag")
    if named is not None:
        means, kind = named
        fit = fit_of(values, _yes_or_no)
        if kind == "flag" and fit.few:
            kind = "when"  # not a yes/no column (an address, a note): any value is a yes
        return OptOutRead(kind, means, fit, consent=consent or "")
    if consent in ("subscription", "permission"):
        fit = fit_of(values, _consent_value)
        if fit.few:
            # Not a yes/no column (a plan name, a date): read for opt-out words only.
            return OptOutRead("status", None, fit, consent=consent)
        if consent == "subscription":
            return OptOutRead("subscription", "unsubscribed", fit, consent=consent)
        said_no = sum(1 for v in values if fold(v) in CONSENT_NO)
        on_no: OptOutStatus | None = "unsubscribed" if consent_required else None
        return OptOutRead("permission", on_no, fit, consent=consent, no=said_no)
    if look is not None:
        return OptOutRead("status", None)
    return None


def _yes_or_no(value: str) -> bool:
    form = fold(value)
    return form in YES or form in NO


def _consent_value(value: str) -> bool:
    form = fold(value)
    return form in CONSENT_YES or form in CONSENT_NO or form in STATUS_OF


#: Lead fields that say who the lead is: a cell of theirs is never read as an opt-out word
#: (a surname ``Bounce``, a company ``Bounce``, a job title ``Unsubscribe``).
IDENTITY_FIELDS = frozenset(
    {"email", "firstName", "lastName", "company", "title", "phone", "website", "linkedinUrl"}
)


def not_scanned(claims: Claims) -> tuple[str, ...]:
    """Frame keys of the columns never scanned for a cell that is an opt-out word: those of
    who the lead is (:func:`says_who`), another channel's consent, and those --map ignores."""
    return tuple(
        claims[i].column
        for i in sorted(claims)
        if says_who(claims[i])
        or consent_header(claims[i].header) == "other_channel"
        or ignored_by_map(claims[i])
    )


def says_who(claim: Claim) -> bool:
    """The column is mapped to or named as one of :data:`IDENTITY_FIELDS`, or a whole name."""
    if claim.target.kind == "field" and claim.target.name in IDENTITY_FIELDS:
        return True
    named = field_of_header(claim.header)
    return (
        (named is not None and named.field in IDENTITY_FIELDS)
        or names_full_name(claim.header)
        or bare_name_of(claim.header) is not None
    )
