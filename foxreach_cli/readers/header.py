"""Finding the header row of an export, and the sample of values under it.

Some exports put lines above the column names: LinkedIn's ``Connections.csv`` starts with
``Notes:``, a quoted paragraph and a blank line; report exports start with a title and the
filters used. :func:`find_header` picks the header among the first :data:`SCAN_ROWS` rows
the way a person would:

1. The first non-blank row is the header when it names an email column (``Email``,
   ``E-mail Address``, ...) and fits the rows under it: its cells fill the width they use,
   and theirs fit in its width.
2. Otherwise the header is the first later row that names an email column, is wider than
   every row above it (a preamble is a title or a few ``key,value`` lines) and fits the
   rows under it. A data cell that happens to say "Email" sits in a row as wide as the one
   above it, so it is never taken for a header.
3. With no such row, the first non-blank row stays the header (so every file that worked
   before reads the same way), unless it names no email column and is a single cell above
   wider rows (a title line): then no header can be found and the file is refused with a
   sentence that says what was looked for and how to name the row.

Row numbers are the ones a spreadsheet shows: one record is one row (a quoted cell with line
breaks included), blank lines count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from foxreach_cli.errors import InputError

#: How many rows from the top are looked at for the header.
SCAN_ROWS = 30

#: How many rows under the header are kept as the sample for value-aware mapping.
SAMPLE_ROWS = 200

# What a blank line may hold: whitespace, delimiters, a stray BOM or NUL.
_BLANK_CHARS = " \t\r\n\f\v,;|\ufeff\0"

#: One record: (spreadsheet row number, cells as text).
Record = tuple[int, list[str]]


def is_blank(cells: Sequence[str]) -> bool:
    """A row that holds nothing a person would see (empty, or only spaces and delimiters)."""
    return not "".join(cells).strip(_BLANK_CHARS)


def find_header(
    records: Sequence[Record],
    name: str,
    *,
    email_header: Callable[[str], bool],
    override: int | None = None,
) -> int:
    """The index in ``records`` of the header row (see the module doc for the rules).

    ``override`` is a spreadsheet row number given by the user (``--header-row``); it must
    be one of the records and not blank.

    Raises:
        InputError: every row is blank, the override names no usable row, or no header
            can be found.
    """
    if override is not None:
        return _pick_override(records, name, override)
    nonblank = [i for i, (_row, cells) in enumerate(records) if not is_blank(cells)]
    if not nonblank:
        raise InputError(
            f"{name} has no header row (it holds only blank lines); "
            "put the column names on the first line and run again."
        )
    first = nonblank[0]

    def names_email(index: int) -> bool:
        return any(email_header(cell) for cell in records[index][1])

    def fits(k: int) -> bool:
        cells = records[nonblank[k]][1]
        width = filled_width(cells)
        below = [records[j][1] for j in nonblank[k + 1 : k + 6]]
        return not below or (
            width <= max(len(b) for b in below)
            and max(filled_width(b) for b in below) <= len(cells)
        )

    if names_email(first) and fits(0):
        return first
    for k in range(1, len(nonblank)):
        index = nonblank[k]
        if records[index][0] > SCAN_ROWS:
            break
        if not names_email(index):
            continue
        width = filled_width(records[index][1])
        if max(filled_width(records[j][1]) for j in nonblank[:k]) >= width or not fits(k):
            continue
        return index
    if names_email(first):
        return first  # its rows are ragged, but nothing below looks more like a header
    if filled_width(records[first][1]) <= 1 and _wider_rows_follow(records, nonblank):
        raise InputError(
            f"{name}: no header row found (none of its first {SCAN_ROWS} rows names an email "
            "column such as Email or E-mail Address with as many cells as the rows under "
            f"it, and row {records[first][0]} is a single cell above wider rows); pass "
            "--header-row N with the row that holds the column names."
        )
    return first


def filled_width(cells: Sequence[str]) -> int:
    """The number of cells up to the last non-empty one (spreadsheets pad rows with "")."""
    width = len(cells)
    while width and not cells[width - 1].strip():
        width -= 1
    return width


def sample_values(columns: Sequence[str], records: Sequence[Record]) -> dict[str, tuple[str, ...]]:
    """The non-empty (trimmed) cells of each column key in ``records``, in row order."""
    found: list[list[str]] = [[] for _ in columns]
    for _row, cells in records:
        for position, cell in enumerate(cells[: len(columns)]):
            value = cell.strip()
            if value:
                found[position].append(value)
    return {key: tuple(values) for key, values in zip(columns, found, strict=True)}


def _wider_rows_follow(records: Sequence[Record], nonblank: list[int]) -> bool:
    """Are most of the rows under the first non-blank one two or more cells wide?"""
    after = [filled_width(records[j][1]) for j in nonblank[1:21]]
    return bool(after) and sum(w >= 2 for w in after) * 2 > len(after)


def _pick_override(records: Sequence[Record], name: str, row: int) -> int:
    for index, (number, cells) in enumerate(records):
        if number == row:
            if is_blank(cells):
                raise InputError(
                    f"{name}: row {row} (--header-row) is blank; give the number of the row "
                    "that holds the column names."
                )
            return index
    last = records[-1][0] if records else 0
    raise InputError(
        f"{name} has no row {row} (--header-row) among its first {last} rows; give the "
        "number of the row that holds the column names, as a spreadsheet shows it."
    )
