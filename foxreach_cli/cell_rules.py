"""Export clean-up: cells some tools' exports write that do not mean what they say.

One place for the rules (docs/validation.md): a cell of exactly ``null`` or ``NULL`` (as
HubSpot writes "no value") is blank; Excel's text marker, a leading apostrophe, is dropped
from phones (Apollo writes ``'+1 415 555 0100``); a full-name column fills firstName and
lastName when a file has no such columns (split by :mod:`foxreach_cli.names`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .mapping.lexicon import lexicon
from .names import split_full_name

#: Cells that mean "no value" (HubSpot's export): blank, like an empty cell. Compared with
#: the trimmed cell, case-sensitively. The words are the lexicon's (``[values] null_cells``).
NULL_CELLS = lexicon().null_cells

# The null cells as lines of a "\n"-joined column: one C-speed substring search per chunk.
_NULL_LINES = tuple(f"\n{cell}\n" for cell in NULL_CELLS)


def is_blank(cell: str) -> bool:
    """Whether a trimmed text cell holds no value: empty, or a null cell."""
    return not cell or cell in NULL_CELLS


def has_null_line(joined: str) -> bool:
    """Whether a column joined as ``"\\n" + "\\n".join(cells) + "\\n"`` holds a null cell."""
    return any(line in joined for line in _NULL_LINES)


def blank_nulls(values: np.ndarray) -> np.ndarray:
    """Trimmed ``values`` (an object array of str) with the null cells made ""."""
    if has_null_line("\n" + "\n".join(values) + "\n"):
        values = values.copy()
        null = np.zeros(len(values), dtype=bool)
        for cell in NULL_CELLS:
            null |= values == cell
        values[null] = ""
    return values


def drop_text_markers(leads: list[dict[str, Any]]) -> None:
    """Remove Excel's text marker, a leading ', from the leads' phones."""
    for lead in leads:
        phone = lead.get("phone")
        if phone is not None and phone[0] == "'":
            phone = phone[1:].strip()
            if phone:
                lead["phone"] = phone
            else:
                del lead["phone"]


def fill_split_names(leads: list[dict[str, Any]], cells: list[Any]) -> None:
    """Fill firstName/lastName from a full-name column (a file with no such columns); the
    rules are :func:`names.split_full_name`."""
    for lead, cell in zip(leads, cells, strict=True):
        if cell.__class__ is str and not is_blank(cell := cell.strip()):
            first, last = split_full_name(cell)
            if first:
                lead["firstName"] = first
            if last:
                lead["lastName"] = last
