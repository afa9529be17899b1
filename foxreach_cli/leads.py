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
    """The tags in one cell: split on , ; | or :::, trimmed, blanks and nulls dropped."""
    if cell.__class__ is not str:
        return []
    # ":::" separates Google Contacts labels ("* myContacts ::: Clients").
    text = cell.replace(":::", ",").replace(";", ",").replace("|", ",")
    return [t for t in (part.strip() for part in text.split(",")) if t and t not in _NULL_CELLS]


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
        customs, tags = _fill(leads, srcs[0], pos)
    else:
        customs, tags = [None] * n, [None] * n
        groups: dict[int, list[int]] = {}
        for i, s in enumerate(srcs):
            groups.setdefault(id(s), []).append(i)
        for members in groups.values():
            part_customs, part_tags = _fill(
                [leads[i] for i in members], srcs[members[0]], pos[members]
            )
            for i, custom, tag_list in zip(members, part_customs, part_tags, strict=True):
                customs[i], tags[i] = custom, tag_list
    for lead, source, status, custom, tag_list in zip(
        leads, valid["source"].tolist(), valid["status"].tolist(), customs, tags, strict=True
    ):
        if source.__class__ is str:
            lead["source"] = source
        if status.__class__ is str:
            lead["status"] = status
        # customFields and tags last, for readable payloads
        if custom:
            lead["customFields"] = custom
        if tag_list:
            lead["tags"] = tag_list
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
) -> tuple[list[dict[str, str] | None], list[list[str] | None]]:
    """Add the plain pass-through fields of ``src`` rows ``pos`` to ``leads``.

    Returns, per lead, its ``customFields`` and its ``tags`` (None for none). Column by column,
    not lead by lead: the inner loops stay short and free of per-field lookups, which makes
    this about twice as fast on a typical CRM export.
    """
    frame = src.frame
    n = len(leads)

    def column(key: str) -> list[Any]:
        # The reader's object columns give a view here (no copy of the whole chunk), and
        # fancy indexing then touches only this batch's rows.
        return frame[key].to_numpy()[pos].tolist()

    for name, key in src.fields:
        for lead, v in zip(leads, column(key), strict=True):
            if v.__class__ is str and (v := v.strip()) and v not in _NULL_CELLS:
                lead[name] = v
    if any(name == "phone" for name, _key in src.fields):
        _drop_text_markers(leads)
    if src.full_name is not None:
        _fill_split_names(leads, column(src.full_name))
    customs: list[dict[str, str] | None] = [None] * n
    for name, key in src.custom:
        for i, v in enumerate(column(key)):
            if v.__class__ is str and (v := v.strip()) and v not in _NULL_CELLS:
                custom = customs[i]
                if custom is None:
                    customs[i] = {name: v}
                else:
                    custom[name] = v
    tags: list[list[str] | None] = [None] * n
    default_tags = list(src.default_tags)
    if src.tags:
        # Tag cells repeat a lot ("vip", "q1;webinar"): split each distinct combination once.
        # Leads with the same combination share one list; nothing mutates it afterwards.
        seen: dict[tuple[Any, ...], list[str] | None] = {}
        for i, cells in enumerate(zip(*(column(key) for key in src.tags), strict=True)):
            tag_list = seen.get(cells, _MISSING)
            if tag_list is _MISSING:
                found = [t for cell in cells for t in split_tags(cell)] + default_tags
                tag_list = seen[cells] = list(dict.fromkeys(found)) or None
            tags[i] = tag_list
    elif default_tags:
        tags = [default_tags] * n
    return customs, tags


#: Marks a combination of tag cells not split yet (None means "no tags").
_MISSING: Any = object()


# --------------------------------------------------------------------------------------------
# Export clean-up (issue 13): cells some exports write that are not what they mean
# --------------------------------------------------------------------------------------------

#: What may follow a comma in "Ada King, PhD": not a first name.
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "mba", "esq"})

#: Cells HubSpot writes for "no value": blank, like an empty cell.
_NULL_CELLS = frozenset({"null", "NULL"})


def _drop_text_markers(leads: list[dict[str, Any]]) -> None:
    """Remove Excel's text marker, a leading ', from phones (Apollo writes '+1 415 555 0100)."""
    for lead in leads:
        phone = lead.get("phone")
        if phone is not None and phone[0] == "'":
            phone = phone[1:].strip()
            if phone:
                lead["phone"] = phone
            else:
                del lead["phone"]


def _fill_split_names(leads: list[dict[str, Any]], cells: list[Any]) -> None:
    """Fill firstName/lastName from a full-name column (a file with no such columns)."""
    for lead, cell in zip(leads, cells, strict=True):
        if cell.__class__ is str and (cell := cell.strip()) and cell not in _NULL_CELLS:
            first, last = split_full_name(cell)
            if first:
                lead["firstName"] = first
            if last:
                lead["lastName"] = last


def split_full_name(name: str) -> tuple[str, str]:
    """(first, last) of a full name: "Ada King" -> (Ada, King), "King, Ada" -> (Ada, King).

    With no comma, the first word is the first name and the rest the last name ("Jan van
    Dijk" -> Jan, van Dijk); one word is a first name only. Exactly one comma means
    "Last, First". Nothing else is rewritten (case, prefixes and suffixes stay as written).
    """
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        if first and last and first.rstrip(".").casefold() not in _NAME_SUFFIXES:
            return " ".join(first.split()), " ".join(last.split())
    words = name.replace(",", " ").split()
    if not words:
        return "", ""
    return words[0], " ".join(words[1:])
