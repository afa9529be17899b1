"""A folder survives one bad file: the bad one is refused with its reason, the others import.

The run then exits 7 (leads were sent, something needs a person; 2 in a dry run, which sends
nothing) so cron notices, the summary and the report's ``files[]`` name what was
refused and why, and ``--move-done`` leaves the refused file where it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from tests.accounting import assert_accounted

runner = CliRunner()
FAST = ["--rate-window", "2", "--rate-limit", "1000"]
GOOD = "Email,First Name\na@example.com,Ann\nb@example.com,Bo\n"


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a-good.csv").write_text(GOOD, encoding="utf-8")
    (folder / "b-no-email.csv").write_text("Name,Phone\nCy,1\n", encoding="utf-8")
    (folder / "c-broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "d-good.csv").write_text("email\nd@example.com\n", encoding="utf-8")
    return folder


REFUSED = {
    "b-no-email.csv": "{path} has no column that can be the email (headers: 'Name', "
    "'Phone'); name one with --map 'Column=email'.",
    "c-broken.xlsx": "{path} is not a valid XLSX workbook (its ZIP archive is damaged or cut "
    "short); open it in Excel, save it again as .xlsx (or export CSV) and run again.",
}


def refusals(report: dict) -> dict[str, str | None]:
    return {Path(f["file"]).name: f["refused"] for f in report["files"]}


def expected(drop: Path) -> dict[str, str | None]:
    return {
        "a-good.csv": None,
        "d-good.csv": None,
        **{name: text.format(path=drop / name) for name, text in REFUSED.items()},
    }


def test_a_dry_run_of_a_folder_refuses_the_bad_files_and_reads_the_rest(drop: Path) -> None:
    result = runner.invoke(app, ["import", str(drop), "--dry-run", "--json"])
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert refusals(report) == expected(drop)
    assert (report["rowsRead"], report["valid"], report["notSent"]) == (3, 3, 3)
    assert_accounted(report)


def test_the_rich_summary_names_each_refused_file_with_its_reason(drop: Path) -> None:
    result = runner.invoke(app, ["import", str(drop), "--dry-run"], env={"COLUMNS": "400"})
    assert result.exit_code == 2
    lines = [line for line in result.stdout.splitlines() if line.startswith("Refused ")]
    assert lines == [
        f"Refused {drop / name} (nothing of it was read): {text.format(path=drop / name)}"
        for name, text in REFUSED.items()
    ]


def test_a_single_bad_file_still_stops_the_run_with_one_sentence(drop: Path) -> None:
    result = runner.invoke(app, ["import", str(drop / "b-no-email.csv"), "--dry-run"])
    assert result.exit_code == 2
    path = drop / "b-no-email.csv"
    assert result.output == f"Error: {REFUSED['b-no-email.csv'].format(path=path)}\n"
