"""A workbook's parts are read as zipfile reads them (the same bytes, the same refusals), and a
sheet's merged ranges are found whatever their number and wherever the rows end."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foxreach_cli.errors import InputError
from foxreach_cli.read import open_source
from foxreach_cli.readers import xlsx
from foxreach_cli.readers.xlsx import XlsxBook
from tests.unit.test_xlsx_fast_path import HEADER, book_with

SHEET = "xl/worksheets/sheet1.xml"


@settings(max_examples=25, deadline=None)
@given(
    size=st.integers(0, 1_500_000),
    level=st.integers(0, 9),
    method=st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]),
    seed=st.integers(0, 1000),
)
def test_a_part_reads_as_zipfile_reads_it(
    tmp_path_factory: pytest.TempPathFactory, size: int, level: int, method: int, seed: int
) -> None:
    # Text that deflates about as a sheet does, over several blocks of either side.
    words = [b"<c r=", b'"A1"', b"<v>", b"</v>", b"ann@example.com", bytes(range(256))]
    rng = random.Random(seed)
    data = b"".join(rng.choice(words) for _ in range(size // 8))[:size]
    path = tmp_path_factory.mktemp("zip") / "parts.zip"
    with zipfile.ZipFile(path, "w", method, compresslevel=level) as archive:
        archive.writestr("before.xml", b"x" * 100)
        archive.writestr(SHEET, data)
    with zipfile.ZipFile(path) as archive:
        blocks = list(xlsx.read_capped(archive, SHEET, len(data), "parts.zip"))
        assert b"".join(blocks) == archive.read(SHEET)
    assert all(len(block) <= xlsx._BLOCK for block in blocks)


def test_a_part_that_deflates_a_thousand_to_one_comes_in_blocks(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(SHEET, b" " * (64 << 20))
    with zipfile.ZipFile(path) as archive:
        sizes = [len(block) for block in xlsx.read_capped(archive, SHEET, 1 << 30, "bomb.zip")]
    assert sum(sizes) == 64 << 20
    assert max(sizes) == xlsx._BLOCK


def test_two_readers_of_one_archive_keep_their_own_place(tmp_path: Path) -> None:
    path = tmp_path / "two.zip"
    first, second = bytes(range(256)) * 4000, b"lead,row\n" * 200_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", first)
        archive.writestr("b.xml", second)
    with zipfile.ZipFile(path) as archive:
        a = xlsx.read_capped(archive, "a.xml", 1 << 30, "two.zip")
        b = xlsx.read_capped(archive, "b.xml", 1 << 30, "two.zip")
        got_a, got_b = [], []
        for block_a, block_b in zip(a, b, strict=False):
            got_a.append(block_a)
            got_b.append(block_b)
        got_a.extend(a)
        got_b.extend(b)
    assert b"".join(got_a) == first
    assert b"".join(got_b) == second


def test_a_damaged_sheet_is_refused_in_one_sentence(tmp_path: Path) -> None:
    rows = HEADER + "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>lead{n}@example.com</t></is></c></row>'
        for n in range(2, 2000)
    )
    path = book_with(tmp_path, rows)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET)
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(SHEET)
    raw[start + 200 : start + 260] = b"\xff" * 60  # the deflated data, not the headers
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError) as caught, open_source(str(path)) as source:
        list(source.chunks())
    message = str(caught.value)
    assert message.startswith(f"{path} is not a valid XLSX workbook (")
    assert message.endswith(
        "open it in Excel, save it again as .xlsx (or export CSV) and run again."
    )
    assert "\n" not in message


def _merge_rows(count: int) -> str:
    return HEADER + "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>lead{n}@example.com</t></is></c>'
        + (f'<c r="B{n}" t="inlineStr"><is><t>Acme {n}</t></is></c>' if n % 2 == 0 else "")
        + "</row>"
        for n in range(2, count + 2)
    )


@pytest.mark.parametrize("ranges", [1, 40_000])  # a few, and more than the blocks kept
def test_merged_ranges_are_found_after_many_rows_however_many(tmp_path: Path, ranges: int) -> None:
    rows = _merge_rows(2 * ranges)
    merges = "".join(f'<mergeCell ref="B{n}:B{n + 1}"/>' for n in range(2, 2 * ranges + 2, 2))
    path = book_with(
        tmp_path, rows, tail=f'<mergeCells count="{ranges}">{merges}</mergeCells><pageMargins/>'
    )
    book = XlsxBook(path, "book.xlsx")
    try:
        found = book.merged_ranges(0)
        assert found == [(n, 1, n + 1, 1) for n in range(2, 2 * ranges + 2, 2)]
        last = list(book.rows(0, 3))[-1]
        assert last == (
            2 * ranges + 1,
            [f"lead{2 * ranges + 1}@example.com", f"Acme {2 * ranges}"],
            [],
            2,
        )
    finally:
        book.close()


def test_merged_ranges_of_a_sheet_with_a_namespace_prefix_are_found(tmp_path: Path) -> None:
    ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    cells = "".join(
        f'<x:row r="{n}"><x:c r="A{n}" t="inlineStr"><x:is><x:t>lead{n}@example.com</x:t></x:is>'
        f'</x:c><x:c r="B{n}" t="inlineStr"><x:is><x:t>{"Acme" if n == 2 else ""}</x:t></x:is>'
        "</x:c></x:row>"
        for n in range(2, 40_000)
    )
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet {ns}><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Email</x:t></x:is></x:c>'
        '<x:c r="B1" t="inlineStr"><x:is><x:t>Company</x:t></x:is></x:c></x:row>'
        f'{cells}</x:sheetData><x:mergeCells count="1"><x:mergeCell ref="B2:B4"/>'
        "</x:mergeCells></x:worksheet>"
    )
    path = book_with(tmp_path, "", head=head)
    book = XlsxBook(path, "book.xlsx")
    try:
        assert book.merged_ranges(0) == [(2, 1, 4, 1)]
        assert [cells for _n, cells, _far, _last in book.rows(0, 3)][1:4] == [
            ["lead2@example.com", "Acme"],
            ["lead3@example.com", "Acme"],
            ["lead4@example.com", "Acme"],
        ]
    finally:
        book.close()
