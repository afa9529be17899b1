"""Building a mapping: the steps in order, from claims to a :class:`Mapping` (the rules in full:
docs/mapping.md)."""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from collections.abc import Sequence

from foxreach_cli.defaults import UNMAPPED, Unmapped
from foxreach_cli.errors import InputError, NoEmailColumnError, UsageError
from foxreach_cli.hygiene.verdicts import VerdictColumn
from foxreach_cli.stage_data import ROW_ERROR_COLUMN, SourceInfo

from .claims import Claims, Level, Resolve, bare_name_claims, explicit_claims, header_claims
from .clashes import email_fallbacks, settle_custom_keys, settle_field_clashes
from .content import (
    check_values,
    claim_by_content,
    claim_verdicts,
    find_verdicts,
    full_name_decision,
)
from .decisions import made_decisions, replay_decisions, replayed_opt_outs, replayed_verdicts
from .evidence import verdict_note
from .result import EMAIL_FALLBACK, Mapping, MappingFile
from .status import decide_status, not_scanned, opt_out_columns
from .targets import EMAIL, Target
from .values import is_blank_cell, looks_email
from .words import normalise_header

Samples = AbcMapping[str, Sequence[str]]


def build_mapping(
    info: SourceInfo,
    *,
    overrides: AbcMapping[str, Target] | None = None,
    mapping_file: MappingFile | None = None,
    unmapped: Unmapped = UNMAPPED,
    samples: Samples | None = None,
    consent_required: bool = False,
) -> Mapping:
    """Decide the target of every column of ``info`` (docs/mapping.md has the rules).

    ``samples`` holds values of the first rows per column key (default: the reader's
    ``info.samples``); recognised headers whose values contradict the field (a status column
    of CRM stages, a title column of Mr./Ms.) are kept as custom fields instead.
    ``consent_required`` (--consent-required): a no in a marketing-permission column makes
    the lead unsubscribed.

    Raises :class:`UsageError` when an override or mapping-file entry names a column the file
    does not have (or several columns ambiguously), or when two explicit entries of the same
    source claim one single-valued field; :class:`NoEmailColumnError` when no column can be
    the email.
    """
    indices = [i for i, col in enumerate(info.columns) if col != ROW_ERROR_COLUMN]

    def resolve(name: str, where: str) -> int:
        return _resolve_column(name, info, indices, where)

    claims: Claims = {}
    if overrides:
        explicit_claims(claims, info, overrides, Level.MAP_OPTION, "--map", resolve)
    if mapping_file is not None:
        explicit_claims(
            claims, info, mapping_file.columns, Level.MAPPING_FILE, mapping_file.path, resolve
        )
    _refuse_data_as_header(info, indices)
    header_claims(claims, info, indices, unmapped)
    bare_name_claims(claims)
    looked_at = info.samples if samples is None else samples
    # A mapping file with recorded decisions replays them; an older one has none to replay.
    replay = (
        mapping_file if mapping_file is not None and mapping_file.decisions is not None else None
    )
    # Verdict columns first: such a column ("ZB Status", Apollo's "Email Status") must never
    # be taken for the lead's status or an opt-out column.
    if replay is not None:
        verdicts = replayed_verdicts(replay, info, resolve)
    else:
        verdicts = find_verdicts(claims, info, indices, looked_at)
    claim_verdicts(claims, info, verdicts)
    path = mapping_file.path if mapping_file is not None else None
    mapping = _decide(claims, info, verdicts, looked_at, replay, path, resolve, consent_required)
    if not any(cm.target == EMAIL for cm in mapping.columns):
        raise NoEmailColumnError(
            f"{info.file} has no column that can be the email (headers: "
            f"{_list_headers(info)}); name one with --map 'Column=email'."
        )
    return mapping


def _decide(
    claims: Claims,
    info: SourceInfo,
    verdicts: tuple[VerdictColumn, ...],
    looked_at: Samples,
    replay: MappingFile | None,
    path: str | None,
    resolve: Resolve,
    consent_required: bool,
) -> Mapping:
    """The content rules, the clashes and the decisions, on the claims made by headers."""
    verdict_keys = {v.key for v in verdicts}
    others = {i: c for i, c in claims.items() if c.column not in verdict_keys}
    check_values(others, looked_at)
    claim_by_content(others, looked_at)
    statuses = decide_status(others, looked_at)
    if looked_at:
        for claim in claims.values():
            claim.empty = all(is_blank_cell(v) for v in looked_at.get(claim.column, ()))
    emails = sorted(
        (c for c in claims.values() if c.target == EMAIL and c.level == Level.HEADER),
        key=lambda c: (c.misfit, c.empty, c.rank, c.index),
    )
    settle_field_clashes(claims, path)
    fallbacks = email_fallbacks(claims, emails)
    if replay is not None:
        decisions = replay_decisions(replay, claims, info, resolve)
        opt_outs, (notes, warnings) = replayed_opt_outs(
            decisions, claims, replay.path, consent_required=consent_required
        )
        fallbacks = next((d.columns for d in decisions if d.kind == EMAIL_FALLBACK), ())
    else:
        opt_outs, (notes, warnings) = opt_out_columns(
            others, looked_at, statuses, consent_required=consent_required
        )
        split = full_name_decision(claims, looked_at)
        decisions = made_decisions(split, fallbacks, opt_outs, verdicts)
    notes = tuple(verdict_note(v.header, v.service, v.evidence) for v in verdicts) + notes
    settle_custom_keys(claims)
    return Mapping(
        tuple(claims[i].column_map() for i in sorted(claims)),
        opt_outs=opt_outs,
        email_fallbacks=fallbacks,
        notes=notes,
        warnings=warnings,
        decisions=decisions,
        verdicts=verdicts,
        not_scanned=not_scanned(claims),
    )


def _refuse_data_as_header(info: SourceInfo, indices: list[int]) -> None:
    """A header row holding an email address is a file's first lead, not its column names:
    refuse it rather than lose that lead and map the rest by its values."""
    for i in indices:
        header = info.headers[i].strip()
        if looks_email(header):
            raise InputError(
                f"{info.file}: row {info.header_row}, read as the header, holds the email "
                f"address '{header}': it looks like data, not column names, so the file seems "
                "to have no header row; add one (e.g. Email,First Name,...) or pass "
                "--header-row N with the row that holds the column names."
            )


def _resolve_column(name: str, info: SourceInfo, indices: list[int], where: str) -> int:
    """The index of the column an entry names: exact header, then column key, then normalised."""
    exact = [i for i in indices if info.headers[i] == name]
    if len(exact) == 1:
        return exact[0]
    by_key = [i for i in indices if info.columns[i] == name]
    if len(by_key) == 1:
        return by_key[0]
    if not exact:
        norm = normalise_header(name)
        exact = [i for i in indices if norm and normalise_header(info.headers[i]) == norm]
        if len(exact) == 1:
            return exact[0]
    if exact:
        keys = ", ".join(f"'{info.columns[i]}'" for i in exact)
        raise UsageError(
            f"{where} names '{name}', which matches several columns of {info.file}; "
            f"name one by its column key instead ({keys})."
        )
    raise UsageError(
        f"{where} names a column '{name}' that {info.file} does not have; use one of its "
        f"headers: {_list_headers(info)}."
    )


def _list_headers(info: SourceInfo, limit: int = 30) -> str:
    shown = [
        f"'{h}'" for h, c in zip(info.headers, info.columns, strict=True) if c != ROW_ERROR_COLUMN
    ]
    more = len(shown) - limit
    text = ", ".join(shown[:limit])
    return f"{text} and {more} more" if more > 0 else (text or "none")
