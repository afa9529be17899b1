"""Old Excel .xls and OpenDocument .ods go through calamine like .xlsx; HTML saved as .xls
is refused saying what it is."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from foxreach_cli.errors import InputError
from foxreach_cli.read import expand_inputs, open_source

_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/"
  manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def _ods(path: Path, rows: list[list[str]]) -> Path:
    """A minimal OpenDocument spreadsheet with one sheet of text cells."""
    body = "".join(
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
    path = _ods(
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


def test_a_broken_xls_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(InputError, match=r"is not a valid Excel \.xls workbook"):
        open_source(str(path))


def test_a_folder_picks_up_xls_and_ods_files(tmp_path: Path) -> None:
    for name in ("a.csv", "b.xls", "c.ods", "d.pdf"):
        (tmp_path / name).write_bytes(b"x")
    assert [Path(p).name for p in expand_inputs([str(tmp_path)])] == ["a.csv", "b.xls", "c.ods"]
