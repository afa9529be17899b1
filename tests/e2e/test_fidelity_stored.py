"""Issue 19, end to end: what the sandbox STORED for each fidelity rule, not what the report
says or what the client built locally.

Each test runs the real CLI (in-process) against the sandbox on a small file built here, with
invented people, and compares ``sandbox.store.leads(key)`` with the exact values a person
reading the file expects. The rejected file's round trip is in test_rejected_roundtrip.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import xlwt
from openpyxl import Workbook
from typer.testing import CliRunner

from foxreach_cli.cli import app
from tests.unit.test_read_xls_ods import write_ods

runner = CliRunner()
FAST = ["--rate-window", "2", "--rate-limit", "1000"]
#: What the sandbox adds to every lead; compared leads leave these out.
SERVER_FIELDS = ("id", "createdAt", "updatedAt")


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def run_import(sandbox: Any, key: str, *args: str, code: int = 0) -> dict[str, Any]:
    """``foxreach import ... --json`` against the sandbox; the report."""
    result = runner.invoke(
        app,
        ["import", *args, "--base-url", sandbox.base_url, "--api-key", key, "--json", *FAST],
    )
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def stored(sandbox: Any, key: str) -> dict[str, dict[str, Any]]:
    """The workspace's leads by email, without the fields the server makes up."""
    return {
        lead["email"]: {k: v for k, v in lead.items() if k not in SERVER_FIELDS}
        for lead in sandbox.store.leads(key)
    }


def statuses(sandbox: Any, key: str) -> dict[str, str]:
    return {email: lead["status"] for email, lead in stored(sandbox, key).items()}


def fresh_key() -> str:
    return f"otr_test_{uuid.uuid4().hex}"


# --- opt-outs are never lost ------------------------------------------------------------------


def test_a_status_column_of_89_percent_statuses_stores_every_opt_out_as_such(
    sandbox, api_key, tmp_path: Path
) -> None:
    # The file: of the first 200 values, 120 unsubscribed, 58 bounced, 22 "Lead".
    cells = ["unsubscribed"] * 120 + ["bounced"] * 58 + ["Lead"] * 22
    order = sorted(range(200), key=lambda i: (i * 37) % 200)  # interleave them
    cells = [cells[i] for i in order]
    path = write_csv(
        tmp_path / "leads.csv",
        [["Email", "Status"], *([f"p{i}@example.com", c] for i, c in enumerate(cells))],
    )
    report = run_import(sandbox, api_key, str(path), "--fail-on", "never")
    expected = {f"p{i}@example.com": c for i, c in enumerate(cells) if c != "Lead"}
    assert statuses(sandbox, api_key) == expected
    assert (report["created"], report["errors"]) == (178, 22)


def test_one_stray_value_in_a_seven_row_file_does_not_demote_the_status_column(
    sandbox, api_key, tmp_path: Path
) -> None:
    cells = ["active", "replied", "Lead", "unsubscribed", "active", "active", "bounced"]
    path = write_csv(
        tmp_path / "leads.csv",
        [["Email", "Status"], *([f"p{i}@example.com", c] for i, c in enumerate(cells))],
    )
    run_import(sandbox, api_key, str(path), "--fail-on", "never")
    assert statuses(sandbox, api_key) == {
        "p0@example.com": "active",
        "p1@example.com": "replied",
        "p3@example.com": "unsubscribed",
        "p4@example.com": "active",
        "p5@example.com": "active",
        "p6@example.com": "bounced",
    }


def test_exactly_90_percent_statuses_with_invisible_characters_store_the_opt_outs(
    sandbox, api_key, tmp_path: Path
) -> None:
    cells = [
        "Replied\u200b",
        "\u00a0UNSUBSCRIBED ",
        "Un\u00a0subscribed",  # not a status word once the space is plain: rejected
        "bounced\ufeff",
        "Cleaned",
        "unsubscribed\u2060",
        "active",
        " Bounced\u00a0",
        "unsubscribed",
        "Lead",
    ]
    path = write_csv(
        tmp_path / "leads.csv",
        [["Email", "Status"], *([f"p{i}@example.com", c] for i, c in enumerate(cells))],
    )
    report = run_import(sandbox, api_key, str(path), "--fail-on", "never")
    assert statuses(sandbox, api_key) == {
        "p0@example.com": "replied",
        "p1@example.com": "unsubscribed",
        "p3@example.com": "bounced",
        "p4@example.com": "bounced",
        "p5@example.com": "unsubscribed",
        "p6@example.com": "active",
        "p7@example.com": "bounced",
        "p8@example.com": "unsubscribed",
    }
    assert sorted(e["row"] for e in report["errorDetails"]) == [4, 11]


def test_salesforce_and_hubspot_opt_out_columns_store_unsubscribed(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "crm.csv",
        [
            ["Email", "First Name", "HasOptedOutOfEmail", "Unsubscribed from all email"],
            ["ann@example.com", "Ann", "true", ""],
            ["bo@example.com", "Bo", "false", "Yes"],
            ["cy@example.com", "Cy", "FALSE", "No"],
            ["di@example.com", "Di", "TRUE", "true"],
        ],
    )
    run_import(sandbox, api_key, str(path))
    assert statuses(sandbox, api_key) == {
        "ann@example.com": "unsubscribed",
        "bo@example.com": "unsubscribed",
        "cy@example.com": "active",
        "di@example.com": "unsubscribed",
    }


@pytest.mark.parametrize("where", [5000, 12_001])  # in the first chunk, and in the second
def test_an_opt_out_far_below_the_sampled_rows_is_stored_as_such(
    sandbox, api_key, tmp_path: Path, where: int
) -> None:
    """Row ``where`` (a physical row; row 1 is the header) says it opted out in three ways: a
    CRM stage column not used for the status, a flag, and a used status column."""
    n = where + 10
    rows = [["Email", "Lead Stage Status", "HasOptedOutOfEmail", "Status"]]
    for row in range(2, n + 1):
        rows.append([f"p{row}@example.com", "Open - Not Contacted", "false", "active"])
    rows[where - 1][1] = "Unsubscribed\u200b"  # rows[k] is physical row k + 1
    rows[where][2] = "TRUE"
    rows[where + 1][3] = "\u00a0Bounced"
    path = write_csv(tmp_path / "leads.csv", rows)
    report = run_import(sandbox, api_key, str(path))
    assert report["created"] == n - 1
    got = statuses(sandbox, api_key)
    assert {e: s for e, s in got.items() if s != "active"} == {
        f"p{where}@example.com": "unsubscribed",
        f"p{where + 1}@example.com": "unsubscribed",
        f"p{where + 2}@example.com": "bounced",
    }


@pytest.mark.parametrize(
    ("header", "common"),
    [("Email Marketing Consent", "SUBSCRIBED"), ("Subscription", "subscribed")],
)
def test_a_consent_column_whose_opt_out_is_below_the_sample_stores_it(
    sandbox, api_key, tmp_path: Path, header: str, common: str
) -> None:
    # Every sampled value says subscribed: only the header tells that the column can say
    # otherwise further down (row 5000).
    rows = [["Email", header], *([f"p{row}@example.com", common] for row in range(2, 5011))]
    rows[4999][1] = "UNSUBSCRIBED"
    path = write_csv(tmp_path / "klaviyo.csv", rows)
    run_import(sandbox, api_key, str(path))
    got = statuses(sandbox, api_key)
    assert len(got) == 5009
    assert {e: s for e, s in got.items() if s != "active"} == {"p5000@example.com": "unsubscribed"}


def test_opt_out_words_in_a_stage_column_below_the_sample_are_stored_with_or_without_mapping(
    sandbox, api_key, tmp_path: Path
) -> None:
    """A ``Stage`` column (neither status-like nor opt-out-like, and its 200 sampled values say
    no opt-out) whose row 5000 says Unsubscribed and row 6000 Bounced: those two leads are
    stored so, by a plain import and by one replaying ``map --write``; a Notes cell with the
    word inside a sentence opts nobody out."""
    rows = [["Email", "First Name", "Stage", "Notes"]]
    for row in range(2, 7001):  # rows[k] is physical row k + 1
        rows.append([f"p{row}@example.com", "Ann", "Lead", ""])
    rows[4999][2] = "Unsubscribed"
    rows[5999][2] = " BOUNCED\u200b"
    rows[6499][3] = "customer bounced back"
    path = write_csv(tmp_path / "crm.csv", rows)
    saved = tmp_path / "m.toml"
    result = runner.invoke(app, ["map", str(path), "--write", str(saved)])
    assert result.exit_code == 0, result.output

    report = run_import(sandbox, api_key, str(path))
    assert report["files"][0]["optOutsFound"] == {"Stage": 2}
    got = statuses(sandbox, api_key)
    assert len(got) == 6999
    opted = {"p5000@example.com": "unsubscribed", "p6000@example.com": "bounced"}
    assert {e: s for e, s in got.items() if s != "active"} == opted

    other = fresh_key()
    replayed = run_import(sandbox, other, str(path), "--mapping", str(saved))
    assert replayed["files"][0]["optOutsFound"] == {"Stage": 2}
    assert stored(sandbox, other) == stored(sandbox, api_key)


# --- mapping by header and content ------------------------------------------------------------


def test_user_email_and_email_s_email_headers_and_the_fallback_store_the_right_address(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "crm.csv",
        [
            ["contact_first_name", "contact_last_name", "User Email", "Email (s.email)"],
            ["Ann", "Lee", "ann@example.com", "ann.lee@example.org"],
            ["Bo", "Ng", "", "bo.ng@example.org"],
            ["Cy", "Oh", "cy@example.com", ""],
        ],
    )
    report = run_import(sandbox, api_key, str(path))
    assert report["files"][0]["emailFallbacks"] == {"Email (s.email)": 1}
    leads = stored(sandbox, api_key)
    assert {e: (x["firstName"], x["lastName"], x["customFields"]) for e, x in leads.items()} == {
        "ann@example.com": ("Ann", "Lee", {"Email (s.email)": "ann.lee@example.org"}),
        "bo.ng@example.org": ("Bo", "Ng", {"Email (s.email)": "bo.ng@example.org"}),
        "cy@example.com": ("Cy", "Oh", {}),
    }


def test_an_email_column_of_null_loses_to_a_filled_work_email(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [
            ["Name", "Email", "Work Email", "URL"],
            ["Ann Lee", "null", "ann@example.com", "https://www.linkedin.com/in/ann-lee-1a2b"],
            ["Bo Ng", "null", "bo@example.com", "https://linkedin.com/in/bong"],
        ],
    )
    run_import(sandbox, api_key, str(path))
    leads = stored(sandbox, api_key)
    assert {e: (x["linkedinUrl"], x["firstName"], x["lastName"]) for e, x in leads.items()} == {
        "ann@example.com": ("https://www.linkedin.com/in/ann-lee-1a2b", "Ann", "Lee"),
        "bo@example.com": ("https://linkedin.com/in/bong", "Bo", "Ng"),
    }
    assert {x["customFields"].get("Email") for x in leads.values()} <= {None, "null"}
    assert all("URL" not in x["customFields"] for x in leads.values())


# --- names split as people expect -------------------------------------------------------------


def test_names_are_split_as_people_expect(sandbox, api_key, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [
            ["Full Name", "Email"],
            ["Dr. Ada King", "ada1@example.com"],
            ["Ada King, M.D.", "ada2@example.com"],
            ["King, Ada, Jr.", "ada3@example.com"],
            ["山田 太郎", "taro@example.com"],
            ["bob@example.com", "bob@example.com"],
            ["Grace Hopper", "grace@example.com"],
        ],
    )
    run_import(sandbox, api_key, str(path))
    leads = stored(sandbox, api_key)
    assert {e: (x["firstName"], x["lastName"], x["customFields"]) for e, x in leads.items()} == {
        "ada1@example.com": ("Ada", "King", {"Full Name": "Dr. Ada King"}),
        "ada2@example.com": ("Ada", "King", {"Full Name": "Ada King, M.D."}),
        "ada3@example.com": ("Ada", "King", {"Full Name": "King, Ada, Jr."}),
        "taro@example.com": ("太郎", "山田", {"Full Name": "山田 太郎"}),
        "bob@example.com": (None, None, {"Full Name": "bob@example.com"}),
        "grace@example.com": ("Grace", "Hopper", {"Full Name": "Grace Hopper"}),
    }


# --- rows above the header, blank-looking lines -----------------------------------------------


@pytest.mark.parametrize(
    "above",
    [
        ["Person", "", "Email", "Employer", ""],
        ["Sorted by", "Email"],
        ["Notes:", "Email", "", "sorted by company"],
    ],
)
def test_a_group_or_filter_row_above_the_header_is_passed_over(
    sandbox, api_key, tmp_path: Path, above: list[str]
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [
            above,
            ["First Name", "Last Name", "Email", "Company", "Phone"],
            ["Ann", "Lee", "ann@example.com", "Acme", "+1 415 555 0100"],
            ["Bo", "Ng", "bo@example.com", "Initech", ""],
            ["Cy", "Oh", "cy@example.com", "", "020 7946 0000"],
        ],
    )
    run_import(sandbox, api_key, str(path))
    leads = stored(sandbox, api_key)
    assert {
        e: (x["firstName"], x["lastName"], x["company"], x["phone"], x["customFields"])
        for e, x in leads.items()
    } == {
        "ann@example.com": ("Ann", "Lee", "Acme", "+1 415 555 0100", {}),
        "bo@example.com": ("Bo", "Ng", "Initech", None, {}),
        "cy@example.com": ("Cy", "Oh", None, "020 7946 0000", {}),
    }


def test_two_exports_joined_with_cat_lose_no_row_silently(sandbox, api_key, tmp_path: Path) -> None:
    path = tmp_path / "joined.csv"
    path.write_text(
        "Email,First Name\nann@example.com,Ann\nbo@example.com,Bo\n"
        "Email,First Name,Phone\ncy@example.com,Cy,+1 415 555 0100\ndi@example.com,Di,\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        ["import", str(path), "--base-url", sandbox.base_url, "--api-key", api_key, *FAST],
    )
    assert result.exit_code == 2  # refused with one sentence naming the rows: nothing sent
    assert result.stderr == (
        f"Error: {path}: rows 2-3 are leads under the header on row 1, but row 4 starts other "
        "column names (Email, First Name, Phone), as when two exports are joined; split the "
        "file at row 4, or pass --header-row 1 to read every row under the names on row 1 "
        "(rows that do not fit are rejected).\n"
    )
    assert stored(sandbox, api_key) == {}
    # Read as the sentence offers: every row under the first header, none lost in silence.
    report = run_import(sandbox, api_key, str(path), "--header-row", "1", "--fail-on", "never")
    leads = stored(sandbox, api_key)
    assert {e: x["firstName"] for e, x in leads.items()} == {
        "ann@example.com": "Ann",
        "bo@example.com": "Bo",
        "di@example.com": "Di",  # its extra cell is empty: it fits
    }
    assert report["rowsRead"] == 5
    assert sorted(e["row"] for e in report["errorDetails"]) == [4, 5]  # a cell too many


def test_blank_looking_lines_are_not_rows_and_row_numbers_stay_true(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(
        b"Email,First Name\r\nann@example.com,Ann\r\n   \r\n\t\r\n , \r\n,\r\n"
        b"broken@,Bad\r\nbo@example.com,Bo\r\n\x1a"
    )
    report = run_import(sandbox, api_key, str(path), "--fail-on", "never")
    leads = stored(sandbox, api_key)
    assert {e: x["firstName"] for e, x in leads.items()} == {
        "ann@example.com": "Ann",
        "bo@example.com": "Bo",
    }
    assert [(e["row"], e["email"]) for e in report["errorDetails"]] == [(7, "broken@")]
    assert report["rowsRead"] == 3


# --- workbook cells as displayed --------------------------------------------------------------

#: Header, then (value, number format) per cell; what the spreadsheet shows.
FORMATTED = [
    ("Email", "Zip", "SSN", "Share", "Price", "Revenue", "Signed", "US date", "Met", "Code",
     "Phone"),
    ("ann@example.com", (2134, "00000"), (123456789, "000-00-0000"), (0.5, "0%"),
     (3.5, "0.00"), (1234567, "#,##0"), (dt.date(2024, 1, 5), "yyyy-mm-dd"),
     (dt.date(2024, 1, 5), "mm/dd/yyyy"), (dt.date(2024, 1, 5), "d-mmm-yy"), (7, "@"),
     (415555010012345, "General")),
]  # fmt: skip
SHOWN = {
    "Zip": "02134",
    "SSN": "123-45-6789",
    "Share": "50%",
    "Price": "3.50",
    "Revenue": "1,234,567",
    "Signed": "2024-01-05",
    "US date": "01/05/2024",
    "Met": "5-Jan-24",
    "Code": "7",
}


def _xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["Leads export, 5 January 2024"])  # a title row above the header
    sheet.append(FORMATTED[0])
    for col, cell in enumerate(FORMATTED[1], start=1):
        target = sheet.cell(row=3, column=col)
        if isinstance(cell, tuple):
            target.value, target.number_format = cell
        else:
            target.value = cell
    book.save(path)
    return path


def _xls(path: Path) -> Path:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Leads")
    for col, header in enumerate(FORMATTED[0]):
        sheet.write(0, col, header)
    for col, cell in enumerate(FORMATTED[1]):
        if isinstance(cell, tuple):
            sheet.write(1, col, cell[0], xlwt.easyxf(num_format_str=cell[1]))
        else:
            sheet.write(1, col, cell)
    book.save(str(path))
    return path


def _ods(path: Path) -> Path:
    """What LibreOffice writes: the number and the text it displays."""

    def text(value: str) -> str:
        return f"<table:table-cell office:value-type='string'><text:p>{value}</text:p>" + (
            "</table:table-cell>"
        )

    def number(kind: str, value: str, shown: str) -> str:
        return (
            f"<table:table-cell office:value-type='{kind}' office:value='{value}'>"
            f"<text:p>{shown}</text:p></table:table-cell>"
        )

    header = "".join(text(h) for h in ("Email", "Zip", "Share", "Revenue", "Phone"))
    row = (
        text("ann@example.com")
        + number("float", "2134", "02134")
        + number("percentage", "0.5", "50%")
        + number("float", "1234567", "1,234,567")
        + number("float", "415555010012345", "415555010012345")
    )
    rows = f"<table:table-row>{header}</table:table-row><table:table-row>{row}</table:table-row>"
    return write_ods(path, [], body=rows)


@pytest.mark.parametrize("build", [_xlsx, _xls], ids=["xlsx", "xls"])
def test_workbook_cells_are_stored_as_the_spreadsheet_displays_them(
    sandbox, api_key, tmp_path: Path, build
) -> None:
    path = build(tmp_path / f"leads.{build.__name__[1:]}")
    run_import(sandbox, api_key, str(path))
    (lead,) = stored(sandbox, api_key).values()
    assert lead["email"] == "ann@example.com"
    assert lead["phone"] == "415555010012345"
    assert lead["customFields"] == SHOWN


def test_ods_cells_are_stored_as_the_text_they_display(sandbox, api_key, tmp_path: Path) -> None:
    run_import(sandbox, api_key, str(_ods(tmp_path / "leads.ods")))
    (lead,) = stored(sandbox, api_key).values()
    assert (lead["email"], lead["phone"]) == ("ann@example.com", "415555010012345")
    assert lead["customFields"] == {"Zip": "02134", "Share": "50%", "Revenue": "1,234,567"}


# --- a saved mapping is the same mapping ------------------------------------------------------


def test_a_saved_mapping_stores_the_same_leads_as_a_plain_import(
    sandbox, api_key, tmp_path: Path
) -> None:
    rows = [["Full Name", "User Email", "Email (s.email)", "Status", "Unsubscribed from all email"]]
    firsts = ["Ann", "Beth", "Carl", "Dina", "Emil", "Fay", "Gus", "Hana", "Ivo", "Jill"]
    for i in range(20):
        rows.append(
            [f"Dr. {firsts[i % 10]} Lee", f"ann{i}@example.com", "", "unsubscribed", "No"]
            if i % 3
            else ["King, Ada, Jr.", "", f"ada{i}@example.org", "replied", "Yes"]
        )
    rows.append(["Bo Ng", "bo@example.com", "", "Lead", "No"])  # the one stray status
    rows.append(["Cy Oh", "cy@example.com", "", "active", "No"])
    path = write_csv(tmp_path / "leads.csv", rows)
    saved = tmp_path / "m.toml"
    result = runner.invoke(app, ["map", str(path), "--write", str(saved)])
    assert result.exit_code == 0, result.output

    plain = run_import(sandbox, api_key, str(path), "--fail-on", "never")
    other = fresh_key()
    replayed = run_import(sandbox, other, str(path), "--mapping", str(saved), "--fail-on", "never")
    assert stored(sandbox, other) == stored(sandbox, api_key)
    assert (plain["created"], plain["errors"]) == (replayed["created"], replayed["errors"])
    leads = stored(sandbox, api_key)
    assert len(leads) == 21
    assert (leads["ada0@example.org"]["firstName"], leads["ada0@example.org"]["status"]) == (
        "Ada",
        "unsubscribed",
    )
    ann = leads["ann1@example.com"]
    assert (ann["firstName"], ann["lastName"], ann["status"]) == ("Beth", "Lee", "unsubscribed")
    assert leads["cy@example.com"]["status"] == "active"
    assert "bo@example.com" not in leads


# --- issue 25: the rest of the fidelity findings ------------------------------------------------


def run_human(sandbox: Any, key: str, *args: str, code: int = 0) -> str:
    """``foxreach import ...`` against the sandbox with its human summary; the output."""
    result = runner.invoke(
        app,
        ["import", *args, "--base-url", sandbox.base_url, "--api-key", key, *FAST],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


def test_conditional_fraction_and_text_formats_are_stored_as_displayed(
    sandbox, api_key, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Email", "Office", "Local", "Share", "Prefixed"])
    sheet.append(["ann@example.com", 6175551234, 5551234, 0.5, "Acme"])
    sheet["B2"].number_format = sheet["C2"].number_format = "[<=9999999]###-####;(###) ###-####"
    sheet["D2"].number_format = "# ?/?"
    sheet["E2"].number_format = '0;-0;0;"pre-"@'
    path = tmp_path / "formats.xlsx"
    book.save(path)
    run_import(sandbox, api_key, str(path))
    (lead,) = stored(sandbox, api_key).values()
    assert lead["customFields"] == {
        "Office": "(617) 555-1234",
        "Local": "555-1234",
        "Share": "1/2",
        "Prefixed": "pre-Acme",
    }


def test_a_merged_company_cell_is_stored_on_every_row_it_covers(
    sandbox, api_key, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Leads"
    for row in (
        ["Email", "Company"],
        ["ann@example.com", "Acme"],
        ["bob@example.com", None],
        ["cy@example.com", None],
        ["dee@example.com", "Globex"],
    ):
        sheet.append(row)
    sheet.merge_cells("B2:B4")
    path = tmp_path / "merged.xlsx"
    book.save(path)
    output = run_human(sandbox, api_key, str(path))
    assert "sheet 'Leads' has a merged cell range over several rows (B2:B4)" in output
    assert {e: x["company"] for e, x in stored(sandbox, api_key).items()} == {
        "ann@example.com": "Acme",
        "bob@example.com": "Acme",
        "cy@example.com": "Acme",
        "dee@example.com": "Globex",
    }


PEOPLE = ["Ada Lovelace", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth",
          "Frances Allen", "John Backus", "Niklaus Wirth"]  # fmt: skip


def test_a_company_or_an_emoji_in_a_name_column_is_not_stored_as_a_person(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [
            ["Full Name", "Email"],
            ["Acme Inc", "a@example.com"],
            ["Globex LLC", "b@example.com"],
            ["Initech GmbH", "c@example.com"],
            ["\U0001f680", "d@example.com"],
            ["\U0001f680 Ada King", "e@example.com"],
            ["Grace Hopper", "f@example.com"],
            # Most of the column is people: it is a column of full names.
            *([name, f"p{n}@example.com"] for n, name in enumerate(PEOPLE)),
        ],
    )
    run_import(sandbox, api_key, str(path))
    names = {e: (x["firstName"], x["lastName"]) for e, x in stored(sandbox, api_key).items()}
    assert {e: n for e, n in names.items() if not e.startswith("p")} == {
        "a@example.com": (None, None),
        "b@example.com": (None, None),
        "c@example.com": (None, None),
        "d@example.com": (None, None),
        "e@example.com": ("Ada", "King"),
        "f@example.com": ("Grace", "Hopper"),
    }


def _quarters(path: Path) -> Path:
    book = Workbook()
    book.active.title = "Read me"
    book.active.append(["Exported from the CRM on 2026-11-30"])
    for title, rows in {
        "Q1": [["Email", "First Name"], ["ann@example.com", "Ann"]],
        "Q2": [["E-mail", "Company"], ["bob@example.com", "Acme"], ["cy@example.com", "Globex"]],
    }.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_the_sheet_holding_leads_is_read_and_the_others_are_named(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = _quarters(tmp_path / "quarters.xlsx")
    output = run_human(sandbox, api_key, str(path))
    assert "its first sheet 'Read me' holds no email addresses; sheet 'Q1'" in output
    assert "sheet 'Q2' also holds email addresses and was not read" in output
    assert "--sheet all" in output
    assert {e: x["firstName"] for e, x in stored(sandbox, api_key).items()} == {
        "ann@example.com": "Ann"
    }


def test_sheet_all_stores_every_sheet_of_leads_with_its_own_mapping(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = _quarters(tmp_path / "quarters.xlsx")
    report = run_import(sandbox, api_key, str(path), "--sheet", "all")
    assert [f["file"] for f in report["files"]] == [f"{path} [Q1]", f"{path} [Q2]"]
    leads = stored(sandbox, api_key)
    assert {e: (x["firstName"], x["company"]) for e, x in leads.items()} == {
        "ann@example.com": ("Ann", None),
        "bob@example.com": (None, "Acme"),
        "cy@example.com": (None, "Globex"),
    }
    # Run again: each sheet is its own journal entry, reproduced, nothing sent twice.
    again = run_import(sandbox, api_key, str(path), "--sheet", "all")
    assert [f["importedAt"] is not None for f in again["files"]] == [True, True]
    assert len(stored(sandbox, api_key)) == 3


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "The exclusion list {path} does not exist"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Cannot read the exclusion list {path}"),
    ],
    ids=["missing", "binary"],
)
def test_an_exclusion_list_that_cannot_be_read_stops_before_anything_is_stored(
    sandbox, api_key, tmp_path: Path, content: bytes | None, said: str
) -> None:
    leads = write_csv(tmp_path / "leads.csv", [["Email"], ["ann@example.com"]])
    listed = tmp_path / "dnc.txt"
    if content is not None:
        listed.write_bytes(content)
    output = run_human(sandbox, api_key, str(leads), "--exclude", str(listed), code=2)
    assert said.format(path=listed) in output
    assert "--sheet" not in output
    assert stored(sandbox, api_key) == {}


def test_a_deeply_nested_mapping_file_stops_with_exit_2_before_anything_is_stored(
    sandbox, api_key, tmp_path: Path
) -> None:
    leads = write_csv(tmp_path / "leads.csv", [["Email"], ["ann@example.com"]])
    deep = tmp_path / "deep.toml"
    deep.write_text("[columns]\nEmail = " + "[" * 5000 + "]" * 5000 + "\n")
    output = run_human(sandbox, api_key, str(leads), "--mapping", str(deep), code=2)
    assert "is not valid TOML" in output
    assert stored(sandbox, api_key) == {}


def test_suppression_entries_match_what_a_person_means(sandbox, api_key, tmp_path: Path) -> None:
    people = ["ann", "bob", "cy", "dee", "jo+news", "kim", "see"]
    leads = write_csv(tmp_path / "leads.csv", [["Email"], *([f"{p}@acme.example"] for p in people)])
    listed = tmp_path / "dnc.txt"
    listed.write_text(
        "mailto:ann@acme.example\n"
        "\u00a0bob@acme.example\u00a0\n"
        "Cy Young <cy@acme.example>\n"
        "\uff44\uff45\uff45@acme.example\n"  # full-width dee
        "jo@acme.example\n"
        "see below\n",
        encoding="utf-8",
    )
    output = run_human(sandbox, api_key, str(leads), "--exclude", str(listed))
    assert "skipped 1 line that is neither an address nor a domain: line 6 'see below'" in output
    assert set(stored(sandbox, api_key)) == {"kim@acme.example", "see@acme.example"}


def test_apollo_invalid_is_excluded_as_the_readme_says(sandbox, api_key, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "apollo.csv",
        [
            ["Email", "Email Status"],
            ["ann@example.com", "Verified"],
            ["bob@example.com", "Invalid"],
            ["cy@example.com", "Bounced"],
            ["dee@example.com", "Unverified"],
        ],
    )
    report = run_import(sandbox, api_key, str(path))
    assert set(stored(sandbox, api_key)) == {"ann@example.com", "dee@example.com"}
    assert report["excluded"] == 2


def test_role_and_disposable_addresses_are_in_the_summary_of_a_run_without_hygiene_options(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [["Email"], ["info@acme.example"], ["ann@acme.example"], ["joe@mailinator.com"]],
    )
    log = tmp_path / "run.log"
    output = run_human(sandbox, api_key, str(path), "--log-file", str(log))
    role = "role addresses: 1, 1 kept (--skip-role leaves them out): info@acme.example (row 2)"
    disposable = "disposable addresses: 1, 1 kept (--skip-disposable leaves them out): "
    disposable += "joe@mailinator.com (row 4)"
    assert role in output and disposable in output
    logged = log.read_text(encoding="utf-8")
    assert role in logged and disposable in logged
    # Counted and named, and imported: the server stored all three.
    assert set(stored(sandbox, api_key)) == {
        "info@acme.example",
        "ann@acme.example",
        "joe@mailinator.com",
    }
