"""Old Excel .xls and OpenDocument .ods read like .xlsx, cells as displayed; the type comes
from the content, not the name; HTML saved as .xls and password-protected workbooks are
refused saying what they are."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlwt
from openpyxl import Workbook

from foxreach_cli.errors import InputError
from foxreach_cli.read import expand_inputs, open_source
from foxreach_cli.stage_data import SourceInfo

_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/"
  manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def write_ods(path: Path, rows: list[list[str]], body: str | None = None) -> Path:
    """A minimal OpenDocument spreadsheet with one sheet of text cells (or ``body``)."""
    body = body or "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>'
            if c
            else "<table:table-cell/>"
            for c in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Leads">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("META-INF/manifest.xml", _MANIFEST)
        archive.writestr("content.xml", content)
    return path


def test_an_ods_sheet_is_read_with_its_row_numbers(tmp_path: Path) -> None:
    path = write_ods(
        tmp_path / "leads.ods",
        [
            ["Contacts"],
            [],
            ["Email", "First Name"],
            ["ana@example.com", "Ana"],
            ["bo@example.com", "Bo"],
        ],
    )
    with open_source(str(path)) as source:
        assert (source.info.format, source.info.sheet, source.info.header_row) == (
            "ods",
            "Leads",
            3,
        )
        chunk = next(source.chunks())
        assert chunk.rows.tolist() == [4, 5]
        assert chunk.frame["Email"].tolist() == ["ana@example.com", "bo@example.com"]


def test_an_html_page_saved_as_xls_is_refused_saying_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "report.xls"
    path.write_text(
        "<html><body><table><tr><td>Email</td></tr><tr><td>a@example.com</td></tr></table>"
        "</body></html>",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        open_source(str(path))
    assert str(info.value).startswith(f"{path} is a web page (HTML) saved with a .xls name")


# A zip code, a social security number, a share, money, dates and times, text, General.
FORMATTED = [
    ("Email", "Zip", "SSN", "Share", "Price", "Revenue", "Signed", "US date", "Met", "At",
     "Code", "Phone", "Office", "Half", "Tag"),
    ("ann@example.com", (2134, "00000"), (123456789, "000-00-0000"), (0.5, "0%"),
     (3.5, "0.00"), (1234567.891, "#,##0.00"), (dt.date(2024, 1, 5), "yyyy-mm-dd"),
     (dt.date(2024, 1, 5), "mm/dd/yyyy"), (dt.date(2024, 1, 5), "d-mmm-yy"),
     (dt.time(9, 30), "h:mm"), (7, "@"), (415555010012345, "General"),
     (6175551234, "[<=9999999]###-####;(###) ###-####"), (0.5, "# ?/?"),
     ("Acme", '0;-0;0;"pre-"@')),
]  # fmt: skip
SHOWN = {
    "Email": "ann@example.com",
    "Zip": "02134",
    "SSN": "123-45-6789",
    "Share": "50%",
    "Price": "3.50",
    "Revenue": "1,234,567.89",
    "Signed": "2024-01-05",
    "US date": "01/05/2024",
    "Met": "5-Jan-24",
    "At": "9:30",
    "Code": "7",
    "Phone": "415555010012345",
    "Office": "(617) 555-1234",  # the section its condition chooses
    "Half": "1/2",
    "Tag": "pre-Acme",  # a text cell through the format's text section
}


def _first_row(path: Path) -> dict[str, str]:
    with open_source(str(path)) as source:
        chunk = next(source.chunks())
        assert source.info.notes == [] or "named" in source.info.notes[0]
        return {key: chunk.frame[key].iloc[0] for key in source.info.columns}


def test_xlsx_cells_are_read_as_excel_displays_them(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(FORMATTED[0])
    for col, cell in enumerate(FORMATTED[1], start=1):
        target = sheet.cell(row=2, column=col)
        if isinstance(cell, tuple):
            target.value, target.number_format = cell
        else:
            target.value = cell
    book.save(tmp_path / "leads.xlsx")
    assert _first_row(tmp_path / "leads.xlsx") == SHOWN


def _xls(path: Path) -> Path:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Leads")
    for col, header in enumerate(FORMATTED[0]):
        sheet.write(0, col, header)
    for col, cell in enumerate(FORMATTED[1]):
        if isinstance(cell, tuple):
            value, code = cell
            if isinstance(value, dt.time):
                value = dt.datetime.combine(dt.date(1900, 1, 1), value) - dt.datetime(1899, 12, 31)
                value = value.total_seconds() / 86400 % 1
            sheet.write(1, col, value, xlwt.easyxf(num_format_str=code))
        else:
            sheet.write(1, col, cell)
    book.save(str(path))
    return path


def test_xls_cells_are_read_as_excel_displays_them(tmp_path: Path) -> None:
    assert _first_row(_xls(tmp_path / "leads.xls")) == SHOWN


def test_ods_cells_keep_the_text_they_display(tmp_path: Path) -> None:
    # LibreOffice stores the number and the displayed text: the text is what a person sees.
    body = (
        "<table:table-row><table:table-cell office:value-type='string'><text:p>Email</text:p>"
        "</table:table-cell><table:table-cell office:value-type='string'><text:p>Zip</text:p>"
        "</table:table-cell><table:table-cell office:value-type='string'><text:p>Share</text:p>"
        "</table:table-cell><table:table-cell office:value-type='string'><text:p>Raw</text:p>"
        "</table:table-cell></table:table-row>"
        "<table:table-row><table:table-cell office:value-type='string'>"
        "<text:p>ann@example.com</text:p></table:table-cell>"
        "<table:table-cell office:value-type='float' office:value='2134'><text:p>02134</text:p>"
        "</table:table-cell><table:table-cell office:value-type='percentage' office:value='0.5'>"
        "<text:p>50%</text:p></table:table-cell>"
        "<table:table-cell office:value-type='float' office:value='4155550100'/>"
        # LibreOffice's trailing run of empty cells and rows to the sheet's edge.
        "<table:table-cell table:number-columns-repeated='16380'/></table:table-row>"
        "<table:table-row table:number-rows-repeated='1048574'><table:table-cell "
        "table:number-columns-repeated='16384'/></table:table-row>"
    )
    path = write_ods(tmp_path / "leads.ods", [], body)
    with open_source(str(path)) as source:
        chunks = list(source.chunks())
        assert source.info.headers == ["Email", "Zip", "Share", "Raw"]
    assert [chunk.rows.tolist() for chunk in chunks] == [[2]]
    assert chunks[0].frame.iloc[0].tolist() == ["ann@example.com", "02134", "50%", "4155550100"]


def test_ods_repeated_cells_and_rows_are_expanded_where_they_hold_text(tmp_path: Path) -> None:
    body = (
        "<table:table-row><table:table-cell><text:p>Email</text:p></table:table-cell>"
        "<table:table-cell table:number-columns-repeated='2'><text:p>Tag</text:p>"
        "</table:table-cell></table:table-row>"
        "<table:table-row table:number-rows-repeated='3'><table:table-cell/>"
        "</table:table-row>"
        "<table:table-row table:number-rows-repeated='2'><table:table-cell>"
        "<text:p>a@example.com</text:p></table:table-cell><table:table-cell "
        "table:number-columns-repeated='2'><text:p>x</text:p></table:table-cell>"
        "</table:table-row>"
    )
    path = write_ods(tmp_path / "leads.ods", [], body)
    with open_source(str(path)) as source:
        assert source.info.headers == ["Email", "Tag", "Tag"]
        chunk = next(source.chunks())
    assert chunk.rows.tolist() == [5, 6]
    assert chunk.frame.values.tolist() == [["a@example.com", "x", "x"]] * 2


def _xlsx(path: Path) -> Path:
    book = Workbook()
    book.active.append(["Email", "Zip"])
    book.active.append(["ann@example.com", "02134"])
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("make", "named", "kind", "words"),
    [
        (_xls, "renamed.xlsx", "xls", "an Excel .xls workbook"),
        (_xlsx, "renamed.ods", "xlsx", "an XLSX workbook"),
        (lambda p: write_ods(p, [["Email", "Zip"], ["ann@example.com", "02134"]]), "renamed.xlsx",
         "ods", "an ODS spreadsheet"),
    ],
)  # fmt: skip
def test_a_workbook_is_read_by_its_content_and_a_wrong_name_is_noted(
    tmp_path: Path, make, named: str, kind: str, words: str
) -> None:
    made = make(tmp_path / f"made.{kind}")
    path = tmp_path / named
    shutil.move(made, path)
    with open_source(str(path)) as source:
        assert source.info.format == kind
        assert source.info.notes[0] == (
            f"{path} is named {path.suffix} but holds {words}; it is read by its content."
        )
        chunk = next(source.chunks())
    assert chunk.frame["Email"].tolist() == ["ann@example.com"]


def test_a_password_protected_workbook_says_to_remove_the_password(tmp_path: Path) -> None:
    # An encrypted OOXML file is an OLE container whose directory names these two streams.
    path = tmp_path / "locked.xlsx"
    names = (
        "EncryptionInfo".encode("utf-16-le") + b"\0" * 50 + "EncryptedPackage".encode("utf-16-le")
    )
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000 + names + b"\0" * 512)
    with pytest.raises(InputError) as info:
        open_source(str(path))
    assert str(info.value) == (
        f"{path} is protected by a password; open it in Excel, remove the password (File > "
        "Info > Protect Workbook > Encrypt with Password, leave it empty), save it and run again."
    )


def test_a_broken_xls_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(InputError, match=r"is not a valid Excel \.xls workbook"):
        open_source(str(path))


def test_a_folder_picks_up_xls_and_ods_files(tmp_path: Path) -> None:
    for name in ("a.csv", "b.xls", "c.ods", "d.pdf"):
        (tmp_path / name).write_bytes(b"x")
    assert [Path(p).name for p in expand_inputs([str(tmp_path)])] == ["a.csv", "b.xls", "c.ods"]


def test_a_format_not_understood_is_general_and_noted(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Email", "Score", "Part"])
    sheet.append(["ann@example.com", 150, 1.25])
    sheet["B2"].number_format = "[DBNum1]0"
    sheet["C2"].number_format = "[$-F800]dddd, mmmm dd, yyyy"
    path = tmp_path / "leads.xlsx"
    book.save(path)
    with open_source(str(path)) as source:
        chunk = next(source.chunks())
        assert chunk.frame.iloc[0].tolist() == ["ann@example.com", "150", "1.25"]
        assert source.info.notes == [
            f"{path}: number formats not understood, shown as General: "
            "'[$-F800]dddd, mmmm dd, yyyy', '[DBNum1]0'"
        ]


def test_an_xls_beyond_the_size_read_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from foxreach_cli.readers import xls

    path = _xls(tmp_path / "leads.xls")
    monkeypatch.setattr(xls, "MAX_XLS_BYTES", 1024)
    with pytest.raises(InputError) as info:
        open_source(str(path))
    assert str(info.value) == (
        f"{path} is a 0 MB .xls workbook, more than the 0 MB read in this old format; save "
        "it as .xlsx or export CSV, and run again."
    )


def test_map_says_when_the_name_and_the_content_disagree(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from foxreach_cli.cli import app

    path = tmp_path / "leads.xlsx"
    write_ods(path, [["Email", "Zip"], ["ann@example.com", "02134"]])
    result = CliRunner().invoke(app, ["map", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == (
        f"{path} is named .xlsx but holds an ODS spreadsheet; it is read by its content."
    )


def test_an_ods_sheet_is_picked_by_name_or_number_and_empty_ones_are_passed_over(
    tmp_path: Path,
) -> None:
    def table(name: str, rows: list[list[str]]) -> str:
        body = "".join(
            "<table:table-row>"
            + "".join(f"<table:table-cell><text:p>{c}</text:p></table:table-cell>" for c in row)
            + "</table:table-row>"
            for row in rows
        )
        return f'<table:table table:name="{name}">{body}</table:table>'

    tables = (
        table("Empty", [])
        + table("Leads", [["Email"], ["ann@example.com"]])
        + table("More", [["Email"], ["bo@example.com"], ["cy@example.com"]])
    )
    path = write_ods(tmp_path / "book.ods", [], body="x")
    with zipfile.ZipFile(path) as src:
        content = src.read("content.xml").decode()
    content = content.replace('<table:table table:name="Leads">x</table:table>', tables)
    with zipfile.ZipFile(path, "w") as dst:
        dst.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        dst.writestr("content.xml", content)
    for sheet, name, emails in [
        (None, "Leads", ["ann@example.com"]),
        ("3", "More", ["bo@example.com", "cy@example.com"]),
        ("more", "More", ["bo@example.com", "cy@example.com"]),
    ]:
        with open_source(str(path), sheet=sheet) as source:
            assert source.info.sheet == name
            assert next(source.chunks()).frame["Email"].tolist() == emails


def test_import_of_a_password_protected_workbook_exits_2_with_one_sentence(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from foxreach_cli.cli import app

    path = tmp_path / "locked.xlsx"
    names = "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000 + names)
    result = CliRunner().invoke(app, ["import", str(path), "--dry-run"], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "is protected by a password; open it in Excel, remove the password" in (
        result.stdout + result.stderr
    )


def write_ods_sheets(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    """An OpenDocument spreadsheet with the given sheets of text cells."""
    tables = []
    for title, rows in sheets.items():
        body = "".join(
            "<table:table-row>"
            + "".join(
                f'<table:table-cell office:value-type="string"><text:p>{c}</text:p>'
                "</table:table-cell>"
                for c in row
            )
            + "</table:table-row>"
            for row in rows
        )
        tables.append(f'<table:table table:name="{title}">{body}</table:table>')
    write_ods(path, [], body="<table:table-row/>")
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml").decode("utf-8")
    start = content.index("<table:table ")
    end = content.index("</table:table>") + len("</table:table>")
    content = content[:start] + "".join(tables) + content[end:]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("META-INF/manifest.xml", _MANIFEST)
        archive.writestr("content.xml", content)
    return path


def _records(path: Path, **options: Any) -> tuple[SourceInfo, list[tuple[int, list[str]]]]:
    with open_source(str(path), **options) as source:
        out = []
        for chunk in source.chunks():
            for row, values in zip(chunk.rows, chunk.frame.fillna("").values.tolist()):
                out.append((int(row), values))
        return source.info, out


def test_a_merged_range_gives_its_value_to_every_row_it_covers_and_says_so(
    tmp_path: Path,
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Leads"
    sheet.append(["Email", "Company", "Name"])
    sheet.append(["ann@example.com", "Acme", "Ann"])
    sheet.append(["bob@example.com", None, "Bob"])
    sheet.append(["cy@example.com", None, "Cy"])
    sheet.append(["dee@example.com", "Globex", "Dee"])
    sheet.append(["eve@example.com", "Initech", "Eve"])
    sheet.merge_cells("B2:B4")  # Acme, down three rows
    sheet.merge_cells("B6:C6")  # across: changes nothing
    path = tmp_path / "leads.xlsx"
    book.save(path)
    info, rows = _records(path)
    assert rows == [
        (2, ["ann@example.com", "Acme", "Ann"]),
        (3, ["bob@example.com", "Acme", "Bob"]),
        (4, ["cy@example.com", "Acme", "Cy"]),
        (5, ["dee@example.com", "Globex", "Dee"]),
        (6, ["eve@example.com", "Initech", ""]),
    ]
    assert info.notes == [
        f"{path}: sheet 'Leads' has a merged cell range over several rows (B2:B4); each "
        "gives its value to every row it covers."
    ]


def test_a_workbook_whose_first_sheet_holds_no_leads_is_read_from_the_sheet_that_does(
    tmp_path: Path,
) -> None:
    book = Workbook()
    cover = book.active
    cover.title = "Read me"
    cover.append(["Exported from our CRM on 2026-11-30"])
    cover.append(["Questions: ask the sales team"])
    leads = book.create_sheet("Contacts")
    leads.append(["Email", "Name"])
    leads.append(["ann@example.com", "Ann"])
    book.save(tmp_path / "export.xlsx")
    info, rows = _records(tmp_path / "export.xlsx")
    assert info.sheet == "Contacts"
    assert rows == [(2, ["ann@example.com", "Ann"])]
    assert info.notes == [
        f"{tmp_path / 'export.xlsx'}: its first sheet 'Read me' holds no email addresses; "
        "sheet 'Contacts', the first that does, is read."
    ]


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_a_workbook_with_several_lead_sheets_names_those_it_did_not_read(
    tmp_path: Path, kind: str
) -> None:
    sheets = {
        "Q1": [["Email", "Name"], ["ann@example.com", "Ann"]],
        "Notes": [["nothing here"]],
        "Q2": [["Email", "Name"], ["bob@example.com", "Bob"]],
        "Q3": [["Email", "Name"], ["cy@example.com", "Cy"]],
    }
    path = tmp_path / f"quarters.{kind}"
    if kind == "xlsx":
        book = Workbook()
        book.remove(book.active)
        for title, rows in sheets.items():
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
        book.save(path)
    else:
        write_ods_sheets(path, sheets)
    info, rows = _records(path)
    assert info.sheet == "Q1"
    assert rows == [(2, ["ann@example.com", "Ann"])]
    assert info.notes == [
        f"{path}: sheets 'Q2', 'Q3' also hold email addresses and were not read; read one "
        "with --sheet NAME, or every sheet with --sheet all."
    ]
    info, rows = _records(path, sheet="Q3")
    assert rows == [(2, ["cy@example.com", "Cy"])]
    assert info.notes == []


def test_sheet_all_reads_every_sheet_of_leads_as_its_own_input(tmp_path: Path) -> None:
    from foxreach_cli.read import open_sources

    book = Workbook()
    book.active.title = "Read me"
    book.active.append(["Exported on 2026-11-30"])
    for title, rows in {
        "Q1": [["Email", "Name"], ["ann@example.com", "Ann"]],
        "Q2": [["Notes"], ["a title row"], ["E-mail", "Company"], ["bob@example.com", "Acme"]],
    }.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    sources = open_sources(str(path), sheet="all")
    try:
        assert [s.info.file for s in sources] == [f"{path} [Q1]", f"{path} [Q2]"]
        assert [s.info.origin for s in sources] == [str(path)] * 2
        assert [s.info.headers for s in sources] == [["Email", "Name"], ["E-mail", "Company"]]
        chunks = [next(s.chunks()) for s in sources]
        assert [c.file for c in chunks] == [f"{path} [Q1]", f"{path} [Q2]"]
        assert [c.rows.tolist() for c in chunks] == [[2], [4]]  # each sheet's own rows
        assert not any("--sheet all" in note for s in sources for note in s.info.notes)
    finally:
        for source in reversed(sources):
            source.close()
    # A CSV is one input whatever --sheet says.
    csv = tmp_path / "leads.csv"
    csv.write_text("email\nann@example.com\n")
    (only,) = open_sources(str(csv), sheet="all")
    with only:
        assert (only.info.file, only.info.origin) == (str(csv), None)
