"""A workbook's rows become the chunks that the record rules give (``readers.base``): the
inline path for plain data rows decides nothing that ``add_record`` would decide otherwise."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from foxreach_cli.readers.base import Source
from foxreach_cli.readers.header import repeat_reason
from foxreach_cli.reasons import ReasonCode, encode_cell
from foxreach_cli.stage_data import ROW_ERROR_COLUMN, Chunk, SourceInfo

HEADERS = ["Email", " First Name ", "", "Company"]
COLUMNS = ["Email", "First Name", "column 3", "Company"]

#: Cells that touch every rule: blank-looking ones, a header's name in another case and with
#: spaces, ordinary text.
CELL = st.sampled_from(
    ["", " ", "\t", "\x1a", "EMAIL", " email ", "First Name", "x", "ann@example.com"]
) | st.text(max_size=3)

Shown = list[tuple[list[int], list[list[str]], list[str] | None]]


class _Rows(Source):
    """A source of the given records, header on row 1."""

    def __init__(self, records: list[tuple[int, list[str]]], chunk_rows: int) -> None:
        info = SourceInfo(
            file="leads.xlsx", format="xlsx", headers=HEADERS, columns=COLUMNS, header_row=1
        )
        super().__init__(info, Path("leads.xlsx"), chunk_rows, temp=False)
        self.records = records

    def inline(self) -> list[Chunk]:
        return list(self._chunks_from_rows(iter(self.records)))

    def by_rules(self) -> list[Chunk]:
        return list(self._chunks_from_records((n, list(cells)) for n, cells in self.records))


def shown(chunks: list[Chunk]) -> Shown:
    out: Shown = []
    for chunk in chunks:
        frame = chunk.frame
        reasons = list(frame[ROW_ERROR_COLUMN]) if ROW_ERROR_COLUMN in frame else None
        cells = frame.drop(columns=[ROW_ERROR_COLUMN], errors="ignore").values.tolist()
        out.append((chunk.rows.tolist(), cells, reasons))
    return out


@given(rows=st.lists(st.lists(CELL, max_size=7), max_size=40), chunk_rows=st.integers(1, 7))
def test_the_inline_path_gives_the_chunks_the_record_rules_give(
    rows: list[list[str]], chunk_rows: int
) -> None:
    source = _Rows([(n, cells) for n, cells in enumerate(rows, start=2)], chunk_rows)
    assert shown(source.inline()) == shown(source.by_rules())


def test_a_blank_row_is_left_out_and_a_repeat_or_long_row_is_flagged() -> None:
    source = _Rows(
        [
            (2, ["ann@example.com", "Ann"]),
            (3, [" ", "\t"]),
            (4, ["EMAIL", "first name ", "", "company"]),
            (5, ["bo@example.com", "Bo", "", "Acme", "stray"]),
        ],
        chunk_rows=10,
    )
    [chunk] = source.inline()
    assert chunk.rows.tolist() == [2, 4, 5]
    assert chunk.frame["Company"].tolist() == ["", "company", "Acme"]
    assert chunk.frame[ROW_ERROR_COLUMN].tolist() == [
        "",
        repeat_reason(1),
        encode_cell(ReasonCode.LONG_ROW.of(5, 4)),
    ]
