"""Turn validated rows into the lead objects ``POST /leads/import`` takes (API.md).

Called only for rows about to be sent (at most ``MAX_BATCH`` at a time), so this is a plain
per-row loop, kept lean: a million leads cost a few seconds, against the API's ceiling of
100,000 leads a minute.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from foxreach_cli.validate import RowSource

#: Characters that separate tags inside one cell ("vip, q1", "vip;q1", "vip|q1").
TAG_SEPARATORS = (",", ";", "|")


def split_tags(cell: Any) -> list[str]:
    """The tags in one cell: split on , ; |, trimmed, blanks dropped (order and repeats kept)."""
    if cell.__class__ is not str:
        return []
    text = cell.replace(";", ",").replace("|", ",")
    return [t for t in (part.strip() for part in text.split(",")) if t]


def to_leads(valid: pd.DataFrame) -> list[dict[str, Any]]:
    """Lead objects for the rows of a validated frame (layout: ``validate`` module doc).

    Keys are camelCase as in API.md: ``email``, then any of ``firstName`` ... ``notes``,
    ``source``, ``status``, ``customFields`` (header as written -> trimmed value) and ``tags``
    (the row's tags, then the run's ``--tag`` values, each once, in order). Values are the
    cells as written, trimmed. An absent field is omitted entirely (never ``""`` or null);
    ``customFields`` and ``tags`` are omitted when empty.
    """
    n = len(valid)
    if n == 0:
        return []
    srcs = valid["src"].tolist()
    pos = valid["pos"].to_numpy(dtype=np.intp)
    leads: list[dict[str, Any]] = [{"email": e} for e in valid["email"].tolist()]
    # Pass-through cells, fetched per chunk the rows came from (usually one per batch).
    if all(s is srcs[0] for s in srcs):
        extras = _fill(leads, srcs[0], pos)
    else:
        extras = [None] * n
        groups: dict[int, list[int]] = {}
        for i, s in enumerate(srcs):
            groups.setdefault(id(s), []).append(i)
        for members in groups.values():
            part = _fill([leads[i] for i in members], srcs[members[0]], pos[members])
            for i, extra in zip(members, part, strict=True):
                extras[i] = extra
    for lead, source, status, extra in zip(
        leads, valid["source"].tolist(), valid["status"].tolist(), extras, strict=True
    ):
        if source.__class__ is str:
            lead["source"] = source
        if status.__class__ is str:
            lead["status"] = status
        if extra:  # customFields and tags last, for readable payloads
            lead.update(extra)
    return leads


def original_cells(valid: pd.DataFrame) -> pd.DataFrame:
    """The cells of ``valid``'s rows as the reader gave them (frame keys as columns).

    For writing rows that were valid but not imported back out (e.g. ``--rejected``); the
    rows keep ``valid``'s order and index.
    """
    srcs = valid["src"].tolist()
    if not srcs:
        return pd.DataFrame()
    pos = valid["pos"].to_numpy()
    parts, order = [], []
    for s in dict.fromkeys(srcs):  # distinct sources, in order of first appearance
        sel = np.flatnonzero(np.fromiter((x is s for x in srcs), dtype=bool, count=len(srcs)))
        parts.append(s.frame.take(pos[sel]))
        order.append(sel)
    out = parts[0] if len(parts) == 1 else pd.concat(parts)
    out = out.iloc[np.argsort(np.concatenate(order), kind="stable")]
    out.index = valid.index
    return out


def _fill(
    leads: list[dict[str, Any]], src: RowSource, pos: np.ndarray
) -> list[dict[str, Any] | None]:
    """Add the pass-through fields of ``src`` rows ``pos`` to ``leads``.

    Returns, per lead, its ``customFields``/``tags`` entries (None when it has neither).
    """
    frame = src.frame

    def column(key: str) -> list[Any]:
        # The reader's object columns give a view here (no copy of the whole chunk), and
        # fancy indexing then touches only this batch's rows.
        return frame[key].to_numpy()[pos].tolist()

    for name, key in src.fields:
        for lead, v in zip(leads, column(key), strict=True):
            if v.__class__ is str and (v := v.strip()):
                lead[name] = v
    customs = [(name, column(key)) for name, key in src.custom]
    tag_cells = [column(key) for key in src.tags]
    default_tags = list(src.default_tags)
    out: list[dict[str, Any] | None] = []
    for i in range(len(leads)):
        extras: dict[str, Any] = {}
        custom = {}
        for name, cells in customs:
            v = cells[i]
            if v.__class__ is str and (v := v.strip()):
                custom[name] = v
        if custom:
            extras["customFields"] = custom
        if tag_cells or default_tags:
            tags: list[str] = []
            for cells in tag_cells:
                tags.extend(split_tags(cells[i]))
            tags.extend(default_tags)
            if tags:
                extras["tags"] = list(dict.fromkeys(tags))
        out.append(extras or None)
    return out
