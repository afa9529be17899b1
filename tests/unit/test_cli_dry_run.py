"""The dry run through the real CLI: counts, identity, outputs, exit codes and messages."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from tests.accounting import assert_accounted, assert_split_locally

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
runner = CliRunner()


def run(*args: str, input: bytes | str | None = None):
    return runner.invoke(app, list(args), input=input)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def dry_json(*args: str) -> dict:
    result = run("import", *args, "--dry-run", "--json", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_dry_run_of_the_sample_accounts_for_every_row():
    report = dry_json(str(SAMPLE / "leads.csv"))
    assert report["dryRun"] is True
    assert report["rowsRead"] == 200
    assert_split_locally(report)
    assert report["notSent"] == report["valid"]
    assert report["created"] == report["restored"] == 0
    assert_accounted(report)
    # The sample's planted problems (see sample_data/generate.py), by spreadsheet row.
    errors = {e["row"]: e["reason"] for e in report["errorDetails"]}
    assert set(errors) == {9, 25, 43, 79, 153}  # blank, 'jane.doe@', 'bob@@', 'lead', space
    dups = {d["row"] for d in report["duplicateDetails"]}
    assert dups == {92, 135, 177}
    assert 60 not in errors  # surrounding spaces are trimmed, not an error


def test_dry_run_of_a_folder_dedups_across_files_and_names_the_file():
    report = dry_json(str(SAMPLE))
    files = [f["file"] for f in report["files"]]
    assert [Path(f).name for f in files] == ["hubspot_export.xlsx", "leads.csv"]
    cross = [
        d
        for d in report["duplicateDetails"]
        if d["file"].endswith("leads.csv") and "hubspot_export.xlsx" in d["reason"]
    ]
    assert len(cross) == 3
    assert report["rowsRead"] == 240


def test_exit_code_1_when_rows_are_invalid_and_fail_on_errors(tmp_path):
    f = write(tmp_path / "a.csv", "email\nok@example.com\nnot-an-email\n")
    assert run("import", str(f), "--dry-run").exit_code == 1
    assert run("import", str(f), "--dry-run", "--fail-on", "never").exit_code == 0


def test_exit_code_1_for_duplicates_only_with_fail_on_duplicates(tmp_path):
    f = write(tmp_path / "a.csv", "email\nok@example.com\nOK@example.com\n")
    assert run("import", str(f), "--dry-run").exit_code == 0
    assert run("import", str(f), "--dry-run", "--fail-on", "duplicates").exit_code == 1


def test_header_only_file_is_zero_rows_and_exit_0(tmp_path):
    f = write(tmp_path / "a.csv", "Email,First Name\n")
    result = run("import", str(f), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rowsRead"] == 0


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.csv", None, "No such file"),
        ("empty.csv", b"", "empty"),
        ("noemail.csv", b"Name,Company\nAnn,Acme\n", "no column that can be the email"),
        ("binary.csv", bytes(range(256)) * 20, "binary"),
    ],
)
def test_unusable_input_is_one_sentence_and_exit_2(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = run("import", str(path), "--dry-run")
    assert result.exit_code == 2, result.output
    assert message.lower() in result.output.lower()
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--map", "no-equals-sign"], "--map"),
        (["--map", "Email=nonsense"], "nonsense"),
        (["--status", "lead"], "--status"),
        (["--batch-size", "1001"], "--batch-size"),
        (["--encoding", "no-such-codec"], "encoding"),
    ],
)
def test_bad_options_are_one_sentence_and_exit_2(tmp_path, args, message):
    f = write(tmp_path / "a.csv", "Email\nok@example.com\n")
    result = run("import", str(f), "--dry-run", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_limit_processes_only_the_first_rows(tmp_path):
    report = dry_json(str(SAMPLE / "leads.csv"), "--limit", "10")
    assert report["rowsRead"] == 10
    assert report["complete"] is False  # the rest of the file was not read


def test_report_and_rejected_files_are_written_in_a_dry_run(tmp_path):
    rep, rej = tmp_path / "report.json", tmp_path / "rejected.csv"
    result = run(
        "import",
        str(SAMPLE / "leads.csv"),
        "--dry-run",
        "--report",
        str(rep),
        "--rejected",
        str(rej),
        "--fail-on",
        "never",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(rep.read_text())
    with open(rej, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # the rows to fix: invalid and duplicates (the valid ones are counted as notSent only)
    assert len(rows) == report["invalid"] + report["localDuplicates"] == 8
    assert list(rows[0])[-2:] == ["row", "reason"]
    by_row = {int(r["row"]): r for r in rows}
    assert by_row[25]["Email"] == "jane.doe@"
    assert by_row[43]["Phone Number"] == "'+1 415 555 1041"  # neutralised, not lost
    assert by_row[92]["Zip"] == "02140"  # leading zero kept as written


def test_stdin_is_read_with_dash(tmp_path):
    result = runner.invoke(
        app, ["import", "-", "--dry-run", "--json"], input=b"Email\na@example.com\nb@example.com\n"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rowsRead"] == 2


def test_human_summary_shows_counts_and_sample_rows(tmp_path):
    result = run("import", str(SAMPLE / "leads.csv"), "--dry-run", "--fail-on", "never")
    assert result.exit_code == 0
    assert "Rows read" in result.stdout
    assert "jane.doe@" in result.stdout  # a rejected row, with its number and reason
    assert "Mapping of" in result.stdout


def test_the_summary_ends_with_the_outcome_then_the_hint(tmp_path):
    result = run("import", str(SAMPLE / "leads.csv"), "--dry-run", "--fail-on", "never")
    assert result.exit_code == 0
    assert result.stdout.strip().splitlines()[-1] == (
        "Checked 200 rows: 192 ready to send; 3 duplicates and 5 errors. "
        "Add --rejected FILE.csv to get these rows back, ready to fix."
    )


def test_a_clean_dry_run_gives_no_hint(tmp_path):
    f = write(tmp_path / "a.csv", "Email\na@example.com\nb@example.com\n")
    result = run("import", str(f), "--dry-run")
    assert result.exit_code == 0
    assert "--rejected" not in result.stdout
    assert result.stdout.strip().splitlines()[-1] == (
        "Checked 2 rows: 2 ready to send; no duplicates or errors."
    )


def test_the_summary_names_the_files_the_details_went_to(tmp_path):
    rejected, report = tmp_path / "bad.csv", tmp_path / "report.json"
    result = run(
        "import", str(SAMPLE / "leads.csv"), "--dry-run", "--fail-on", "never",
        "--rejected", str(rejected), "--report", str(report),
    )  # fmt: skip
    assert result.exit_code == 0
    assert result.stdout.strip().splitlines()[-1] == (
        "Checked 200 rows: 192 ready to send; 3 duplicates and 5 errors. The 8 rows with "
        f"problems are in {rejected} and the full report is in {report}."
    )
    assert len(list(csv.reader(rejected.open(encoding="utf-8")))) == 1 + 8


def test_quiet_prints_one_line(tmp_path):
    result = run("import", str(SAMPLE / "leads.csv"), "--dry-run", "--quiet", "--fail-on", "never")
    assert result.exit_code == 0
    # The elapsed time is the one part that depends on the machine.
    elapsed = re.fullmatch(r".*\((\d+\.\d) s, 0 requests\)\n", result.stdout)
    assert elapsed is not None, result.stdout
    assert result.stdout == (
        "foxreach dry run: 200 rows read: 0 created, 0 restored, 3 duplicates, 5 errors, "
        f"0 excluded, 192 not sent ({elapsed[1]} s, 0 requests)\n"
    )


def test_map_command_shows_and_writes_a_reusable_mapping(tmp_path):
    out = tmp_path / "mapping.toml"
    result = run("map", str(SAMPLE / "leads.csv"), "--write", str(out))
    assert result.exit_code == 0, result.output
    assert "firstName" in result.stdout and "linkedinUrl" in result.stdout
    assert out.exists()
    again = dry_json(str(SAMPLE / "leads.csv"), "--mapping", str(out))
    assert again["rowsRead"] == 200
