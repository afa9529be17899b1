"""A journal written by the previous version (counts as positional lists, summaries with merged
duplicates and errors) is read by this one: ``foxreach runs`` lists it, ``runs show``
reproduces its report, and a resume takes its answers and adds its own, with named keys.

The fixture (tests/data/journal_v1) was written by that version's own code: see its build.py.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.report import ReportFold
from foxreach_cli.resume import Resume, Work
from foxreach_cli.stage_data import BatchOutcome, Tally
from foxreach_cli.state.journal import file_hash

FIXTURE = Path(__file__).parents[1] / "data" / "journal_v1"
DESTINATION = "https://api.foxreach.example/api/v1#0123456789abcdef"
runner = CliRunner()

#: The counts of the previous version's report of a file, as a report of this one names them.
COUNT_KEYS = ("rowsRead", "valid", "invalid", "localDuplicates", "created", "restored",
              "duplicates", "errors", "excluded", "notSent", "requests", "retries")  # fmt: skip


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The fixture folder copied (a resume writes to the journal)."""
    target = tmp_path / "journal_v1"
    shutil.copytree(FIXTURE, target)
    return target


def test_the_fixture_is_in_the_previous_format() -> None:
    db = sqlite3.connect(f"{(FIXTURE / 'state' / 'journal.sqlite').as_uri()}?mode=ro", uri=True)
    outcomes = [json.loads(o) for (o,) in db.execute("SELECT outcome FROM batches") if o]
    summaries = [json.loads(s) for (s,) in db.execute("SELECT summary FROM runs")]
    db.close()
    assert outcomes and all(isinstance(o["counts"], list) for o in outcomes)
    assert all("duplicates" in s and "serverDuplicates" not in s for s in summaries)


def test_runs_lists_the_previous_versions_runs_with_their_counts(copy: Path) -> None:
    out = runner.invoke(app, ["runs", "--state-dir", str(copy / "state"), "--json"])
    assert out.exit_code == 0, out.output
    runs = {r["file"]: r for r in json.loads(out.output)}
    assert set(runs) == {"seed.csv", "leads.csv", "partial.csv"}
    before = json.loads((FIXTURE / "leads.csv.json").read_text())
    leads = runs["leads.csv"]
    assert leads["status"] == "finished" and leads["path"] == "/data/leads.csv"
    for key in ("rowsRead", "created", "restored", "duplicates", "errors", "excluded", "notSent"):
        assert leads[key] == before[key], key
    partial = runs["partial.csv"]
    assert partial["status"] == "interrupted"
    assert (partial["created"], partial["duplicates"], partial["errors"]) == (2, 1, 1)
    table = runner.invoke(app, ["runs", "--state-dir", str(copy / "state")])
    assert table.exit_code == 0 and "leads.csv" in table.output


def test_runs_show_reproduces_the_previous_versions_report(copy: Path) -> None:
    listed = runner.invoke(app, ["runs", "--state-dir", str(copy / "state"), "--json"])
    run_id = next(r["id"] for r in json.loads(listed.output) if r["file"] == "leads.csv")
    out = runner.invoke(app, ["runs", "show", str(run_id), "--state-dir", str(copy / "state"),
                              "--file", str(copy / "leads.csv"), "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    now = json.loads(out.output)
    before = json.loads((FIXTURE / "leads.csv.json").read_text())
    assert {k: now[k] for k in COUNT_KEYS} == {k: before[k] for k in COUNT_KEYS}
    assert now["previousRuns"] == before["previousRuns"]

    def rows(report: dict[str, Any], key: str) -> list[tuple[int, str, str]]:
        return [(d["row"], d["code"], d["reason"]) for d in report[key]]

    for key in ("duplicateDetails", "errorDetails", "excludedDetails"):
        assert rows(now, key) == rows(before, key), key
    assert now["excludedDetails"][0]["params"] == {
        "list": "exclude.txt", "entry": "blocked.example"
    }  # fmt: skip


def test_a_resume_reads_the_previous_versions_answers_and_adds_its_own(copy: Path) -> None:
    path = copy / "partial.csv"
    work = Work(DESTINATION, {"partial.csv": file_hash(path)})
    with ExitStack() as stack:
        resume = Resume.open(work, copy / "state", stack, force=False, options={},
                             paths={"partial.csv": path}, note=print)  # fmt: skip
        (history,) = resume.history
        assert not history.reproduced
        assert history.counts == Tally(created=2, server_duplicates=1, server_errors=1)
        assert resume.settled["partial.csv"].tolist() == [2, 3, 4, 5]
        assert resume.uncertain == {("partial.csv", 6), ("partial.csv", 7)}
        fold = ReportFold([], dry_run=False)
        fold.add(history)
        report = fold.finish(elapsed=0)
        assert report.to_dict()["previousRuns"] == {
            "created": 2, "restored": 0, "duplicates": 1, "errors": 1
        }  # fmt: skip
        assert [(d["row"], d["code"]) for d in report.to_dict()["errorDetails"]] == [
            (5, "server_error")
        ]
        # This version answers the batch left unanswered: named keys beside the old list.
        journal = resume.journal
        assert journal is not None
        batch = journal.batch_sent(DESTINATION, work.hashes["partial.csv"], [6, 7])
        answer = Tally(created=1, restored=1)
        journal.batch_done(batch, BatchOutcome(answer, {
            6: ("imported", "uma.partial@example.com", "", ()),
            7: ("imported", "vic.partial@example.com", "", ()),
        }))  # fmt: skip
        summary = Tally(rows_read=6, valid=6, created=3, restored=1, server_duplicates=1,
                        server_errors=1, requests=3, batches=2)  # fmt: skip
        journal.finish_file(DESTINATION, work.hashes["partial.csv"], summary)
        journal.run_ended(resume.run_ids["partial.csv"], "finished", summary)
    stored = sqlite3.connect(copy / "state" / "journal.sqlite")
    (outcome,) = stored.execute("SELECT outcome FROM batches WHERE id=?", (batch,)).fetchone()
    stored.close()
    assert json.loads(outcome)["counts"] == answer.to_json()
    again = Resume.replay(DESTINATION, [("partial.csv", path)], copy / "state", note=print)
    (history,) = again.history
    assert history.reproduced
    assert history.counts == Tally(created=3, restored=1, server_duplicates=1, server_errors=1,
                                   requests=3, batches=2)  # fmt: skip
    out = runner.invoke(app, ["runs", "--state-dir", str(copy / "state"), "--json"])
    runs = [r for r in json.loads(out.output) if r["file"] == "partial.csv"]
    assert [(r["status"], r["created"], r["duplicates"]) for r in runs] == [
        ("finished", 3, 1), ("interrupted", 2, 1)
    ]  # fmt: skip


def test_counts_read_from_json_in_either_form() -> None:
    t = Tally(rows_read=9, valid=7, invalid=1, local_duplicates=1, created=5, server_errors=1,
              excluded=1, requests=2, batches=2, retry_duplicates=1)  # fmt: skip
    assert Tally.from_json(t.to_json()) == t
    assert t.to_json()["duplicatesFromRetries"] == 1
    assert Tally.from_json([1, 2, 3, 4]) == Tally(created=1, restored=2, server_duplicates=3,
                                                  server_errors=4)  # fmt: skip
    old = {"rowsRead": 11, "created": 6, "duplicates": 3, "errors": 1, "rateLimited": 2}
    assert (Tally.from_json(old).duplicates, Tally.from_json(old).errors) == (3, 1)
    assert Tally.from_json({"created": 1, "aCountOfALaterVersion": 4}) == Tally(created=1)
    for damaged in ({"created": "1"}, {"created": True}, [1, 2], "x"):
        with pytest.raises(ValueError):
            Tally.from_json(damaged)
