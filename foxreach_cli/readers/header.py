"""Finding the header row of an export, and the sample of values under it.

Some exports put lines above the column names: LinkedIn's ``Connections.csv`` starts with
``Notes:``, a quoted paragraph and a blank line; report exports start with a title, the
filters used (``Sorted by,Email``) or a row grouping the columns (``Person,,Email,Employer``).
:func:`choose_header` picks the header among the first :data:`SCAN_ROWS` rows the way a
person would: the row whose cells read like column names and under which the leads start.
The rule, its tiers and its refusals are in docs/reading.md ("Finding the header"); the
same function serves CSV and workbooks.

Row numbers are the ones a spreadsheet shows: one record is one row (a quoted cell with line
breaks included), blank lines count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from foxreach_cli.errors import InputError
from foxreach_cli.reasons import ReasonCode, encode_cell
from foxreach_cli.stage_data import HeaderChoice, SkippedRow

#: How many rows from the top are looked at for the header.
SCAN_ROWS = 30

#: How many rows under the header are kept as the sample for value-aware mapping.
SAMPLE_ROWS = 200

#: How many non-blank rows under a candidate header are looked at for the leads it heads.
BLOCK_ROWS = 5

#: What a blank line may hold: whitespace, delimiters, a stray BOM or NUL, DOS's end-of-file
#: mark (^Z, 0x1A).
BLANK_CHARS = " \t\r\n\f\v,;|\ufeff\0\x1a"

#: What a blank-looking data cell may hold: ASCII whitespace and ^Z. Every such cell is ""
#: or starts below "!", which is what the vectorised test of ``readers.delimited`` uses.
BLANK_CELL_CHARS = " \t\r\n\f\v\x1a"

#: A column name longer than this is a sentence (a note), not a name.
_NAME_MAX = 100

_EMAIL = re.compile(r"[^@\s<>(),;:\"'\[\]]+@[^@\s<>(),;:\"'\[\]]+\.[^@\s<>(),;:\"'\[\].]{2,}")
_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)", re.IGNORECASE)
# Numbers, amounts, percentages, dates, times and phone numbers: digits and separators only.
_NUMERIC = re.compile(
    r"[\s\d.,:/%+\-\u2013$\u20ac\u00a3\u00a5()#']*\d[\s\d.,:/%+\-\u2013$\u20ac\u00a3\u00a5()#']*"
)

#: One record: (spreadsheet row number, cells as text).
Record = tuple[int, list[str]]


def is_blank_row(cells: Sequence[str]) -> bool:
    """A row that holds nothing a person would see (empty, or only spaces and delimiters):
    the looser test of the header search (:data:`BLANK_CHARS`), not :func:`is_blank_record`."""
    return not "".join(cells).strip(BLANK_CHARS)


def is_blank_record(cells: Sequence[str]) -> bool:
    """A data row a person sees as empty: every cell empty, ASCII whitespace or a ^Z.

    The same rule as the vectorised test of ``readers.delimited`` (delimiters between such
    cells have already split them, so ``,,,`` and `` , `` are blank records).
    """
    return all(is_blank_cell(c) for c in cells)


def is_blank_cell(cell: str) -> bool:
    """Empty, ASCII whitespace or ^Z only (see :data:`BLANK_CELL_CHARS`)."""
    return not cell.strip(BLANK_CELL_CHARS)


def repeat_reason(header_row: int) -> str:
    """The reason a data row that repeats the column names is rejected with, packed for a
    reader's row-error column."""
    return encode_cell(ReasonCode.HEADER_REPEAT.of(header_row))


def find_header(
    records: Sequence[Record],
    name: str,
    *,
    email_header: Callable[[str], bool],
    override: int | None = None,
) -> int:
    """The index in ``records`` of the header row (:func:`choose_header` without the why).

    Raises:
        InputError: as :func:`choose_header`.
    """
    return choose_header(records, name, email_header=email_header, override=override)[0]


def choose_header(
    records: Sequence[Record],
    name: str,
    *,
    email_header: Callable[[str], bool],
    override: int | None = None,
) -> tuple[int, HeaderChoice]:
    """The index in ``records`` of the header row, and the decision with its evidence.

    ``records`` are the first rows of the file, blank ones included (at least
    ``SCAN_ROWS + BLOCK_ROWS`` of them when the file has that many). ``override`` is a
    spreadsheet row number given by the user (``--header-row``); it must be one of the
    records and not blank. ``email_header`` tells a header cell that names an email column.

    Raises:
        InputError: every row is blank, the override names no usable row, no header can be
            found, a row above the header holds an email address, or the file holds a second
            header with other column names (two exports joined).
    """
    rows = [_Row(i, number, cells) for i, (number, cells) in enumerate(records)]
    nonblank = [r for r in rows if r.filled]
    if override is not None:
        index = _pick_override(records, name, override)
        return index, _choice(rows, index, "given with --header-row")
    if not nonblank:
        raise InputError(
            f"{name} has no header row (it holds only blank lines); "
            "put the column names on the first line and run again."
        )
    found = _search(nonblank, email_header)
    if found is None:
        raise _no_header(name, nonblank, email_header)
    header, evidence = found
    _check_rows_above(name, nonblank, header)
    _check_second_header(name, nonblank, header, email_header)
    return header.index, _choice(rows, header.index, evidence)


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


def is_header_repeat(cells: Sequence[str], headers: Sequence[str]) -> bool:
    """Does this data row repeat the column names (a second header of a joined file)?

    True when every non-empty header cell within the row's width is matched, trimmed and
    in any case, by the row's cell at its position, and at least half of the header's
    named columns are within the row (a wider second header of the same export counts).
    """
    named = [(p, h.strip().casefold()) for p, h in enumerate(headers) if h.strip()]
    if not named:
        return False
    within = [(p, h) for p, h in named if p < len(cells)]
    if len(within) * 2 < len(named):
        return False
    return all(cells[p].strip().casefold() == h for p, h in within)


# --------------------------------------------------------------------------------------------
# What one row looks like
# --------------------------------------------------------------------------------------------


@dataclass
class _Row:
    index: int
    number: int
    cells: list[str]

    def __post_init__(self) -> None:
        values = [c.strip(BLANK_CHARS) for c in self.cells]
        self.width = filled_width(values)
        present = [v for v in values if v]
        self.filled = len(present)
        self.emails = frozenset(p for p, v in enumerate(values) if v and _EMAIL.fullmatch(v))
        self.first = present[0] if present else ""
        names = sum(_is_name(v) for v in present)
        distinct = len({v.casefold() for v in present})
        # Names only, though perhaps few: an export whose other columns have no names.
        self.names_only = (
            self.filled > 0
            and not self.emails
            and not any(_URL.match(v) for v in present)
            and names * 5 >= self.filled * 4  # mostly names: 4 in 5
            and distinct * 2 >= self.filled  # mostly distinct (exports repeat a few)
        )
        self.name_like = self.names_only and self.filled * 2 >= self.width  # mostly non-empty

    def text(self) -> str:
        joined = ", ".join(c.strip() for c in self.cells if c.strip())
        return joined if len(joined) <= 40 else joined[:39] + "\u2026"

    def names(self, email_header: Callable[[str], bool]) -> list[int]:
        """Positions of cells naming an email column."""
        return [p for p, c in enumerate(self.cells) if c.strip() and email_header(c)]


def _is_name(value: str) -> bool:
    return len(value) <= _NAME_MAX and _NUMERIC.fullmatch(value) is None


# --------------------------------------------------------------------------------------------
# The search
# --------------------------------------------------------------------------------------------


def _search(nonblank: list[_Row], email_header: Callable[[str], bool]) -> tuple[_Row, str] | None:
    """The header row and why, by the tiers of docs/reading.md; None when there is none."""
    found = _tiers(nonblank, email_header, lambda row: row.number <= SCAN_ROWS)
    if found is not None:
        return found
    if _tiers(nonblank, email_header, lambda row: row.number > SCAN_ROWS) is not None:
        return None  # the header is further down: refused with --header-row to that row
    first = nonblank[0]
    if (
        first.number <= SCAN_ROWS
        and not first.emails
        and not (first.filled == 1 and _wider_rows_follow(nonblank))
    ):
        return (
            first,
            "the first non-blank row; no row names an email column with addresses under it",
        )
    return None


def _tiers(
    nonblank: list[_Row], email_header: Callable[[str], bool], where: Callable[[_Row], bool]
) -> tuple[_Row, str] | None:
    """The first row of the best tier among the rows ``where`` allows."""
    widest_above = _widest_above(nonblank)
    tiers: list[tuple[_Row, str] | None] = [None, None, None]
    for k, row in enumerate(nonblank):
        if not where(row) or not row.names_only:
            continue
        block = _block(nonblank, k)
        named = set(row.names(email_header))
        wide_enough = row.width >= widest_above[k]
        if tiers[0] is None and wide_enough and block:
            under = sum(bool(b.emails & named) for b in block)
            if under * 2 >= len(block):
                tiers[0] = row, _evidence(row, block, named, "names the email column")
                break  # nothing beats the first of the first tier
        if not row.name_like:
            # Mostly empty (",,Email"): the header only by the first tier's evidence, the
            # addresses under the column it names; else a group or title row.
            continue
        if tiers[1] is None and named and row.width > widest_above[k] and _fits(row, block):
            cells = ", ".join(row.cells[p].strip() for p in sorted(named))
            tiers[1] = row, f"names the email column ({cells}) and is wider than the rows above it"
        if tiers[2] is None and wide_enough and block:
            columns = {p for p, c in enumerate(row.cells) if c.strip()}
            under = sum(bool(b.emails & columns) for b in block)
            if under * 2 >= len(block):
                tiers[2] = row, _evidence(row, block, columns, "its column")
    return next((tier for tier in tiers if tier is not None), None)


def _evidence(row: _Row, block: list[_Row], columns: set[int], what: str) -> str:
    used = sorted(p for p in columns if any(p in b.emails for b in block))
    cells = ", ".join(row.cells[p].strip() for p in used)
    holding = sum(bool(b.emails & set(used)) for b in block)
    return (
        f"{what} {cells}, and {holding} of the {len(block)} rows under it hold an email "
        "address there"
    )


def _widest_above(nonblank: list[_Row]) -> list[int]:
    out, widest = [], 0
    for row in nonblank:
        out.append(widest)
        widest = max(widest, row.width)
    return out


def _block(nonblank: list[_Row], k: int) -> list[_Row]:
    """The rows a candidate header at ``nonblank[k]`` heads: up to BLOCK_ROWS non-blank rows
    under it, ending before the next row that reads like column names."""
    block = []
    for row in nonblank[k + 1 : k + 1 + BLOCK_ROWS]:
        if row.name_like:
            break
        block.append(row)
    return block


def _fits(row: _Row, block: list[_Row]) -> bool:
    """Its cells fill the width the rows under it use, and theirs fit in its width."""
    return not block or (
        row.width <= max(len(b.cells) for b in block)
        and max(b.width for b in block) <= len(row.cells)
    )


def _wider_rows_follow(nonblank: list[_Row]) -> bool:
    """Are most of the rows under the first non-blank one two or more cells wide?"""
    after = [r.width for r in nonblank[1:21]]
    return bool(after) and sum(w >= 2 for w in after) * 2 > len(after)


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------


def _no_header(name: str, nonblank: list[_Row], email_header: Callable[[str], bool]) -> InputError:
    """The sentence for a file whose header was not found (always suggests --header-row)."""
    later = _tiers(nonblank, email_header, lambda row: row.number > SCAN_ROWS)
    if later is not None:
        row = later[0]
        return InputError(
            f"{name}: no header row found in its first {SCAN_ROWS} rows, but row {row.number} "
            f"reads like column names ({row.text()}); pass --header-row {row.number} if the "
            "column names are there."
        )
    first = nonblank[0]
    if first.emails:
        address = first.cells[min(first.emails)].strip()
        return InputError(
            f"{name}: row {first.number} holds an email address ({address}), so it is a lead, "
            "not column names; put a header row (such as Email,First Name) above it, or pass "
            "--header-row N with the row that holds the column names."
        )
    return InputError(
        f"{name}: no header row found (none of its first {SCAN_ROWS} rows reads like column "
        "names above rows holding email addresses or names an email column such as Email or "
        f"E-mail Address); pass --header-row N with the row that holds the column names."
    )


def _check_rows_above(name: str, nonblank: list[_Row], header: _Row) -> None:
    """Refuse when a row above the header holds an email address (it would vanish).

    A labelled note (``Email:,ops@example.com``, ``Exported by:,...``: its first cell ends
    with a colon) is a preamble line, not a lead, and is skipped like the others.
    """
    above = [r for r in nonblank if r.index < header.index]
    for k, row in enumerate(above):
        if not row.emails or row.first.endswith(":"):
            continue
        address = row.cells[min(row.emails)].strip()
        heads = [r for r in above[:k] if r.name_like]
        if heads:
            n = heads[-1].number
            hint = (
                f"pass --header-row {n} to read it under the column names on row {n}, or "
                f"move it below row {header.number}"
            )
        else:
            hint = f"move it below row {header.number} or delete it"
        raise InputError(
            f"{name}: row {row.number} holds an email address ({address}) above the header "
            f"found on row {header.number}, so it would not be imported; {hint}, and run again."
        )


def _check_second_header(
    name: str, nonblank: list[_Row], header: _Row, email_header: Callable[[str], bool]
) -> None:
    """Refuse a second header with other column names and leads under it (two exports joined
    with ``cat``): the rows under it would be read under the wrong columns."""
    start = next(k for k, r in enumerate(nonblank) if r.index == header.index)
    own = [c.strip().casefold() for c in header.cells[: header.width]]
    for k in range(start + 1, len(nonblank)):
        row = nonblank[k]
        if row.number > SCAN_ROWS:
            return
        if not row.name_like:
            continue
        if [c.strip().casefold() for c in row.cells[: row.width]] == own:
            continue  # the same header again: that row is rejected as a repeat, see chunks
        named = set(row.names(email_header))
        block = _block(nonblank, k)
        if not named or not block or sum(bool(b.emails & named) for b in block) * 2 < len(block):
            continue
        leads = [r.number for r in nonblank[start + 1 : k]]
        if not leads:
            continue
        span = f"row {leads[0]}" if len(leads) == 1 else f"rows {leads[0]}-{leads[-1]}"
        raise InputError(
            f"{name}: {span} are leads under the header on row {header.number}, but row "
            f"{row.number} starts other column names ({row.text()}), as when two exports are "
            f"joined; split the file at row {row.number}, or pass --header-row "
            f"{header.number} to read every row under the names on row {header.number} "
            "(rows that do not fit are rejected)."
        )


# --------------------------------------------------------------------------------------------
# The record of the decision, and --header-row
# --------------------------------------------------------------------------------------------


def _choice(rows: list[_Row], index: int, evidence: str) -> HeaderChoice:
    header = rows[index]
    skipped = []
    for row in rows[:index]:
        if not row.filled:
            continue
        if row.name_like and row.filled > 1:
            kind = "column names"
        elif row.first.endswith(":") or (row.filled == 2 and not row.name_like):
            kind = "note"
        elif row.filled == 1:
            kind = "title"
        else:
            kind = "text"
        skipped.append(SkippedRow(row=row.number, kind=kind, text=row.text()))
    blank = max(header.number - 1 - len(skipped), 0)
    return HeaderChoice(
        row=header.number, evidence=evidence, skipped=tuple(skipped), blank_above=blank
    )


def _pick_override(records: Sequence[Record], name: str, row: int) -> int:
    for index, (number, cells) in enumerate(records):
        if number == row:
            if is_blank_row(cells):
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
