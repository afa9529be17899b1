"""Build this folder's journal with the foxreach that stored counts as positional lists.

Run from a checkout of that version (main before "one count schema"), with this folder as the
working directory:

    PYTHONPATH=<that checkout> python build.py

It imports ``seed.csv`` and then ``leads.csv`` into a throw-away embedded sandbox (so some
leads of ``leads.csv`` are already in the workspace), then records with that version's
journal an import of ``partial.csv`` that stopped after its first batch was answered and
its second sent. The destination and paths are then made neutral (no path of the machine
that built it). Invented people only.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.resume import file_summary
from foxreach_cli.stage_data import BatchOutcome, ServerCounts, Tally
from foxreach_cli.state.journal import INTERRUPTED, Journal, file_hash

HERE = Path(__file__).parent
DESTINATION = "https://api.foxreach.example/api/v1#0123456789abcdef"


def main() -> None:
    state = HERE / "state"
    shutil.rmtree(state, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "sandbox.sqlite"
        common = ["--sandbox", "--sandbox-db", str(db), "--resume", "--state-dir", str(state),
                  "--fail-on", "never", "--batch-size", "5"]  # fmt: skip
        for name, extra in (("seed.csv", []), ("leads.csv", ["--exclude", "exclude.txt"])):
            args = ["import", name, *common, "--report", f"{name}.json", *extra]
            out = CliRunner().invoke(app, args)
            assert out.exit_code == 0, out.output
        with Journal(state) as journal:
            digest = file_hash(HERE / "partial.csv")
            journal.start_file(DESTINATION, digest, "partial.csv")
            run = journal.run_started(DESTINATION, digest, "partial.csv", "/data/partial.csv", {})
            first = journal.batch_sent(DESTINATION, digest, [2, 3, 4, 5])
            journal.batch_done(first, BatchOutcome(
                counts=ServerCounts(created=2, restored=0, duplicates=1, errors=1),
                rows={
                    2: ("imported", "pia.partial@example.com", "", ()),
                    3: ("imported", "raj.partial@example.com", "", ()),
                    4: ("duplicate", "seed1@example.com", "in_workspace", ()),
                    5: ("error", "zed.partial@example.com", "server_error", ("rejected",)),
                },
            ))  # fmt: skip
            journal.batch_sent(DESTINATION, digest, [6, 7])
            tally = Tally(rows_read=6, valid=6, created=2, server_duplicates=1, server_errors=1,
                          not_sent=0, requests=2, batches=1)  # fmt: skip
            journal.run_ended(run, INTERRUPTED, file_summary(tally))
    con = sqlite3.connect(state / "journal.sqlite")
    with con:
        for table in ("files", "batches", "runs"):
            con.execute(f"UPDATE {table} SET destination=?", (DESTINATION,))
        con.execute("UPDATE runs SET path='/data/' || name")
    con.execute("VACUUM")
    con.close()
    shutil.rmtree(state / "locks")  # the run's locks and rate budget: not the journal
    for path in state.glob("budget-*"):
        path.unlink()
    for name in ("seed.csv", "leads.csv"):
        report = json.loads((HERE / f"{name}.json").read_text())
        report["files"][0]["file"] = name
        (HERE / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
