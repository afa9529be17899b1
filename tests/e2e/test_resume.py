"""Unattended runs: SIGKILL mid-import and resume, locking, --move-done, machine output.

The importer runs against the real sandbox; kill points are seeded so each parametrised case
kills at a different, reproducible moment. The killed run is a real process: a fresh
interpreter for one seed, a fork of this one (the same code, without 1 s of start-up) for the
others. Runs that are not killed run in-process.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from tests.accounting import assert_accounted
from tests.signals import ForkedCli, watch_imports

ROW_COUNT = 4000
BATCH = "100"


def make_csv(path: Path, n: int) -> set[str]:
    valid = set()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Email", "First Name", "Company"])
        for i in range(n):
            if i % 500 == 7:
                email = f"broken{i}@"
            elif i % 500 == 9:
                email = f"LEAD{i - 1}@EXAMPLE.COM"  # duplicate of the row before
            else:
                email = f"lead{i}@example.com"
                valid.add(email)
            w.writerow([email, f"Name{i}", "Acme"])
    return valid


def command(path: Path, sandbox, key: str, state: Path, *extra: str) -> list[str]:
    """The command line of a process running ``foxreach import``."""
    return [
        sys.executable,
        "-m",
        "foxreach_cli.cli",
        *import_args(path, sandbox, key, state, *extra),
    ]


def import_args(path: Path, sandbox, key: str, state: Path, *extra: str) -> list[str]:
    """``foxreach import``'s arguments (without the program)."""
    return [
        "import",
        str(path),
        "--base-url",
        sandbox.base_url,
        "--api-key",
        key,
        "--state-dir",
        str(state),
        "--batch-size",
        BATCH,
        "--rate-limit",
        "100000",
        "--rate-window",
        "1",
        "--json",
        "--fail-on",
        "never",
        *extra,
    ]


def run_to_end(args: list[str]) -> tuple[int, dict]:
    """Run ``foxreach`` in-process with ``args``; its exit code and JSON report."""
    result = CliRunner().invoke(app, args)
    assert result.stdout.strip(), result.output
    return result.exit_code, json.loads(result.stdout)


def kill_after_imports(args: list[str], sandbox, imports: int, *, fresh_interpreter: bool) -> None:
    """Start the importer and SIGKILL it once the sandbox has taken ``imports`` requests."""
    watch = watch_imports(sandbox)
    if fresh_interpreter:
        cmd = [sys.executable, "-m", "foxreach_cli.cli", *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        proc = ForkedCli(args)
    try:
        watch.wait(imports, proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(10)


def stored_emails(sandbox, key: str) -> list[str]:
    return [x["email"].lower() for x in sandbox.store.leads(key) if not x.get("deletedAt")]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_rate", [0.0, 0.1])
def test_sigkill_at_a_random_point_then_resume_imports_each_lead_exactly_once(
    sandbox_factory, tmp_path, seed, drop_rate
):
    sandbox = sandbox_factory(on_disk=True, latency=0.01, drop_rate=drop_rate, seed=seed)
    key = f"otr_resume_{seed}_{int(drop_rate * 10)}"
    path = tmp_path / "leads.csv"
    valid = make_csv(path, ROW_COUNT)
    state = tmp_path / "state"
    kill_point = random.Random(seed).randint(1, 30)  # of ~40 requests
    args = import_args(path, sandbox, key, state)
    kill_after_imports(args, sandbox, kill_point, fresh_interpreter=seed == 1)

    code, r = run_to_end(args)
    emails = stored_emails(sandbox, key)
    assert sorted(emails) == sorted(valid), "every valid unique lead exactly once"
    assert code == 0
    assert r["rowsRead"] == ROW_COUNT
    assert_accounted(r)
    assert r["notSent"] == 0
    # Rows the killed run sent without an answer come back as duplicates marked as ours;
    # nothing pre-existed in this workspace, so every other duplicate is a local one.
    assert r["created"] + r["duplicatesFromRetries"] == len(emails)
    assert r["duplicates"] - r["duplicatesFromRetries"] == r["localDuplicates"]
    assert r["previousRuns"]["created"] > 0 or r["duplicatesFromRetries"] > 0

    # The file is now done: a third run sends nothing and reproduces its counts.
    before = sandbox.stats.imports
    code, again = run_to_end(args)
    assert again["reproduced"] is True and sandbox.stats.imports == before
    outcome = ("rowsRead", "created", "restored", "duplicates", "errors", "notSent")
    assert [again[k] for k in outcome] == [r[k] for k in outcome]


def test_no_resume_starts_over(sandbox, api_key, tmp_path):
    path = tmp_path / "leads.csv"
    make_csv(path, 300)
    state = tmp_path / "state"
    run_to_end(import_args(path, sandbox, api_key, state))
    _, r = run_to_end(import_args(path, sandbox, api_key, state, "--no-resume"))
    assert r["created"] == 0  # everything was sent again and came back as duplicates
    assert r["duplicates"] == r["rowsRead"] - r["errors"] == 299


def test_the_journal_is_per_workspace(sandbox, api_key, tmp_path):
    path = tmp_path / "leads.csv"
    valid = make_csv(path, 200)
    state = tmp_path / "state"
    run_to_end(import_args(path, sandbox, f"{api_key}_one", state))
    _, r = run_to_end(import_args(path, sandbox, f"{api_key}_two", state))
    assert r["reproduced"] is False
    assert sorted(stored_emails(sandbox, f"{api_key}_two")) == sorted(valid)


def test_two_concurrent_runs_on_the_same_file_never_both_import(sandbox_factory, api_key, tmp_path):
    # 10 requests one at a time, 0.3 s each: after the first, the second run has 2.7 s to ask
    # for the lock (it asks within half a second).
    sandbox = sandbox_factory(latency=0.3)
    path = tmp_path / "leads.csv"
    valid = make_csv(path, 1000)
    state = tmp_path / "state"
    args = import_args(path, sandbox, api_key, state, "--concurrency", "1")
    watch = watch_imports(sandbox)
    first = subprocess.Popen(
        [sys.executable, "-m", "foxreach_cli.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watch.wait(1, first)  # it holds the file's lock while its first request is answered
    # In-process, so the second run asks for the lock at once (a second interpreter could
    # still be starting when a loaded machine's first run ends).
    second = CliRunner().invoke(app, args)
    _out, _ = first.communicate(timeout=120)
    assert first.returncode == 0
    assert second.exit_code == 6, second.output
    assert second.stderr == (
        f"Error: Another foxreach run is importing {path} to the same workspace; waited 0 s. "
        "Try again later or raise --lock-timeout.\n"
    )
    assert sorted(stored_emails(sandbox, api_key)) == sorted(valid)


def test_move_done_moves_only_fully_accounted_files(sandbox_factory, api_key, tmp_path):
    sandbox = sandbox_factory(contact_limit=150)
    drop = tmp_path / "drop"
    drop.mkdir()
    make_csv(drop / "a.csv", 100)
    make_csv(drop / "b.csv", 300)
    done = tmp_path / "done"
    code, _ = run_to_end(
        import_args(drop, sandbox, api_key, tmp_path / "state", "--move-done", str(done))
    )
    assert code == 4  # the plan limit stopped the run: a failed run moves nothing
    assert sorted(p.name for p in drop.iterdir()) == ["a.csv", "b.csv"]
    assert not done.exists() or not any(done.iterdir())

    ok = sandbox_factory()
    code, _r = run_to_end(
        import_args(drop, ok, api_key, tmp_path / "state2", "--move-done", str(done))
    )
    assert code == 0
    assert sorted(p.name for p in done.iterdir()) == ["a.csv", "b.csv"]
    assert not any(drop.iterdir())


def test_output_without_a_terminal_has_no_escape_codes(sandbox, tmp_path):
    path = tmp_path / "leads.csv"
    make_csv(path, 50)
    cmd = command(path, sandbox, "otr_tty", tmp_path / "state")
    cmd.remove("--json")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TERM")}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout and "\x1b[" not in proc.stderr
    assert "Import report" in proc.stdout


def test_quiet_prints_one_line_and_log_file_gets_timestamped_lines(sandbox, tmp_path):
    path = tmp_path / "leads.csv"
    make_csv(path, 50)
    log = tmp_path / "run.log"
    cmd = command(path, sandbox, "otr_quiet", tmp_path / "state", "--quiet", "--log-file", str(log))
    cmd.remove("--json")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert len(proc.stdout.strip().splitlines()) == 1
    assert proc.stderr == ""
    lines = log.read_text().splitlines()
    assert lines and all(line[:4].isdigit() and line[10] == " " for line in lines)
    assert any("50 rows read" in line for line in lines)
    assert oct(log.stat().st_mode & 0o777) == "0o600"


def test_ctrl_c_finishes_requests_in_flight_reports_and_exits_130(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(latency=0.05)
    path = tmp_path / "leads.csv"
    valid = make_csv(path, ROW_COUNT)
    state = tmp_path / "state"
    cmd = command(path, sandbox, "otr_ctrl_c", state, "--concurrency", "2")
    watch = watch_imports(sandbox)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watch.wait(5, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    r = json.loads(out)
    assert r["stoppedBecause"] == "interrupted"
    assert r["rowsRead"] == ROW_COUNT  # the rest was read locally and accounted for
    assert_accounted(r)
    assert r["notSent"] > 0 and r["created"] == len(stored_emails(sandbox, "otr_ctrl_c"))

    code, again = run_to_end(cmd[3:])  # the same arguments, in-process
    assert code == 0
    assert sorted(stored_emails(sandbox, "otr_ctrl_c")) == sorted(valid)
    assert again["previousRuns"]["created"] == r["created"]
