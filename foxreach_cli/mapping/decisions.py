"""Recorded decisions: the decisions beyond one column's target as a saved mapping records them
(:class:`Decision`), and their replay from a mapping file, as made (no detection)."""

from __future__ import annotations

from foxreach_cli.hygiene.verdicts import VerdictColumn, verdict_column
from foxreach_cli.stage_data import SourceInfo

from .claims import Claims, Resolve
from .evidence import (
    NameSplit,
    NotRead,
    OptOutRead,
    not_read_note,
    opt_out_note,
    opt_out_reading,
)
from .result import (
    EMAIL_FALLBACK,
    OPT_OUT_KINDS,
    SPLIT_NAME,
    VERDICT_KINDS,
    Decision,
    MappingFile,
    OptOutColumn,
)
from .status import ignored_by_map

Notes = tuple[tuple[str, ...], tuple[str, ...]]


def made_decisions(
    split: tuple[Decision, ...],
    fallbacks: tuple[str, ...],
    opt_outs: tuple[OptOutColumn, ...],
    verdicts: tuple[VerdictColumn, ...],
) -> tuple[Decision, ...]:
    """Every decision of a mapping built from the file itself, as a mapping file records them."""
    return (
        split + _fallback_decision(fallbacks) + _opt_out_decisions(opt_outs) + _verdicts(verdicts)
    )


def _fallback_decision(fallbacks: tuple[str, ...]) -> tuple[Decision, ...]:
    if not fallbacks:
        return ()
    return (Decision(EMAIL_FALLBACK, fallbacks, "they hold the lead's other addresses"),)


def _opt_out_decisions(opt_outs: tuple[OptOutColumn, ...]) -> tuple[Decision, ...]:
    """The opt-out columns, one decision per way of reading them."""
    decisions = []
    for kind, (how, means) in OPT_OUT_KINDS.items():
        # A permission column is one decision whatever --consent-required said.
        columns = tuple(
            o.column
            for o in opt_outs
            if (o.kind, o.means if o.kind != "permission" else None) == (how, means)
        )
        if columns:
            evidence = "; ".join(o.how for o in opt_outs if o.column in columns)
            decisions.append(Decision(kind, columns, evidence))
    return tuple(decisions)


def _verdicts(verdicts: tuple[VerdictColumn, ...]) -> tuple[Decision, ...]:
    """The verdict columns, one decision per service."""
    decisions = []
    for kind, service in VERDICT_KINDS.items():
        mine = [v for v in verdicts if v.service == service]
        if mine:
            evidence = "; ".join(v.evidence for v in mine)
            decisions.append(Decision(kind, tuple(v.key for v in mine), evidence))
    return tuple(decisions)


def replay_decisions(
    mapping_file: MappingFile, claims: Claims, info: SourceInfo, resolve: Resolve
) -> tuple[Decision, ...]:
    """The decisions a mapping file recorded, on this file's columns, as they were made."""
    assert mapping_file.decisions is not None
    decisions = []
    for kind, (names, evidence) in mapping_file.decisions.items():
        found = [resolve(n, mapping_file.path) for n in names]
        decisions.append(Decision(kind, tuple(info.columns[i] for i in found), evidence))
        if kind == SPLIT_NAME and found:
            claims[found[0]].add(NameSplit(0, 0, recorded=evidence, recorded_in=mapping_file.path))
    return tuple(decisions)


def replayed_verdicts(
    mapping_file: MappingFile, info: SourceInfo, resolve: Resolve
) -> tuple[VerdictColumn, ...]:
    """The verdict columns a mapping file recorded, as recorded (no detection)."""
    assert mapping_file.decisions is not None
    found = []
    for kind, (names, evidence) in mapping_file.decisions.items():
        if kind not in VERDICT_KINDS:
            continue
        for name in names:
            i = resolve(name, mapping_file.path)
            found.append(
                verdict_column(
                    info.columns[i],
                    info.headers[i],
                    VERDICT_KINDS[kind],
                    f"{evidence} (as recorded in {mapping_file.path})",
                )
            )
    return tuple(found)


def replayed_opt_outs(
    decisions: tuple[Decision, ...], claims: Claims, path: str, *, consent_required: bool
) -> tuple[tuple[OptOutColumn, ...], Notes]:
    """The opt-out columns a mapping file recorded, with a sentence on each (notes), of which
    those on status-like columns not used for the status (warnings). A column --map ignores
    is not read, and said so."""
    by_column = {c.column: c for c in claims.values()}
    columns: list[OptOutColumn] = []
    notes: list[str] = []
    warnings: list[str] = []
    for d in decisions:
        if d.kind not in OPT_OUT_KINDS:
            continue
        kind, means = OPT_OUT_KINDS[d.kind]
        if kind == "permission" and consent_required:
            means = "unsubscribed"
        read = OptOutRead(kind, means, recorded_in=path)
        for column in d.columns:
            claim = by_column[column]
            if ignored_by_map(claim):
                notes.append(not_read_note(claim.header, NotRead(claim.key, read)))
                continue
            note = opt_out_note(claim.header, read, not_status=None)
            columns.append(OptOutColumn(claim.header, column, kind, means, opt_out_reading(read)))
            notes.append(note)
            if kind == "status":
                warnings.append(note)
    return tuple(columns), (tuple(notes), tuple(warnings))
