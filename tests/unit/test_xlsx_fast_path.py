"""The sheet's rows read with patterns (the fast path) are the rows expat reads, whatever the
sheet's XML looks like: what the patterns do not cover goes to expat, row by row or whole,
and a broken sheet is refused with the same sentence."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foxreach_cli.errors import InputError
from foxreach_cli.readers import numfmt, xlsx
from foxreach_cli.readers.xlsx import XlsxBook

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} xmlns:r="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Leads" '
    'sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
    'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
# Styles: 0 General, 1 '#,##0.00', 2 a date, 3 text '@', 4 a text section with a literal.
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {_NS}><numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
    '<numFmt numFmtId="165" formatCode="0;-0;0;&quot;id-&quot;@"/></numFmts>'
    '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="4"/><xf numFmtId="164"/>'
    '<xf numFmtId="49"/><xf numFmtId="165"/></cellXfs></styleSheet>'
)
_SHARED = (
    f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="4" uniqueCount="4">'
    "<si><t>Email</t></si><si><t>Name</t></si><si><t>ann@example.com</t></si>"
    "<si><r><t>Ri</t></r><r><t>ch</t></r><rPh><t>ph</t></rPh></si></sst>"
)


def book_with(tmp_path: Path, rows: str, *, head: str = "", tail: str = "") -> Path:
    """A workbook whose only sheet holds ``rows`` inside sheetData (or ``head`` for the
    whole XML when it has no sheetData of its own)."""
    sheet = (
        head
        or f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {_NS}>'
        f'<dimension ref="A1:D9"/><sheetData>{rows}</sheetData>{tail}</worksheet>'
    )
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/sharedStrings.xml", _SHARED)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def both_ways(path: Path, keep: int = 3) -> tuple[list[xlsx.Row], list[xlsx.Row]]:
    """(the rows as the reader gives them, the rows expat alone gives)."""
    book = XlsxBook(path, "book.xlsx")
    try:
        read = list(book.rows(0, keep, merged=False))
        member = "xl/worksheets/sheet1.xml"
        expat = list(book._rows_expat(member, keep))
    finally:
        book.close()
    return read, expat


HEADER = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'

CASES = {
    "shared and inline strings": HEADER
    + '<row r="2" spans="1:2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="inlineStr">'
    "<is><t>Ann</t></is></c></row>",
    "numbers under formats": HEADER
    + '<row r="2"><c r="A2"><v>42</v></c><c r="B2" s="1"><v>1234.5</v></c>'
    '<c r="C2" s="2"><v>45000</v></c><c r="D2" s="1" t="n"><v>-0.004</v></c></row>'
    '<row r="3"><c r="A3"><v>0.1</v></c><c r="B3" s="1"><v>1234.5</v></c>'
    '<c r="C3" s="2"><v>-3</v></c><c r="D3"><v>007</v></c></row>',
    "booleans, errors, formulas, dates as text": HEADER
    + '<row r="2"><c r="A2" t="b"><v>1</v></c><c r="B2" t="e"><v>#N/A</v></c>'
    '<c r="C2" t="str"><f>A1&amp;"x"</f><v>Emailx</v></c>'
    '<c r="D2" s="1"><f t="shared" ref="D2:D3" si="0"/><v>3</v></c></row>'
    '<row r="3"><c r="A3" t="d"><v>2024-02-29</v></c><c r="B3"><f>1+1</f></c></row>',
    "text formats": HEADER
    + '<row r="2"><c r="A2" s="3" t="s"><v>2</v></c><c r="B2" s="4" t="inlineStr">'
    '<is><t>77</t></is></c><c r="C2" s="4"><v>-5</v></c></row>'
    '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" t="inlineStr" s="4"><is><t>8</t>'
    "</is></c></row>",
    "entities and line ends": HEADER
    + '<row r="2"><c r="A2" t="inlineStr"><is><t>AT&amp;T &lt;x&gt; &#233;&#x1F600;'
    '&quot;&apos;</t></is></c><c r="B2" t="inlineStr"><is><t xml:space="preserve">'
    "  two\r\nlines\rthree&#13;</t></is></c></row>",
    "rich text and phonetic guides": HEADER
    + '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="inlineStr"><is><r><rPr><b/>'
    "</rPr><t>Bo</t></r><r><t>ld</t></r><rPh><t>x</t></rPh></is></c></row>",
    "attributes in another order and missing": HEADER
    + '<row spans="1:2" r="4"><c t="s" r="A4"><v>2</v></c><c s="1" r="B4"><v>2</v></c>'
    '</row><row><c t="inlineStr"><is><t>no ref</t></is></c><c><v>5</v></c></row>'
    '<row r="9"><c r="B9" cm="1"><v>1</v></c><c r="A9" t="inlineStr"><is><t>back</t>'
    "</is></c></row>",
    "empty cells and rows": HEADER
    + '<row r="2"/><row r="3"><c r="A3" s="1"/><c r="B3" t="inlineStr" /><c r="C3">'
    '<v/></c><c r="D3"><v></v></c></row><row r="4"><c r="C4" t="inlineStr"><is><t>gap'
    '</t></is></c></row><row r="5" customHeight="1" ht="30"></row>',
    "beyond the kept width": HEADER
    + '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="F2"><v>6</v></c><c r="XFD2">'
    '<v>7</v></c><c r="ZZZ2"><v>8</v></c></row>',
    "pretty printed": HEADER
    + '\n  <row r="2">\n    <c r="A2" t="s">\n      <v>2</v>\n    </c>\n  </row>\n'
    '  <row r="3"><c r="A3" t="inlineStr"><is><t>x</t></is></c></row>\n',
    "a comment among the rows": HEADER
    + '<!-- </row> --><row r="2"><c r="A2" t="s"><v>2</v></c></row><?pi x?>',
    "bad shared string indexes": HEADER
    + '<row r="2"><c r="A2" t="s"><v>99</v></c><c r="B2" t="s"><v>x</v></c>'
    '<c r="C2" t="s"><v>-1</v></c></row>',
}


@pytest.mark.parametrize("block", [xlsx._BLOCK, 7, 64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_fast_path_reads_what_expat_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, block: int
) -> None:
    monkeypatch.setattr(xlsx, "_BLOCK", block)  # rows and tags cut across blocks
    read, expat = both_ways(book_with(tmp_path, CASES[case]))
    assert read == expat
    assert read[0][1][:2] == ["Email", "Name"]


def test_what_the_fast_path_reads_is_as_displayed(tmp_path: Path) -> None:
    read, _ = both_ways(book_with(tmp_path, CASES["numbers under formats"]), keep=4)
    assert read[1] == (2, ["42", "1,234.50", "15/03/2023", "0.00"], [], 4)
    assert read[2][1] == ["0.1", "1,234.50", "-3", "007"]  # a negative date: General
    read, _ = both_ways(book_with(tmp_path, CASES["entities and line ends"]))
    assert read[1][1] == ["AT&T <x> é😀\"'", "  two\nlines\nthree\r"]


def test_a_namespace_prefix_is_read_by_expat(tmp_path: Path) -> None:
    x = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    head = (
        f'<?xml version="1.0"?><x:worksheet {x}><x:sheetData><x:row r="1"><x:c r="A1" '
        't="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c></x:row>'
        '<x:row r="2"><x:c r="A2" t="s"><x:v>2</x:v></x:c></x:row></x:sheetData>'
        "</x:worksheet>"
    )
    read, expat = both_ways(book_with(tmp_path, "", head=head))
    assert read == expat == [(1, ["Email", "Name"], [], 2), (2, ["ann@example.com"], [], 1)]


def test_another_encoding_is_read_by_expat(tmp_path: Path) -> None:
    xml = (
        f'<?xml version="1.0" encoding="UTF-16"?><worksheet {_NS}><sheetData>{HEADER}'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Zoë</t></is></c></row></sheetData>'
        "</worksheet>"
    )
    path = book_with(tmp_path, "")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/worksheets/sheet2.xml", xml.encode("utf-16"))
    rels = _RELS.replace("sheet1.xml", "sheet2.xml")
    fresh = tmp_path / "utf16.xlsx"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(fresh, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = rels.encode()
            new.writestr(item, data)
    book = XlsxBook(fresh, "utf16.xlsx")
    try:
        assert list(book.rows(0, 3))[1] == (2, ["Zoë"], [], 1)
    finally:
        book.close()


def test_merged_ranges_still_fill_the_rows_read_fast(tmp_path: Path) -> None:
    rows = (
        HEADER + '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="inlineStr"><is><t>'
        'Acme</t></is></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>bo@example.com'
        "</t></is></c></row>"
    )
    path = book_with(
        tmp_path, rows, tail='<mergeCells count="1"><mergeCell ref="B2:B3"/></mergeCells>'
    )
    book = XlsxBook(path, "book.xlsx")
    try:
        assert list(book.rows(0, 3))[2] == (3, ["bo@example.com", "Acme"], [], 2)
    finally:
        book.close()


def _refusal(path: Path, *, fast: bool) -> str:
    book = XlsxBook(path, "book.xlsx")
    try:
        with pytest.raises(InputError) as caught:
            if fast:
                list(book.rows(0, 3, merged=False))
            else:
                list(book._rows_expat("xl/worksheets/sheet1.xml", 3))
        return str(caught.value)
    finally:
        book.close()


@pytest.mark.parametrize(
    "rows",
    [
        HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>bell\x07</t></is></c></row>',
        HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>&bogus;</t></is></c></row>',
        HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>&#1;</t></is></c></row>',
        HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>x</is></c></row>',
        HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="1048577"><c r="A1048577"><v>1</v></c></row>',
    ],
    ids=["control character", "unknown entity", "bad reference", "mismatched tag", "row cap"],
)
def test_a_broken_sheet_is_refused_as_expat_refuses_it(tmp_path: Path, rows: str) -> None:
    path = book_with(tmp_path, rows)
    assert _refusal(path, fast=True) == _refusal(path, fast=False)


def test_a_sheet_cut_short_is_refused_as_expat_refuses_it(tmp_path: Path) -> None:
    head = f'<?xml version="1.0"?><worksheet {_NS}><sheetData>{HEADER}<row r="2">'
    path = book_with(tmp_path, "", head=head)
    message = _refusal(path, fast=True)
    assert message == _refusal(path, fast=False)
    assert "is not a valid XLSX workbook (xl/worksheets/sheet1.xml: no element found" in message


def test_a_cell_too_long_is_refused_on_the_fast_path(tmp_path: Path) -> None:
    long = "x" * (xlsx.MAX_CELL_CHARS + 1)
    path = book_with(
        tmp_path, HEADER + f'<row r="2"><c r="A2" t="inlineStr"><is><t>{long}</t></is></c></row>'
    )
    message = _refusal(path, fast=True)
    assert message == _refusal(path, fast=False)
    assert "holds a cell longer than" in message


def test_cells_without_a_style_take_the_first_style(tmp_path: Path) -> None:
    path = book_with(
        tmp_path,
        HEADER + '<row r="2"><c r="A2"><v>2.5</v></c><c r="B2" t="n">'
        '<v>3</v></c></row><row r="3"><c r="C3"><v>4</v></c></row>',
    )
    fresh = tmp_path / "first.xlsx"
    styles = _STYLES.replace(
        '<xf numFmtId="0"/><xf numFmtId="4"/>', '<xf numFmtId="2"/><xf numFmtId="4"/>'
    )
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(fresh, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            new.writestr(item, styles.encode() if item.filename == "xl/styles.xml" else data)
    read, expat = both_ways(fresh)
    assert read == expat
    assert read[1:] == [(2, ["2.50", "3.00"], [], 2), (3, ["", "", "4.00"], [], 3)]


@given(
    raw=st.one_of(
        st.from_regex(r"\A[0-9]{1,11}(\.[0-9]{0,6})?\Z"),
        st.floats(min_value=0, max_value=1e12).map(repr),
        st.text(max_size=8),
    ),
    code=st.sampled_from(["0", "0.00", "#,##0", "#,##0.00", "#,##0.0000", "0.0"]),
)
def test_a_plain_number_read_from_its_text_is_what_its_format_shows(raw: str, code: str) -> None:
    fmt = numfmt.compile_format(code)
    assert isinstance(fmt, numfmt.PlainNumber)
    quick = xlsx._quick_number(raw, fmt)
    if quick is not None:
        assert quick == fmt(float(raw))


def test_a_sheet_found_unusual_late_is_read_on_by_expat_past_the_rows_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "_BLOCK", 64)
    monkeypatch.setattr(xlsx, "MAX_FAST_ROW_BYTES", 300)  # the last row is longer
    rows = HEADER + "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>lead{n}@example.com</t></is></c></row>'
        for n in range(2, 40)
    )
    rows += '<row r="40"><c r="A40" t="inlineStr"><is><t>' + "x" * 400 + "</t></is></c></row>"
    path = book_with(tmp_path, rows)
    book = XlsxBook(path, "book.xlsx")
    try:
        state = xlsx._FastState()
        fast = book._rows_fast("xl/worksheets/sheet1.xml", 3, state)
        with pytest.raises(xlsx._Unusual):
            list(fast)
        assert 1 < state.yielded < 40  # the fast path gave rows before it gave up
    finally:
        book.close()
    read, expat = both_ways(path)
    assert read == expat
    assert [n for n, *_ in read] == list(range(1, 41))
