"""The operator's view: a rerun reproduces the report, and ``foxreach runs`` tells the history.

Against the real sandbox: the reproduced report and rejected file equal the first ones byte
for byte (timestamps aside), nothing is sent again, and ``runs`` tells a finished, a running
and an interrupted import apart.
"""

from __future__ import annotations

import hashlib
import json
import signal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from tests.accounting import assert_accounted
from tests.signals import ForkedCli, watch_imports

runner = CliRunner()
FAST = ["--rate-window", "2", "--rate-limit", "1000"]


def write_leads(path: Path, n: int) -> Path:
    """``n`` rows with an invalid row and a duplicate every 50 rows, and a formula cell."""
    lines = ["Email,First Name,Company"]
    for i in range(n):
        if i % 50 == 7:
            lines.append(f"broken{i}@,=cmd(),Acme")
        elif i % 50 == 9:
            lines.append(f"LEAD{i - 1}@EXAMPLE.COM,Dup{i},Acme")
        else:
            lines.append(f"lead{i}@example.com,Name{i},Acme")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_args(path: Path, sandbox, key: str, state: Path, *extra: str) -> list[str]:
    return ["import", str(path), "--base-url", sandbox.base_url, "--api-key", key,
            "--state-dir", str(state), "--fail-on", "never", *FAST, *extra]  # fmt: skip


def without_timestamps(report: dict[str, Any]) -> dict[str, Any]:
    """The report less what says when (elapsed, the import's time) and that it is a copy."""
    out = {k: v for k, v in report.items() if k not in ("elapsedSeconds", "reproduced")}
    out["files"] = [{k: v for k, v in f.items() if k != "importedAt"} for f in report["files"]]
    return out


def test_a_rerun_reproduces_the_report_and_rejected_rows_and_sends_nothing(
    sandbox, api_key, tmp_path
):
    path = write_leads(tmp_path / "leads.csv", 700)
    state = tmp_path / "state"
    first = runner.invoke(
        app,
        import_args(path, sandbox, api_key, state, "--report", str(tmp_path / "r1.json"),
                    "--rejected", str(tmp_path / "x1.csv")),
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    imports = sandbox.stats.imports
    again = runner.invoke(
        app,
        import_args(path, sandbox, api_key, state, "--report", str(tmp_path / "r2.json"),
                    "--rejected", str(tmp_path / "x2.csv"), "--json"),
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert sandbox.stats.imports == imports  # nothing sent
    r1 = json.loads((tmp_path / "r1.json").read_text(encoding="utf-8"))
    r2 = json.loads((tmp_path / "r2.json").read_text(encoding="utf-8"))
    assert json.loads(again.stdout) == r2
    assert (r1["reproduced"], r2["reproduced"]) == (False, True)
    assert r1["files"][0]["importedAt"] is None
    assert r2["files"][0]["importedAt"].startswith(r2["files"][0]["importedAt"][:4])
    assert without_timestamps(r2) == without_timestamps(r1)
    assert (tmp_path / "x2.csv").read_bytes() == (tmp_path / "x1.csv").read_bytes()
    assert_accounted(r2)
    assert (r2["created"], r2["errors"], r2["duplicates"]) == (672, 14, 14)


def test_an_edited_file_is_a_new_import_and_force_imports_again(sandbox, api_key, tmp_path):
    path = write_leads(tmp_path / "leads.csv", 60)
    state = tmp_path / "state"
    runner.invoke(app, import_args(path, sandbox, api_key, state))
    forced = runner.invoke(app, import_args(path, sandbox, api_key, state, "--force", "--json"))
    r = json.loads(forced.stdout)
    assert (r["reproduced"], r["created"], r["duplicates"]) == (False, 0, 58)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("new.lead@example.com,New,Acme\n")
    edited = runner.invoke(app, import_args(path, sandbox, api_key, state, "--json"))
    r = json.loads(edited.stdout)
    assert (r["reproduced"], r["rowsRead"], r["created"]) == (False, 61, 1)


def runs_json(state: Path, *extra: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["runs", "--state-dir", str(state), "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_runs_lists_each_import_newest_first_without_the_key(sandbox, api_key, tmp_path):
    state = tmp_path / "state"
    a = write_leads(tmp_path / "a.csv", 60)
    b = write_leads(tmp_path / "b.csv", 120)
    for path in (a, b, a):
        runner.invoke(app, import_args(path, sandbox, api_key, state))
    runs = runs_json(state)
    assert [(r["id"], r["file"], r["status"]) for r in runs] == [
        (3, str(a), "reproduced"),
        (2, str(b), "finished"),
        (1, str(a), "finished"),
    ]
    digest = hashlib.sha256(a.read_bytes()).hexdigest()[:12]
    fingerprint = hashlib.sha256(("foxreach:" + api_key).encode()).hexdigest()[:8]
    host = sandbox.base_url.split("//")[1].split("/")[0]
    assert runs[2] == {
        "id": 1,
        "startedAt": runs[2]["startedAt"],
        "endedAt": runs[2]["endedAt"],
        "file": str(a),
        "path": str(a.resolve()),
        "contentHash": digest,
        "destination": f"{host} key {fingerprint}",
        "status": "finished",
        "rowsRead": 60,
        "created": 56,
        "restored": 0,
        "duplicates": 2,
        "errors": 2,
        "excluded": 0,
        "notSent": 0,
    }
    assert runs[2]["startedAt"] <= runs[2]["endedAt"]
    assert [r["id"] for r in runs_json(state, "--limit", "2")] == [3, 2]
    table = runner.invoke(app, ["runs", "--state-dir", str(state)], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    assert api_key not in table.output and api_key not in json.dumps(runs)
    assert f"@{digest[:8]}" in table.output and "reproduced" in table.output


def test_runs_show_reproduces_a_run_with_its_rejected_rows(sandbox, api_key, tmp_path):
    path = write_leads(tmp_path / "leads.csv", 120)
    state = tmp_path / "state"
    runner.invoke(
        app,
        import_args(path, sandbox, api_key, state, "--report", str(tmp_path / "r1.json"),
                    "--rejected", str(tmp_path / "x1.csv"), "--map", "Company=customFields.org"),
    )  # fmt: skip
    r1 = json.loads((tmp_path / "r1.json").read_text(encoding="utf-8"))

    def show(*extra: str) -> tuple[int, str]:
        result = runner.invoke(app, ["runs", "show", "1", "--state-dir", str(state), *extra])
        return result.exit_code, result.output

    code, out = show("--json", "--report", str(tmp_path / "r3.json"),
                     "--rejected", str(tmp_path / "x3.csv"))  # fmt: skip
    assert code == 0, out
    r3 = json.loads(out)
    assert r3["reproduced"] is True
    # The same mapping as the import used: its --map was recorded with the run.
    assert r3["files"][0]["mapping"] == r1["files"][0]["mapping"]
    assert without_timestamps(r3) == without_timestamps(r1)
    assert json.loads((tmp_path / "r3.json").read_text(encoding="utf-8")) == r3
    assert (tmp_path / "x3.csv").read_bytes() == (tmp_path / "x1.csv").read_bytes()

    moved = path.rename(tmp_path / "elsewhere.csv")
    assert show() == (
        2,
        f"Error: Run 1 read {path.resolve()}, which is no longer there (moved by "
        "--move-done?); pass where it is now with --file.\n",
    )
    code, _ = show("--file", str(moved), "--rejected", str(tmp_path / "x4.csv"))
    assert code == 0
    assert (tmp_path / "x4.csv").read_bytes() == (tmp_path / "x1.csv").read_bytes()
    write_leads(tmp_path / "other.csv", 10)
    assert show("--file", str(tmp_path / "other.csv")) == (
        2,
        f"Error: {tmp_path / 'other.csv'} is not the file run 1 imported (its content differs).\n",
    )
    assert runner.invoke(app, ["runs", "show", "7", "--state-dir", str(state)]).output == (
        f"Error: There is no run 7 in {state}; 'foxreach runs' lists them.\n"
    )


def test_runs_tells_running_from_interrupted(sandbox_factory, api_key, tmp_path):
    # Latency and one request at a time keep the first run going while it is looked at.
    sandbox = sandbox_factory(latency=0.4)
    path = write_leads(tmp_path / "leads.csv", 3000)
    state = tmp_path / "state"
    args = import_args(path, sandbox, api_key, state, "--batch-size", "100", "--json")
    watch = watch_imports(sandbox)
    proc = ForkedCli([*args, "--concurrency", "1"])
    try:
        watch.wait(2, proc)
        [running] = runs_json(state)
        assert (running["status"], running["endedAt"], running["rowsRead"]) == (
            "running",
            None,
            None,
        )
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    [died] = runs_json(state)
    assert (died["id"], died["status"], died["endedAt"]) == (1, "interrupted", None)
    # The next run resumes it and finishes (many requests at a time: the latency costs a
    # second, not 12); the history keeps both.
    done = runner.invoke(app, [*args, "--concurrency", "16"])
    assert_accounted(json.loads(done.stdout))
    assert [(r["id"], r["status"]) for r in runs_json(state)] == [
        (2, "finished"),
        (1, "interrupted"),
    ]


def test_no_history_yet_and_a_corrupt_journal(tmp_path):
    empty = runner.invoke(app, ["runs", "--state-dir", str(tmp_path / "none")])
    assert (empty.exit_code, empty.output) == (0, "No imports recorded yet.\n")
    assert not (tmp_path / "none").exists()  # listing creates nothing
    state = tmp_path / "state"
    state.mkdir()
    journal = state / "journal.sqlite"
    journal.write_bytes(b"this is not a database, it is a broken file\n" * 20)
    before = journal.read_bytes()
    for args in (["runs"], ["runs", "show", "1"]):
        result = runner.invoke(app, [*args, "--state-dir", str(state)])
        assert result.exit_code == 2
        assert result.output == (
            f"Error: --state-dir {journal} cannot be read: database error: "
            "file is not a database.\n"
        )
    assert journal.read_bytes() == before
    assert sorted(p.name for p in state.iterdir()) == ["journal.sqlite"]


@pytest.mark.parametrize("flag", ["--json", "--limit"])
def test_runs_options_are_in_its_help(flag):
    assert flag in runner.invoke(app, ["runs", "--help"]).output
