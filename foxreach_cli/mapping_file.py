"""Mapping files: save a mapping (``foxreach map FILE --write mapping.toml``), load it back
(``--mapping``), and stop a run whose file's headers drifted since the mapping was made."""

from __future__ import annotations

import os
import tomllib
from collections import Counter

import tomli_w

from .errors import MappingDriftError, UsageError, storage_errors
from .mapping import (
    EMAIL_FALLBACK,
    OPT_OUT_KINDS,
    SPLIT_NAME,
    VERDICT_KINDS,
    Mapping,
    MappingFile,
    Target,
)
from .stage_data import ROW_ERROR_COLUMN, SourceInfo


def load_mapping_file(path: str) -> MappingFile:
    """Read a mapping file written by :func:`write_mapping_file` (or by hand).

    Layout: an optional ``headers = [...]`` array (the headers it was made from, used by
    :func:`check_drift`), a ``[columns]`` table of ``"Header" = "target"`` and an optional
    ``[decisions]`` table (:data:`DECISION_KINDS`; when present it is replayed as recorded).
    Anything unreadable or malformed is a :class:`UsageError` of one sentence.
    """
    try:
        with open(path, "rb") as fh:
            # utf-8-sig: Windows editors save text with a byte-order mark.
            data = tomllib.loads(fh.read().decode("utf-8-sig"))
    except FileNotFoundError:
        raise UsageError(f"Mapping file {path} does not exist; check the path.") from None
    except OSError as exc:
        raise UsageError(
            f"Cannot read mapping file {path} ({exc.strerror}); check the path and permissions."
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"Mapping file {path} is not valid TOML ({exc}); fix it or re-create it with "
            f"'foxreach map FILE --write {path}'."
        ) from None
    except RecursionError:
        # tomllib parses arrays and inline tables recursively: thousands of nested brackets
        # exhaust the stack. No mapping file nests more than one level.
        raise UsageError(
            f"Mapping file {path} is not valid TOML (its arrays or tables are nested "
            f"thousands deep); fix it or re-create it with 'foxreach map FILE --write {path}'."
        ) from None
    columns_raw = data.get("columns")
    if not isinstance(columns_raw, dict) or not columns_raw:
        raise UsageError(
            f'Mapping file {path} has no [columns] table of "Header" = "field" entries; '
            f"re-create it with 'foxreach map FILE --write {path}'."
        )
    columns: dict[str, Target] = {}
    for header, value in columns_raw.items():
        if not isinstance(value, str):
            raise UsageError(
                f"Mapping file {path}: the entry for '{header}' must be a string such as "
                f'"email" or "customFields.{header}".'
            )
        try:
            columns[header] = Target.parse(value)
        except UsageError as exc:
            raise UsageError(f"Mapping file {path}, column '{header}': {exc.message}") from None
    headers_raw = data.get("headers")
    headers: tuple[str, ...] | None = None
    if headers_raw is not None:
        if not isinstance(headers_raw, list) or not all(isinstance(h, str) for h in headers_raw):
            raise UsageError(
                f"Mapping file {path}: 'headers' must be a list of the file's header texts; "
                "fix it or delete the line to skip the drift check."
            )
        headers = tuple(headers_raw)
    decisions = _load_decisions(path, data.get("decisions"))
    return MappingFile(columns=columns, headers=headers, path=path, decisions=decisions)


#: The decisions a mapping file may record (``Mapping.decisions`` kinds). To record a new kind,
#: add it here and replay it in ``mapping.build_mapping``; reading and writing are generic.
DECISION_KINDS: frozenset[str] = frozenset(
    {SPLIT_NAME, EMAIL_FALLBACK, *OPT_OUT_KINDS, *VERDICT_KINDS}
)


def _load_decisions(path: str, raw: object) -> dict[str, tuple[tuple[str, ...], str]] | None:
    """The ``[decisions.<kind>]`` tables: ``columns = ["Header", ...]`` and ``evidence``."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UsageError(
            f"Mapping file {path}: 'decisions' must be a table of [decisions.<kind>] entries; "
            f"re-create it with 'foxreach map FILE --write {path}'."
        )
    decisions: dict[str, tuple[tuple[str, ...], str]] = {}
    for kind, entry in raw.items():
        if kind not in DECISION_KINDS:
            raise UsageError(
                f"Mapping file {path}: '{kind}' is not a decision foxreach knows (it knows "
                f"{', '.join(sorted(DECISION_KINDS))}); delete it or re-create the file."
            )
        names = entry.get("columns") if isinstance(entry, dict) else None
        evidence = entry.get("evidence", "") if isinstance(entry, dict) else ""
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) for n in names)
            or not isinstance(evidence, str)
        ):
            raise UsageError(
                f'Mapping file {path}: [decisions.{kind}] must hold columns = ["Header", '
                '...] and evidence = "..."; fix it or delete the entry.'
            )
        decisions[kind] = (tuple(names), evidence)
    return decisions


def write_mapping_file(path: str, mapping: Mapping, info: SourceInfo) -> None:
    """Save ``mapping`` as TOML that :func:`load_mapping_file` reads back to the same mapping.

    The file records the headers it was made from (so a later run can detect renamed or
    added columns), comments each entry with the reason it was chosen, and records every
    decision of ``mapping.decisions`` (the name split, ...) with its evidence. Each column is
    named by its header, or by its column key when the header is empty or repeated.
    """
    counts = Counter(info.headers)
    lines = [
        f"# foxreach mapping for {info.file}: edit the right-hand sides (a lead field such as",
        '# email or firstName, "customFields.<key>", "tags" or "ignore"), then run',
        f"# foxreach import FILE --mapping {path}",
        "",
        tomli_w.dumps(
            {
                "headers": [
                    h
                    for h, c in zip(info.headers, info.columns, strict=True)
                    if c != ROW_ERROR_COLUMN
                ]
            }
        ).rstrip("\n"),
        "",
        "[columns]",
    ]
    names: dict[str, str] = {}  # column key -> how the file names it
    for cm in mapping.columns:
        name = cm.header if cm.header.strip() and counts[cm.header] == 1 else cm.column
        names[cm.column] = name
        entry = tomli_w.dumps({name: str(cm.target)}).rstrip("\n")
        comment = " ".join(cm.how.splitlines())  # a header may hold a line break
        lines.append(f"{entry}  # {comment}")
    lines += [
        "",
        "# Decisions beyond the columns, replayed as made (an absent one was not made).",
        tomli_w.dumps(
            {
                "decisions": {
                    d.kind: {"columns": [names[c] for c in d.columns], "evidence": d.evidence}
                    for d in mapping.decisions
                }
            }
        ).rstrip("\n")
        or "[decisions]",
    ]
    text = "\n".join(lines) + "\n"
    # Owner-only, like the report: the evidence quotes sampled cells (people's data).
    with storage_errors(path, option="write_mapping"):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # an existing file keeps its old mode otherwise
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(text)


def check_drift(
    mapping_file: MappingFile, info: SourceInfo, *, allow_new_columns: bool = False
) -> None:
    """Stop with :class:`MappingDriftError` when the file's headers changed since the mapping.

    A column whose header is gone is *missing*; a header not in the mapping file is *added*;
    a missing and an added header in the same position are reported as one *renamed* column.
    Reordering alone is not drift. Added columns are accepted when ``allow_new_columns``
    (they then map by the usual rules). A mapping file without recorded headers is not
    checked.
    """
    if mapping_file.headers is None:
        return
    old = list(mapping_file.headers)
    new = [h for h, c in zip(info.headers, info.columns, strict=True) if c != ROW_ERROR_COLUMN]
    missing = Counter(old) - Counter(new)
    added = Counter(new) - Counter(old)
    if not missing and (not added or allow_new_columns):
        return
    renamed: list[tuple[str, str]] = []
    for i in range(min(len(old), len(new))):
        if missing[old[i]] > 0 and added[new[i]] > 0:
            renamed.append((old[i], new[i]))
            missing[old[i]] -= 1
            added[new[i]] -= 1
    parts = []
    if renamed:
        parts.append("renamed " + ", ".join(f"'{a}' to '{b}'" for a, b in renamed))
    if +missing:
        parts.append("missing " + ", ".join(f"'{h}'" for h in (+missing).elements()))
    if +added:
        parts.append("new " + ", ".join(f"'{h}'" for h in (+added).elements()))
    raise MappingDriftError(
        f"The columns of {info.file} changed since {mapping_file.path} was made "
        f"({'; '.join(parts)}); re-create it with "
        f"'foxreach map {info.file} --write {mapping_file.path}' or edit it to match."
    )
