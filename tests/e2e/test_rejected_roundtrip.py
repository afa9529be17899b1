"""A file written by --rejected, fixed and imported again, gives exactly the leads its rows
would have given the first time (foxreach_cli.rejected_file)."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.mapping_file import load_mapping_file
from foxreach_cli.outputs import FORMULA_PREFIXES, neutralise_formula
from foxreach_cli.read import open_source, read_rows
from foxreach_cli.rejected_file import adopt_rejected_file, restore_cell

runner = CliRunner()
FAST = ["--rate-window", "2", "--rate-limit", "1000"]

#: Every prefix the writer neutralises, and the apostrophe it escapes.
PREFIXES = [*FORMULA_PREFIXES, "'"]


@given(st.text(max_size=12))
def test_restore_undoes_neutralise(cell: str) -> None:
    assert restore_cell(neutralise_formula(cell)) == cell


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_prefix_survives_a_rejected_file_both_ways(prefix: str, tmp_path: Path) -> None:
    original = f"{prefix}x{prefix}"
    source = tmp_path / "in.csv"
    with open(source, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Email", "Notes"], ["broken@", original], ["broken2@", "plain"]])
    rejected = tmp_path / "rejected.csv"
    result = runner.invoke(
        app,
        ["import", str(source), "--dry-run", "--fail-on", "never", "--rejected", str(rejected)],
    )
    assert result.exit_code == 0, result.output
    with open(rejected, newline="", encoding="utf-8") as fh:
        written = list(csv.reader(fh))
    assert written[1][:2] == ["broken@", "'" + original]  # neutralised on the way out
    with open_source(str(rejected)) as opened:
        src, mapping_file = adopt_rejected_file(opened, None)
        assert mapping_file is not None
        assert src.info.headers == ["Email", "Notes"]
        frame = next(iter(src.chunks())).frame
        assert frame[src.info.columns[1]].tolist() == [original, "plain"]
        # The cells re-read for the next rejected file come back the same way.
        assert [cells for _, cells in read_rows(src, {2, 3})] == [
            ["broken@", original],
            ["broken2@", "plain"],
        ]


def test_a_file_of_rejected_rows_without_its_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fixed.csv"
    path.write_text("Email,row,reason\nada@example.com,2,missing email\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path), "--dry-run"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: {path} is a file of rejected rows (its last columns are row and reason), "
        f"but the mapping saved with it ({path}.mapping.toml) is not there; pass it with "
        "--mapping, or rename the row and reason columns if this is not such a file."
    )


# --- end to end, against the sandbox -----------------------------------------------------------

HEADER = ["Full Name", "Email", "Follow-up", "Phone", "Status", "Remark"]
ROWS = [
    # rejected for its email: fixed by correcting it
    ["King, Ada, Jr.", "ada@example", "- call back", "+1 415 555 0100", "active", "'quoted"],
    # rejected for its status: fixed by correcting it
    ["Dr. Grace Hopper", "-ann@example.com", "=1+1", "", "zzz", "@home"],
    ["Alan Turing", "alan@example.com", "", "", "replied", ""],
    ["Edsger Dijkstra", "edsger@example.com", "", "", "active", ""],
]
FIXES = {"ada@example": "ada@example.com", "zzz": "active"}


def _write(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def _import(base_url: str, key: str, *args: str) -> dict[str, Any]:
    options = ["--base-url", base_url, "--api-key", key, "--json", "--fail-on", "never", *FAST]
    result = runner.invoke(app, ["import", *args, *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _content(lead: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in lead.items() if k not in ("id", "createdAt", "updatedAt")}


def test_a_fixed_rejected_file_stores_the_leads_of_the_fixed_rows(
    sandbox, api_key, tmp_path: Path
) -> None:
    source = tmp_path / "leads.csv"
    _write(source, [HEADER, *ROWS])
    rejected = tmp_path / "rejected.csv"
    # --map: the first run decides the status column explicitly; the rejected rows alone
    # (one 'zzz') would look like no status column to content rules.
    first = _import(
        sandbox.base_url, api_key, str(source), "--rejected", str(rejected), "--map",
        "Status=status",
    )  # fmt: skip
    assert (first["created"], first["errors"]) == (2, 2)
    assert load_mapping_file(f"{rejected}.mapping.toml").decisions == {
        "split_name": (("Full Name",), "4 of 4 sampled cells are names")
    }

    # A person fixes the two rows in place and imports the file again.
    with open(rejected, newline="", encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == [*HEADER, "row", "reason"]
    _write(rejected, [lines[0]] + [[FIXES.get(c, c) for c in line] for line in lines[1:]])
    second = _import(sandbox.base_url, api_key, str(rejected))
    assert (second["created"], second["errors"]) == (2, 0)

    # The same rows fixed in the original file, imported into a workspace of their own.
    fixed = tmp_path / "fixed.csv"
    _write(fixed, [HEADER, *([FIXES.get(c, c) for c in row] for row in ROWS[:2])])
    other = f"otr_test_{uuid.uuid4().hex}"
    _import(sandbox.base_url, other, str(fixed), "--map", "Status=status")

    by_email = {lead["email"]: _content(lead) for lead in sandbox.store.leads(api_key)}
    expected = {lead["email"]: _content(lead) for lead in sandbox.store.leads(other)}
    assert {e: by_email[e] for e in expected} == expected
    ada, ann = by_email["ada@example.com"], by_email["-ann@example.com"]
    assert (ada["firstName"], ada["lastName"]) == ("Ada", "King")
    assert ada["customFields"] == {
        "Full Name": "King, Ada, Jr.",
        "Follow-up": "- call back",
        "Remark": "'quoted",
    }
    assert ada["phone"] == "+1 415 555 0100"
    assert (ann["firstName"], ann["lastName"], ann["status"]) == ("Grace", "Hopper", "active")
    assert ann["customFields"] == {
        "Full Name": "Dr. Grace Hopper",
        "Follow-up": "=1+1",
        "Remark": "@home",
    }
