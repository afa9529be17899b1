"""Property-based tests: arbitrary tables written as CSV, imported by the real CLI (dry run).

For any table of strings (random headers, unicode, quotes, delimiters, line breaks, empty
cells) with one email column whose cells come from a small pool (case variants, padding,
invalid addresses), written by ``csv.writer`` and imported with
``--dry-run --json --rejected``:

1. the accounting identity holds, and every non-blank row is counted exactly once;
2. every row named in ``errorDetails`` / ``duplicateDetails`` is the row whose email cell
   (trimmed) is the reported email, and every invalid email is reported as an error;
3. the rows left valid are exactly the first occurrence (trimmed, case-insensitive) of each
   valid email, and each later occurrence names that first row;
4. the rejected CSV lists exactly the invalid and duplicate rows, each with its original
   cells (formula-like cells prefixed with ``'``) under its spreadsheet row number.

Cells exclude NUL and other control characters (the reader removes NULs and refuses text
full of control bytes as binary; both are tested in ``test_bad_inputs.py``) and lone
surrogates (not encodable). The delimiter is passed explicitly: detection is a heuristic,
and a table whose cells hold a rival delimiter is genuinely ambiguous.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import email_validator
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.outputs import neutralise_formula
from tests.accounting import assert_accounted, assert_split_locally

runner = CliRunner()

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Headers the mapping takes as the email column.
EMAIL_HEADERS = ["Email", "email", "E-mail", "Email Address", "Work Email"]

#: Emails from a small pool so duplicates (in every case and padding) and errors occur.
EMAILS = [
    "ann@example.com",
    "Ann@Example.com",
    "ANN@EXAMPLE.COM",
    " ann@example.com ",
    "\tann@example.com\n",
    "\u00a0ann@example.com",  # NBSP: str.strip removes it
    "bob+tag@sub.example.org",
    "BOB+TAG@sub.example.org",
    "zoë@example.com",
    "ZOË@example.com",
    "=cmd@example.com",  # formula-like: neutralised in the rejected CSV
    "-dash@example.com",
    "",
    " ",
    "not-an-email",
    "ann@",
    "@example.com",
    "a@@example.com",
    "ann@example",
    "a b@example.com",
    'ann"x@example.com',
    "ann,x@example.com",
    "ann;x@example.com",
    # Invisible and look-alike characters: trimmed when str.strip does, otherwise judged
    # by email-validator (zero-width and BOM characters are "unsafe"; full-width letters
    # are valid but a different address as written).
    "\u200bann@example.com",
    "ann@example.com\ufeff",
    "\u3000ann@example.com\u2028",
    "ann@\uff45xample.com",
    "zoe\u0308@example.com",
    "\u212a@example.com",
    "k@example.com",
    "ann@example.c",
    "ann@example.local",
]

_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"),  # lone surrogates and control characters
    )
    | st.sampled_from(list("\"',;|\t\r\n =+-@ ")),
    max_size=12,
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, int, list[str], list[list[str]]]:
    """(delimiter, email column index, headers, rows) with the email header at that index."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    others = draw(st.lists(_TEXT, max_size=4))
    position = draw(st.integers(0, len(others)))
    headers = [*others[:position], draw(st.sampled_from(EMAIL_HEADERS)), *others[position:]]
    width = len(headers)
    rows = draw(
        st.lists(
            st.lists(_TEXT, min_size=width - 1, max_size=width - 1).flatmap(
                lambda cells: st.sampled_from(EMAILS).map(
                    lambda email: [*cells[:position], email, *cells[position:]]
                )
            ),
            max_size=25,
        )
    )
    return delimiter, position, headers, rows


#: Lines before the header that hold nothing a header could: empty, spaces, delimiters.
BLANK_LINES = st.sampled_from(["", "   ", ",,", ";;;", "\t", "|", " , "])

#: (line terminator, quoting) for csv.writer. QUOTE_MINIMAL quotes a cell holding a character
#: of the terminator only, so with "\n" a cell's lone "\r" would be written bare: a real line
#: break to every reader (Excel included). "\n" therefore goes with QUOTE_ALL.
LAYOUTS = [("\r\n", csv.QUOTE_MINIMAL), ("\n", csv.QUOTE_ALL), ("\r\n", csv.QUOTE_ALL)]


def _write(
    path: Path,
    delimiter: str,
    layout: tuple[str, int],
    headers: list[str],
    rows: list[list[str]],
    blank: list[str],
) -> None:
    terminator, quoting = layout
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("".join(line + terminator for line in blank))
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=terminator, quoting=quoting)
        writer.writerow(headers)
        writer.writerows(rows)


def _valid(email: str) -> bool:
    try:
        email_validator.validate_email(email, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


def _import(
    tmp_path: Path,
    delimiter: str,
    position: int,
    headers: list[str],
    rows: list[list[str]],
    layout: tuple[str, int],
    blank: list[str],
) -> tuple[dict, list[list[str]]]:
    source = tmp_path / "leads.csv"
    rejected = tmp_path / "rejected.csv"
    rejected.unlink(missing_ok=True)
    _write(source, delimiter, layout, headers, rows, blank)
    result = runner.invoke(
        app,
        [
            "import",
            str(source),
            "--dry-run",
            "--json",
            "--fail-on",
            "never",
            "--delimiter",
            delimiter,
            "--rejected",
            str(rejected),
        ],
    )
    assert result.exit_code == 0, (result.exit_code, result.output)
    report = json.loads(result.stdout)
    mapping = report["files"][0]["mapping"]
    # A random header may itself name the email (or status) field: not this property's case.
    assume([m["field"] for m in mapping].index("email") == position)
    assume(all(m["field"] != "status" for m in mapping))
    with rejected.open(encoding="utf-8", newline="") as handle:
        back = list(csv.reader(handle))
    return report, back


@SETTINGS
@given(table=tables(), layout=st.sampled_from(LAYOUTS), blank=st.lists(BLANK_LINES, max_size=3))
# Once refused as "no header row found": the other columns have no names.
@example(
    table=(",", 2, ["", "", "Email"], [["", "", "ann@example.com"]]), layout=LAYOUTS[0], blank=[]
)
def test_any_table_is_accounted_for_row_by_row(tmp_path_factory, table, layout, blank) -> None:
    delimiter, position, headers, rows = table
    tmp_path = tmp_path_factory.mktemp("prop")
    report, back = _import(tmp_path, delimiter, position, headers, rows, layout, blank)

    # Spreadsheet row numbers: blank lines first, then the header, then one row per record
    # (however many lines its cells span); a record of empty or whitespace-only cells
    # (ASCII whitespace, ^Z) is a blank row, as docs/validation.md says.
    header_row = len(blank) + 1
    data = {
        n: cells
        for n, cells in enumerate(rows, start=header_row + 1)
        if any(c.strip(" \t\r\n\f\v\x1a") for c in cells)
    }

    # 1. accounting
    assert report["rowsRead"] == len(data)
    assert_split_locally(report)
    assert_accounted(report)
    errors = {e["row"]: e for e in report["errorDetails"]}
    dups = {d["row"]: d for d in report["duplicateDetails"]}
    assert len(errors) == len(report["errorDetails"]) == report["invalid"]
    assert len(dups) == len(report["duplicateDetails"]) == report["localDuplicates"]
    assert not errors.keys() & dups.keys()

    # 2 + 3. the model: trim, validate, first occurrence of each lowercased email wins.
    first: dict[str, int] = {}
    expected_errors: set[int] = set()
    expected_dups: dict[int, int] = {}
    for n, cells in data.items():
        email = cells[position].strip()
        if not email or not _valid(email):
            expected_errors.add(n)
        elif email.lower() in first:
            expected_dups[n] = first[email.lower()]
        else:
            first[email.lower()] = n
    assert set(errors) == expected_errors
    assert set(dups) == set(expected_dups)
    for n, entry in [*errors.items(), *dups.items()]:
        assert (entry["email"] or "") == data[n][position].strip(), (n, entry)
    for n, entry in errors.items():
        reason = entry["reason"]
        if not data[n][position].strip():
            assert reason == "missing email" or reason == "empty row", (n, reason)
        else:
            assert reason.startswith("invalid email: "), (n, reason)
    for n, original in expected_dups.items():
        assert f"row {original}" in dups[n]["reason"], (n, dups[n]["reason"])
    assert report["valid"] == len(first)

    # 4. the rejected CSV (in a dry run: the invalid and duplicate rows, the ones to fix)
    # gives back their original cells.
    head, *lines = back
    assert head[-2:] == ["row", "reason"]
    rejected = {**errors, **dups}
    if rejected:  # with no row to list, the file is just "row,reason"
        assert len(head) == len(headers) + 2
    by_row = {int(line[-2]): line for line in lines}
    assert len(by_row) == len(lines)
    assert set(by_row) == set(rejected)
    for n, entry in rejected.items():
        assert by_row[n][:-2] == [neutralise_formula(c) for c in data[n]], n
        assert by_row[n][-1] == neutralise_formula(entry["reason"])


#: Cells that hold no candidate delimiter, quote or line break: the layout is unambiguous.
_PLAIN = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=",;|\"'"),
    max_size=10,
)


@SETTINGS
@given(
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    others=st.lists(_PLAIN, min_size=1, max_size=4),
    rows=st.lists(st.tuples(st.sampled_from(EMAILS[:10]), _PLAIN), min_size=1, max_size=10),
)
def test_the_delimiter_is_detected_when_the_layout_is_unambiguous(
    tmp_path_factory, delimiter, others, rows
) -> None:
    # Without --delimiter: every record has the header's cell count with the right
    # delimiter, and no cell holds another candidate, so detection must find it.
    headers = ["Email", *others]
    table = [[email, *([cell] * len(others))] for email, cell in rows]
    source = tmp_path_factory.mktemp("sniff") / "leads.txt"
    _write(source, delimiter, LAYOUTS[0], headers, table, [])
    result = runner.invoke(
        app, ["import", str(source), "--dry-run", "--json", "--fail-on", "never"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["files"][0]["delimiter"] == delimiter
    assert report["rowsRead"] == len(table)
