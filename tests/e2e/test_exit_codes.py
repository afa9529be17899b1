"""Exit codes mean one thing each: 2 is "nothing was sent", 7 is "stopped or refused something
after leads were sent", and one stated precedence picks the code when several apply."""

from __future__ import annotations

import errno
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.cli.errors import FailOn, exit_code_for, run_exit_code
from foxreach_cli.errors import (
    AuthError,
    InputError,
    LockedError,
    PlanLimitError,
    StorageError,
    TransientError,
    storage_errors,
)
from foxreach_cli.state.journal import Journal, destination_id, file_hash
from foxreach_cli.state.locks import WorkLocks

runner = CliRunner()
FAST = ["--rate-window", "2", "--rate-limit", "1000"]
DISK_FULL = StorageError("/s/journal.sqlite cannot be used: the disk is full.")


def result(
    *,
    sent: bool = False,
    fatal: Exception | None = None,
    interrupted: bool = False,
    refused: bool = False,
    errors: int = 0,
) -> SimpleNamespace:
    """What ``run_exit_code`` reads of a ``RunResult``."""
    return SimpleNamespace(
        sent=sent,
        fatal=fatal,
        interrupted=interrupted,
        refused=["x.csv"] if refused else [],
        report=SimpleNamespace(tally=SimpleNamespace(errors=errors, duplicates=0)),
    )


@pytest.mark.parametrize(
    ("run", "code"),
    [
        (result(), 0),
        (result(sent=True, errors=1), 1),
        (result(refused=True), 2),  # a dry run, or nothing else had a lead to send
        (result(refused=True, errors=1), 2),
        (result(sent=True, refused=True), 7),
        (result(sent=True, refused=True, errors=1), 7),
        (result(fatal=DISK_FULL), 2),  # the journal failed before the first request
        (result(sent=True, fatal=DISK_FULL, refused=True, errors=1), 7),
        (result(sent=True, fatal=LockedError("busy"), refused=True), 6),
        (result(sent=True, fatal=TransientError("503"), refused=True), 5),
        (result(sent=True, fatal=PlanLimitError("402"), refused=True, errors=1), 4),
        (result(sent=True, fatal=AuthError("403"), refused=True), 3),
        (result(sent=True, interrupted=True, refused=True, errors=1), 130),
    ],
)
def test_the_first_code_that_applies_in_the_stated_order_wins(run, code: int) -> None:
    assert run_exit_code(run, FailOn.errors) == code  # type: ignore[arg-type]


def test_an_error_raised_after_sending_is_7_where_it_would_be_2() -> None:
    late = StorageError("r.json cannot be written: the disk is full.")
    late.sent = True
    assert (exit_code_for(DISK_FULL), exit_code_for(late)) == (2, 7)
    assert exit_code_for(InputError("bad"), sent=True) == 7
    assert exit_code_for(AuthError("403"), sent=True) == 3  # the API's codes say more


# -- through the CLI against the sandbox --------------------------------------------------------


def live(sandbox, api_key: str, tmp_path: Path, *args: str) -> list[str]:
    return ["import", *args, "--base-url", sandbox.base_url, "--api-key", api_key,
            "--state-dir", str(tmp_path / "state"), "--quiet", *FAST]  # fmt: skip


def test_a_refused_file_in_a_run_that_sent_nothing_is_2(
    tmp_path: Path, sandbox, api_key: str
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a-invalid.csv").write_text("email\nnot-an-email\n", encoding="utf-8")
    (drop / "b-no-email.csv").write_text("Name\nCy\n", encoding="utf-8")
    outcome = runner.invoke(app, live(sandbox, api_key, tmp_path, str(drop)))
    assert outcome.exit_code == 2, outcome.output
    assert sandbox.stats.requests == 0


def test_a_report_that_cannot_be_written_after_sending_is_7(
    tmp_path: Path, sandbox, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("email\na@example.com\n", encoding="utf-8")
    report = tmp_path / "r.json"
    import foxreach_cli.run_outputs as run_outputs

    def disk_full(path: object, _report: object) -> None:
        with storage_errors(path, option="report_path"):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(run_outputs, "write_report", disk_full)
    outcome = runner.invoke(
        app, live(sandbox, api_key, tmp_path, str(leads), "--report", str(report))
    )
    assert outcome.exit_code == 7, outcome.output
    assert outcome.stderr == (
        f"Error: --report {report} cannot be written: the disk is full. 1 lead was already "
        "imported; run the same command again once there is room: nothing is sent twice.\n"
    )
    assert sandbox.store.count_active(api_key) == 1


@pytest.mark.parametrize(("fail_at", "code", "stored"), [(1, 2, 0), (2, 7, 1)])
def test_a_journal_that_fails_before_or_after_the_first_request_is_2_or_7(
    tmp_path: Path, sandbox, api_key: str, monkeypatch: pytest.MonkeyPatch,
    fail_at: int, code: int, stored: int,
) -> None:  # fmt: skip
    leads = tmp_path / "leads.csv"
    leads.write_text("email\na@example.com\nb@example.com\n", encoding="utf-8")
    real = Journal.batch_sent
    calls = []

    def batch_sent(self: Journal, *args: object) -> int:
        calls.append(args)
        if len(calls) == fail_at:
            # The sender journals the next batch while the one before is in flight: fail
            # only once that one is stored, so "after the first request" is what is tested.
            deadline = time.monotonic() + 10
            while sandbox.store.count_active(api_key) < fail_at - 1:
                assert time.monotonic() < deadline, "the first batch was never stored"
                time.sleep(0.005)
            raise StorageError(f"{self.path} cannot be used: the disk is full.")
        return real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Journal, "batch_sent", batch_sent)
    outcome = runner.invoke(
        app,
        live(sandbox, api_key, tmp_path, str(leads), "--batch-size", "1", "--concurrency", "1"),
    )
    assert outcome.exit_code == code, outcome.output
    assert sandbox.store.count_active(api_key) == stored


# -- every live import takes the work lock -------------------------------------------------------


@pytest.mark.parametrize("mode", [["--no-resume"], ["--resume"]])
def test_a_live_import_with_or_without_resume_waits_for_the_work_lock(
    tmp_path: Path, sandbox, api_key: str, mode: list[str]
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("email\na@example.com\n", encoding="utf-8")
    work = f"{destination_id(sandbox.base_url, api_key)}|{file_hash(leads)}"
    with WorkLocks(tmp_path / "state", [work]):  # another run is importing this file
        outcome = runner.invoke(app, live(sandbox, api_key, tmp_path, str(leads), *mode))
        dry = runner.invoke(app, ["import", str(leads), "--dry-run", "--quiet",
                                  "--state-dir", str(tmp_path / "state")])  # fmt: skip
    assert outcome.exit_code == 6, outcome.output
    assert outcome.stderr == (
        f"Error: Another foxreach run is importing {leads} to the same workspace; waited 0 s. "
        "Try again later or raise --lock-timeout.\n"
    )
    assert sandbox.stats.requests == 0
    assert dry.exit_code == 0, dry.output  # a dry run sends nothing and needs no lock
    after = runner.invoke(app, live(sandbox, api_key, tmp_path, str(leads), *mode))
    assert after.exit_code == 0, after.output
    assert sandbox.store.count_active(api_key) == 1
