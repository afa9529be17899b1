"""The hostile-input corpus of issue 6: one bad file per case, as bytes.

Text cases that survive git untouched live as files in ``tests/data/bad/``; everything
binary, large, or whose exact bytes matter (line endings, BOMs, NULs, invalid UTF-8) is made
here by code, so the repository holds no opaque blobs and git's newline handling cannot
change a case. :func:`write_corpus` puts every case, committed or generated, in one folder.

Each case is ``CASES[name] = (file name, maker)``; ``maker()`` returns the file's bytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

#: Committed text cases (plain ASCII, LF line endings).
DATA = Path(__file__).parent / "data" / "bad"

#: Size of the cell in the "huge cell" case (1 MB).
HUGE_CELL = 1 << 20

#: Columns in the "wide" case.
WIDE_COLUMNS = 10_000


def _committed(name: str) -> Callable[[], bytes]:
    return lambda: (DATA / name).read_bytes()


def _garbage() -> bytes:
    # Every byte value, many times: control bytes galore, no line structure.
    return bytes(range(256)) * 64


def _png() -> bytes:
    # A real PNG signature and IHDR chunk start: what a photo renamed .xlsx begins with.
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def _workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    """An XLSX written by openpyxl: {sheet title: rows}."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD_SHEET = [
    ["Email", "First Name"],
    ["ann@example.com", "Ann"],
    ["not-an-email", "Bob"],
    ["cy@example.com", "Cy"],
]


def _truncated_xlsx() -> bytes:
    whole = _workbook({"Leads": GOOD_SHEET})
    return whole[: len(whole) // 2]  # the central directory at the end is gone


def _empty_first_sheet_xlsx() -> bytes:
    return _workbook({"Empty": [], "Leads": GOOD_SHEET})


def _not_a_workbook_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


def _mixed_line_endings() -> bytes:
    # CRLF, LF and lone CR in one file, as happens when exports are pasted together.
    return (
        b"Email,First Name\r\n"
        b"ann@example.com,Ann\n"
        b"not-an-email,Bob\r"
        b"cy@example.com,Cy\r\n"
        b"ANN@example.com,Ann again\n"
        b"dee@example.com,Dee\r"
    )


def _huge_cell() -> bytes:
    big = "x" * HUGE_CELL
    return (
        "Email,Notes\n"
        f"ann@example.com,{big}\n"
        "bob@example.com,short\n"
        f"{big}@example.com,too long an address\n"
        f"not-an-email,{big}\n"
    ).encode()


def _nul_bytes() -> bytes:
    return (
        b"Email,First Name\n"
        b"ann@exam\x00ple.com,A\x00nn\n"
        b"bob@example.com,\x00\n"
        b"not-an-\x00email,C\x00y\n"
    )


UTF16_TEXT = "Email,First Name,City\nann@example.com,Zoë,Köln\nnot-an-email,Łukasz,Łódź\n"


def _utf16_bom() -> bytes:
    return b"\xff\xfe" + UTF16_TEXT.encode("utf-16-le")


def _invalid_utf8() -> bytes:
    # Valid multi-byte UTF-8 around one byte that is never valid (0xFF) and one cut sequence.
    return (
        "Email,First Name\nann@example.com,Zoë\n".encode()
        + b"bob@example.com,B\xffb\n"
        + "cy@example.com,Cy\xe2\x80\n".encode("latin-1")
    )


def _invalid_utf8_not_cp1252() -> bytes:
    # 0x81 and 0x8D are unassigned in cp1252: no Western fallback can decode this file.
    return b"Email,First Name\nann@example.com,Ann\nbob@example.com,B\x81\x8db\n"


def _wider_than_a_spreadsheet() -> bytes:
    header = ["Email"] + [f"c{i}" for i in range(1, 16_385)]  # Excel stops at 16,384
    return ",".join(header).encode() + b"\nann@example.com\n"


def _no_line_break() -> bytes:
    return b"Email," + b"x" * (17 << 20)  # past the 16 MB a header line may take


def _cp1252() -> bytes:
    return "Email,Name\nann@example.com,Müller\nnot-an-email,Zoë’s café\n".encode("cp1252")


def _wide() -> bytes:
    header = ["Email"] + [f"c{i}" for i in range(1, WIDE_COLUMNS)]
    first = ["ann@example.com"] + [str(i) for i in range(1, WIDE_COLUMNS)]
    second = ["bad-address"] + [""] * (WIDE_COLUMNS - 1)
    return "\n".join(",".join(r) for r in (header, first, second)).encode() + b"\n"


#: name -> (file name, maker). Names are the test ids.
CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "empty": ("empty.csv", lambda: b""),
    "header_only": ("header_only.csv", _committed("header_only.csv")),
    "no_email_column": ("no_email_column.csv", _committed("no_email_column.csv")),
    "garbage_csv": ("garbage.csv", _garbage),
    "png_as_xlsx": ("photo.xlsx", _png),
    "truncated_xlsx": ("truncated.xlsx", _truncated_xlsx),
    "zip_not_workbook": ("archive.xlsx", _not_a_workbook_zip),
    "xlsx_empty_first_sheet": ("empty_first_sheet.xlsx", _empty_first_sheet_xlsx),
    "mixed_line_endings": ("mixed_line_endings.csv", _mixed_line_endings),
    "unterminated_quote": ("unterminated_quote.csv", _committed("unterminated_quote.csv")),
    "unterminated_quote_first_row": (
        "unterminated_quote_first_row.csv",
        _committed("unterminated_quote_first_row.csv"),
    ),
    "ragged_rows": ("ragged_rows.csv", _committed("ragged_rows.csv")),
    "duplicate_headers": ("duplicate_headers.csv", _committed("duplicate_headers.csv")),
    "empty_header_cell": ("empty_header_cell.csv", _committed("empty_header_cell.csv")),
    "huge_cell": ("huge_cell.csv", _huge_cell),
    "nul_bytes": ("nul_bytes.csv", _nul_bytes),
    "utf16_bom": ("utf16_bom.csv", _utf16_bom),
    "invalid_utf8": ("invalid_utf8.csv", _invalid_utf8),
    "invalid_utf8_not_cp1252": ("invalid_utf8_not_cp1252.csv", _invalid_utf8_not_cp1252),
    "wide_10000_columns": ("wide.csv", _wide),
    "wider_than_a_spreadsheet": ("too_wide.csv", _wider_than_a_spreadsheet),
    "no_line_break": ("one_line.csv", _no_line_break),
    "cp1252": ("cp1252.csv", _cp1252),
    "leading_blank_lines": ("leading_blank_lines.csv", _committed("leading_blank_lines.csv")),
}


def write_case(directory: Path, name: str) -> Path:
    """Write one case into ``directory``; return its path."""
    file_name, maker = CASES[name]
    path = directory / file_name
    path.write_bytes(maker())
    return path


def write_corpus(directory: Path) -> dict[str, Path]:
    """Write every case into ``directory``; return {case name: path}."""
    directory.mkdir(parents=True, exist_ok=True)
    return {name: write_case(directory, name) for name in CASES}
