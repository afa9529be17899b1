"""Hostile workbooks stay within a fixed memory bound, or are refused with one sentence.

Each bomb is read in a fresh process (the whole READ stage: open, header, every chunk) and
its peak RSS is asserted: the bound the reader promises is 500 MB (docs/reading.md), and
these small bombs must stay far below it. Caps that would take long to reach with real sizes
are proven in-process with the cap lowered.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from foxreach_cli.errors import InputError
from foxreach_cli.read import open_source, read_rows
from foxreach_cli.readers import xlsx
from foxreach_cli.reasons import ReasonCode, encode_cell

#: The peak RSS a bomb may take here (the process with pandas loaded is ~100 MB).
PEAK_MB = 300

_READ = """
import json, sys
from foxreach_cli.errors import InputError
from foxreach_cli.read import open_source, read_rows
out = {"rows": 0, "error": None}
try:
    with open_source(sys.argv[1]) as source:
        out["headers"] = len(source.info.headers)
        for chunk in source.chunks():
            out["rows"] += len(chunk.rows)
            out["flagged"] = out.get("flagged", 0) + int(chunk.frame.shape[1] > out["headers"])
except InputError as exc:
    out["error"] = str(exc)
# VmHWM is this process's own peak; ru_maxrss would keep the parent's from before exec.
with open("/proc/self/status") as status:
    out["peak_mb"] = next(int(l.split()[1]) for l in status if l.startswith("VmHWM")) / 1024
print(json.dumps(out))
"""


def read_in_child(path: Path) -> dict:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _READ, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def with_sheet_xml(path: Path, sheet_xml: bytes | None = None, **parts: bytes) -> Path:
    """A workbook written by openpyxl, its first sheet's XML (and other parts) replaced."""
    book = Workbook()
    book.active.append(["Email"])
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    replace = dict(parts)
    if sheet_xml is not None:
        replace["xl/worksheets/sheet1.xml"] = sheet_xml
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = replace.pop(info.filename, None)
            dst.writestr(info.filename, src.read(info) if data is None else data)
        for member, data in replace.items():
            dst.writestr(member, data)
    plain.unlink()
    return path


def sheet(rows: str, dimension: str = "A1") -> bytes:
    return (
        f'<?xml version="1.0"?><worksheet {_NS}><dimension ref="{dimension}"/>'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def test_a_used_range_to_xfd_reads_the_header_width_in_bounded_memory(tmp_path: Path) -> None:
    # Under the header and its sample, 4000 rows each with a cell at XFD: the declared and
    # the real range is A1:XFD4301.
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
        + "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>p{n}@example.com</t></is></c></row>'
            for n in range(2, 302)
        )
        + "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>p{n}@example.com</t></is></c>'
            f'<c r="XFD{n}"><v>1</v></c></row>'
            for n in range(302, 4302)
        )
    )
    path = with_sheet_xml(tmp_path / "wide.xlsx", sheet(rows, "A1:XFD4301"))
    assert path.stat().st_size < 100_000
    out = read_in_child(path)
    assert (out["error"], out["headers"], out["rows"]) == (None, 1, 4300)
    assert out["flagged"] > 0  # each row's stray cell is flagged, not silently dropped
    assert out["peak_mb"] < PEAK_MB


def test_a_header_that_reaches_xfd_is_refused_in_one_sentence(tmp_path: Path) -> None:
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c>'
        '<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>'
        + "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>p{n}@example.com</t></is></c></row>'
            for n in range(2, 4002)
        )
    )
    path = with_sheet_xml(tmp_path / "wide.xlsx", sheet(rows, "A1:XFD4001"))
    out = read_in_child(path)
    assert out["error"] == (
        f"{path}: row 1 of sheet 'Sheet' reaches column XFD (16,384 columns), more than the "
        "1,024 a lead list is read with; delete the cells right of the last real column and "
        "run again."
    )
    assert out["peak_mb"] < PEAK_MB


def test_a_huge_shared_strings_table_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    # 200 MB of shared text (6,700 strings of 30,000 characters) in a 300 KB file.
    count = 6_700
    strings = (
        f'<?xml version="1.0"?><sst {_NS} count="{count}" uniqueCount="{count}">'
        + f"<si><t>{'abcdefghij' * 3000}</t></si>" * count
        + "</sst>"
    ).encode()
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    path = with_sheet_xml(
        tmp_path / "strings.xlsx", sheet(rows), **{"xl/sharedStrings.xml": strings}
    )
    assert path.stat().st_size < 1_000_000
    out = read_in_child(path)
    assert out["error"] == (
        f"{path} holds more than 6,000,000 distinct texts or 160 MB of them, beyond what a "
        "lead list needs; split the workbook or export CSV, and run again."
    )
    assert out["peak_mb"] < PEAK_MB


def test_shared_strings_beyond_the_count_cap_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    strings = f"<sst {_NS}>{'<si><t>a</t></si>' * 11}</sst>".encode()
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    path = with_sheet_xml(tmp_path / "many.xlsx", sheet(rows), **{"xl/sharedStrings.xml": strings})
    monkeypatch.setattr(xlsx, "MAX_SHARED_STRINGS", 10)
    with pytest.raises(InputError, match=r"holds more than 10 distinct texts or 160 MB of them"):
        open_source(str(path))


def test_shared_strings_are_read_back_exactly(tmp_path: Path) -> None:
    texts = ["Email", "ann@example.com", "Zoë Ünïcode 山田 🦊", "", " padded "]
    strings = "".join(
        f'<si><t xml:space="preserve">{t}</t></si>' if t else "<si><t/></si>" for t in texts
    )
    xml = f"<sst {_NS}>{strings}<si><r><t>rich </t></r><r><t>text</t></r>"
    xml += "<rPh><t>phonetic</t></rPh></si></sst>"
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + "".join(
        f'<row r="{n}"><c r="A{n}" t="s"><v>{n - 1}</v></c></row>' for n in range(2, 7)
    )
    path = with_sheet_xml(
        tmp_path / "s.xlsx", sheet(rows), **{"xl/sharedStrings.xml": xml.encode()}
    )
    with open_source(str(path)) as source:
        chunk = next(source.chunks())
    assert chunk.rows.tolist() == [2, 3, 5, 6]
    assert chunk.frame["Email"].tolist() == [
        "ann@example.com",
        "Zoë Ünïcode 山田 🦊",
        " padded ",
        "rich text",
    ]


def test_a_highly_compressed_sheet_streams_in_bounded_memory(tmp_path: Path) -> None:
    # 300 MB of blank space between two rows, deflated to a few hundred KB.
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
        + " " * (300 << 20)
        + '<row r="2"><c r="A2" t="inlineStr"><is><t>a@example.com</t></is></c></row>'
    )
    path = with_sheet_xml(tmp_path / "deflated.xlsx", sheet(rows))
    assert path.stat().st_size < 2_000_000
    out = read_in_child(path)
    assert (out["error"], out["rows"]) == (None, 1)
    assert out["peak_mb"] < PEAK_MB


def test_a_part_beyond_its_cap_is_refused_whatever_its_header_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>' + " " * 5000
    path = with_sheet_xml(tmp_path / "big.xlsx", sheet(rows))
    monkeypatch.setattr(xlsx, "MAX_SHEET_BYTES", 4096)
    with pytest.raises(InputError) as info, open_source(str(path)) as source:
        list(source.chunks())
    assert str(info.value) == (
        f"{path}: its part xl/worksheets/sheet1.xml expands to more than 0 MB, beyond what a "
        "lead list needs (a damaged or hostile file?); open it in Excel, save it again or "
        "export CSV, and run again."
    )


def test_a_header_that_lies_about_the_size_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # zipfile inflates no more than the header says, and the CRC then fails; the bytes are
    # also counted as they come, in case a reader ever believed the data over the header.
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>' + " " * 5000
    path = with_sheet_xml(tmp_path / "liar.xlsx", sheet(rows))
    monkeypatch.setattr(xlsx, "MAX_SHEET_BYTES", 4096)
    real_getinfo = zipfile.ZipFile.getinfo

    def lying(self: zipfile.ZipFile, member: str) -> zipfile.ZipInfo:
        info = real_getinfo(self, member)
        if member.endswith("sheet1.xml"):
            info.file_size = 100
        return info

    monkeypatch.setattr(zipfile.ZipFile, "getinfo", lying)
    with pytest.raises(InputError) as info, open_source(str(path)) as source:
        list(source.chunks())
    assert str(info.value) == (
        f"{path} is not a valid XLSX workbook (Bad CRC-32 for file 'xl/worksheets/sheet1.xml'); "
        "open it in Excel, save it again as .xlsx (or export CSV) and run again."
    )


def test_a_dtd_is_refused(tmp_path: Path) -> None:
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'
        f'<worksheet {_NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is>'
        "</c></row></sheetData></worksheet>"
    ).encode()
    path = with_sheet_xml(tmp_path / "dtd.xlsx", xml)
    with pytest.raises(InputError) as info:
        open_source(str(path))
    assert str(info.value) == (
        f"{path}: its part xl/worksheets/sheet1.xml declares a DTD, which no spreadsheet "
        "writes; open it in Excel, save it again or export CSV, and run again."
    )


def _ods(path: Path, body: str) -> Path:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Leads">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    return path


def test_ods_repeated_columns_and_rows_stay_in_bounded_memory(tmp_path: Path) -> None:
    # Under the header and its sample, a row repeating a text cell a million columns wide,
    # 4000 times over; then a run of a million empty rows to the edge, as LibreOffice writes.
    body = (
        "<table:table-row><table:table-cell><text:p>Email</text:p></table:table-cell>"
        "</table:table-row>"
        "<table:table-row table:number-rows-repeated='300'><table:table-cell>"
        "<text:p>a@example.com</text:p></table:table-cell></table:table-row>"
        "<table:table-row table:number-rows-repeated='4000'><table:table-cell>"
        "<text:p>a@example.com</text:p></table:table-cell><table:table-cell "
        "table:number-columns-repeated='1000000'><text:p>x</text:p></table:table-cell>"
        "</table:table-row>"
        "<table:table-row table:number-rows-repeated='1000000'><table:table-cell "
        "table:number-columns-repeated='16384'/></table:table-row>"
    )
    path = _ods(tmp_path / "repeat.ods", body)
    out = read_in_child(path)
    assert (out["error"], out["headers"], out["rows"]) == (None, 1, 4300)
    assert out["peak_mb"] < PEAK_MB


def test_a_cell_far_right_of_the_header_flags_its_row_and_is_kept(tmp_path: Path) -> None:
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Name</t></is></c></row>'
        + "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>p{n}@example.com</t></is></c></row>'
            for n in range(2, 302)
        )
        + '<row r="302"><c r="A302" t="inlineStr"><is><t>far@example.com</t></is></c>'
        '<c r="E302"><v>5</v></c><c r="XFD302"><v>7</v></c></row>'
    )
    path = with_sheet_xml(tmp_path / "far.xlsx", sheet(rows))
    with open_source(str(path)) as source:
        chunk = next(source.chunks())
        assert chunk.frame.iloc[-1].tolist()[:2] == ["far@example.com", ""]
        # The header's width plus 256 columns are kept in place, then the cells beyond.
        assert chunk.frame.iloc[-1].tolist()[2] == encode_cell(ReasonCode.LONG_ROW.of(259, 2))
        (again,) = read_rows(source, {302})
    assert again[1][:5] == ["far@example.com", "", "", "", "5"]
    assert again[1][-1] == "7"
