"""The BATCH stage: cut the stream of unique valid rows into import batches, and build the
lead objects ``POST /leads/import`` takes.

Leads are built only for rows about to be sent (at most ``MAX_BATCH`` at a time), column by
column from the reader's cells; a dry run never builds one. See docs/validation.md for the
layout of the rows it receives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd

from .cell_rules import NULL_CELLS, drop_text_markers, fill_split_names
from .names import split_full_name as split_full_name  # re-exported: its old home
from .stage_data import Batch
from .validate import RowSource


@dataclass(frozen=True)
class UniqueRows:
    """Valid rows of one chunk that are the first of their email: what dedup hands on.

    ``rows`` has the validated layout (``row``, ``key``, ``email``, ``source``, ``status``,
    ``pos``); ``cells`` holds the chunk's pass-through cells that ``pos`` points into.
    """

    file: str
    cells: RowSource
    rows: pd.DataFrame

    def __len__(self) -> int:
        return len(self.rows)


_OPT_OUTS = ("unsubscribed", "bounced")


def split_tags(cell: Any) -> list[str]:
    """The tags in one cell: split on , ; | or :::, trimmed, blanks and nulls dropped."""
    if cell.__class__ is not str:
        return []
    # ":::" separates Google Contacts labels ("* myContacts ::: Clients").
    text = cell.replace(":::", ",").replace(";", ",").replace("|", ",")
    return [t for t in (part.strip() for part in text.split(",")) if t and t not in NULL_CELLS]


class Batcher:
    """Cuts the stream of unique valid rows into batches of ``size`` leads, one file each."""

    def __init__(self, parts: Iterator[UniqueRows], size: int) -> None:
        self._parts = parts
        self._size = size
        self._pending: list[UniqueRows] = []
        self._pending_rows = 0
        self._seq = 0

    def __iter__(self) -> Iterator[Batch]:
        for part in self._parts:
            if not len(part):
                continue
            if self._pending and self._pending[-1].file != part.file:
                # A batch holds one file's rows, so the journal can record it per file.
                yield self._cut(self._pending_rows)
            self._pending.append(part)
            self._pending_rows += len(part)
            while self._pending_rows >= self._size:
                yield self._cut(self._size)
        if self._pending_rows:
            yield self._cut(self._pending_rows)

    def _cut(self, n: int) -> Batch:
        batch = Batch(seq=self._seq)
        self._seq += 1
        # One encoding per part, joined once: orjson's results are never small (each keeps a
        # buffer of 4 KB or more), and per-lead buffers fragment the heap as batches come
        # and go (measured: RSS grew ~200 bytes a row over a 1M-row import).
        encoded: list[bytes] = []
        while n:
            part = self._pending[0]
            take = part.rows.iloc[:n]
            if len(take) == len(part):
                self._pending.pop(0)
            else:
                self._pending[0] = UniqueRows(part.file, part.cells, part.rows.iloc[n:])
            leads = to_leads(part.cells, take)
            status = take["status"].to_numpy(dtype=object)
            for i in np.flatnonzero(take["status"].isin(_OPT_OUTS).to_numpy()).tolist():
                batch.opted_out[len(batch.rows) + i] = status[i]
            batch.files += [part.file] * len(leads)
            batch.rows += take["row"].tolist()
            batch.emails += take["email"].tolist()
            encoded.append(orjson.dumps(leads)[1:-1])
            n -= len(take)
            self._pending_rows -= len(take)
        batch.body = b",".join(encoded)
        return batch

    def drain(self) -> Iterator[UniqueRows]:
        """Everything not yet cut into a batch: the pending rows, then the rest of the input."""
        pending, self._pending, self._pending_rows = self._pending, [], 0
        yield from pending
        yield from self._parts


def to_leads(cells: RowSource, rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Lead objects for validated ``rows`` whose pass-through cells are in ``cells``.

    Keys are camelCase as in the API: ``email``, then any of ``firstName`` ... ``notes``,
    ``source``, ``status``, ``customFields`` (header as written -> trimmed value) and ``tags``
    (the row's tags, then the run's ``--tag`` values, each once, in order). Values are the
    cells as written, trimmed. An absent field is omitted entirely (never ``""`` or null), and
    so is the status ``active``, the API's default (a restore keeps the stored status);
    ``customFields`` and ``tags`` are omitted when empty.
    """
    if len(rows) == 0:
        return []
    leads: list[dict[str, Any]] = [{"email": e} for e in rows["email"].tolist()]
    customs, tags = _fill(leads, cells, rows["pos"].to_numpy(dtype=np.intp))
    for lead, source, status, custom, tag_list in zip(
        leads, rows["source"].tolist(), rows["status"].tolist(), customs, tags, strict=True
    ):
        if source.__class__ is str:
            lead["source"] = source
        # "active" is the API's default: sent, it could only overwrite the status of a
        # soft-deleted lead being restored, which may be opted out (never made active again).
        if status.__class__ is str and status != "active":
            lead["status"] = status
        # customFields and tags last, for readable payloads
        if custom:
            lead["customFields"] = custom
        if tag_list:
            lead["tags"] = tag_list
    return leads


def _fill(
    leads: list[dict[str, Any]], src: RowSource, pos: np.ndarray
) -> tuple[list[dict[str, str] | None], list[list[str] | None]]:
    """Add the plain pass-through fields of ``src`` rows ``pos`` to ``leads``.

    Returns, per lead, its ``customFields`` and its ``tags`` (None for none). Column by column,
    not lead by lead: the inner loops stay short and free of per-field lookups (the cost:
    docs/validation.md).
    """
    frame = src.frame
    n = len(leads)

    def column(key: str) -> list[Any]:
        # The reader's object columns give a view here (no copy of the whole chunk), and
        # fancy indexing then touches only this batch's rows.
        return frame[key].to_numpy()[pos].tolist()

    for name, key in src.fields:
        for lead, v in zip(leads, column(key), strict=True):
            if v.__class__ is str and (v := v.strip()) and v not in NULL_CELLS:
                lead[name] = v
    if any(name == "phone" for name, _key in src.fields):
        drop_text_markers(leads)
    if src.full_name is not None:
        fill_split_names(leads, column(src.full_name))
    customs: list[dict[str, str] | None] = [None] * n
    for name, key in src.custom:
        for i, v in enumerate(column(key)):
            if v.__class__ is str and (v := v.strip()) and v not in NULL_CELLS:
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
