"""Content detection: what the sampled values of a column say about it. Values that contradict
the field a header names (an ``Email`` of yes/no, a ``Title`` of Mr./Ms.), unrecognised
columns whose values are addresses or LinkedIn profiles, a full-name column to split, and
verification services' verdict columns. (Status and opt-out columns: :mod:`.status`.)"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Mapping as AbcMapping

from foxreach_cli.hygiene.verdicts import VerdictColumn, find_verdict_columns
from foxreach_cli.names import name_evidence
from foxreach_cli.stage_data import SourceInfo

from .claims import RANK_CONTENT, Claims, Level
from .evidence import NameSplit, Source, ValueFit, VerdictFound
from .headers import names_full_name
from .lexicon import lexicon
from .result import SPLIT_NAME, Decision
from .targets import FIRST_NAME, LAST_NAME, Target
from .values import (
    fit_of,
    is_name_prefix,
    is_null,
    looks_email,
    looks_linkedin,
    looks_phone,
    looks_url,
)

Samples = AbcMapping[str, Sequence[str]]

#: Lead field -> (test of one sampled value, what fitting values are, for a person).
VALUE_TESTS: dict[str, tuple[Callable[[str], bool], str]] = {
    "email": (looks_email, "email addresses"),
    "linkedinUrl": (looks_linkedin, "LinkedIn profile URLs"),
    "website": (looks_url, "web addresses or domains"),
    "phone": (looks_phone, "phone numbers"),
}


def check_values(claims: Claims, samples: Samples) -> None:
    """Undo header-based claims that the column's sampled values contradict (an ``Email``
    column of yes/no, a ``Title`` of Mr./Ms.), and add the evidence to those that stand."""
    for claim in claims.values():
        if claim.level != Level.HEADER or claim.target.kind != "field":
            continue
        values = samples.get(claim.column, ())
        name = claim.target.name
        if name in VALUE_TESTS:
            test, what = VALUE_TESTS[name]
            fit = fit_of(values, test)
            if fit.few and name == "email":
                claim.misfit = True
                claim.add(ValueFit(fit, what, name, doubt=True))
            elif fit.few:
                custom = Target("custom", claim.key)
                claim.recast(
                    custom, Source.VALUES_CONTRADICT, Level.UNMAPPED, ValueFit(fit, what, name)
                )
            elif fit.seen:
                claim.add(ValueFit(fit, what, name))
        elif name == "title" and _prefixes(claim.header, values):
            claim.recast(Target("custom", claim.key), Source.NAME_PREFIXES, Level.UNMAPPED)


def _prefixes(header: str, values: Sequence[str]) -> bool:
    """A title column of name prefixes (Outlook's "Title": Mr., Ms.), not job titles."""
    folded = header.casefold()
    if any(word in folded for word in lexicon().prefix_headers):
        return True
    kept = [v for v in values if not is_null(v)]
    return bool(kept) and all(is_name_prefix(v) for v in kept)


def claim_by_content(claims: Claims, samples: Samples) -> None:
    """Unrecognised columns whose sampled values are mostly email addresses or LinkedIn
    profiles claim that field, whatever their header (``URL``, ``Contact LI Profile URL``)."""
    for claim in claims.values():
        if claim.source not in (Source.UNRECOGNISED, Source.NO_HEADER):
            continue
        values = samples.get(claim.column, ())
        if not values:
            continue
        for name in ("linkedinUrl", "email"):
            test, what = VALUE_TESTS[name]
            fit = fit_of(values, test)
            if fit.most:
                claim.recast(
                    Target("field", name), Source.CONTENT, Level.HEADER, ValueFit(fit, what),
                    rank=RANK_CONTENT,
                )  # fmt: skip
                break


def full_name_decision(claims: Claims, samples: Samples) -> tuple[Decision, ...]:
    """Split the first full-name column into first and last names, when no column fills
    firstName or lastName and most of its sampled cells read as names (not emails)."""
    if any(c.target in (FIRST_NAME, LAST_NAME) for c in claims.values()):
        return ()
    for index in sorted(claims):
        claim = claims[index]
        if claim.target.kind not in ("custom", "ignore") or not names_full_name(claim.header):
            continue
        names, cells = name_evidence([v for v in samples.get(claim.column, ()) if not is_null(v)])
        if cells and names * 2 <= cells:
            claim.add(NameSplit(names, cells, split=False))
            continue
        split = NameSplit(names, cells)
        claim.add(split)
        return (Decision(SPLIT_NAME, (claim.column,), split.evidence),)
    return ()


def find_verdicts(
    claims: Claims, info: SourceInfo, indices: list[int], samples: Samples
) -> tuple[VerdictColumn, ...]:
    """The verdict columns of the file (``hygiene.find_verdict_columns``), except those the
    user mapped with --map (an explicit target is not second-guessed)."""
    free = [i for i in indices if claims[i].level != Level.MAP_OPTION]
    found = find_verdict_columns(
        [info.headers[i] for i in free], samples, [info.columns[i] for i in free]
    )
    return tuple(found)


def claim_verdicts(claims: Claims, info: SourceInfo, verdicts: tuple[VerdictColumn, ...]) -> None:
    """A verdict column stays a custom field (unless mapped explicitly), read by hygiene."""
    position = {key: i for i, key in enumerate(info.columns)} if verdicts else {}
    for v in verdicts:
        claim = claims[position[v.key]]
        target, level = claim.target, claim.level
        if claim.level > Level.MAPPING_FILE:
            target = Target("custom", claim.header if claim.header.strip() else v.key)
            level = Level.HEADER
        claim.recast(target, Source.VERDICTS, level, VerdictFound(v.service, v.evidence))
