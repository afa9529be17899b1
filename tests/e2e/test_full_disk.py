"""A disk that fills up in the middle of a live import: every write site, one at a time.

Each test makes one writer fail with ENOSPC once some leads are stored, then checks what the
sandbox stored, the exit code (7: stopped after sending), the exact sentence, and that the
rerun (with room again) reports the truth: ``created`` equals what the sandbox holds, the
first run's leads come back as ``previousRuns`` and none of them as a duplicate. The last
tests use real small file systems (tmpfs), skipped where mounting is not permitted.
"""

from __future__ import annotations

import errno
import json
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import foxreach_cli.cli.display as display
import foxreach_cli.defaults as defaults
import foxreach_cli.read as read_module
import foxreach_cli.run_outputs as run_outputs
import foxreach_cli.state.journal as journal_module
from foxreach_cli.cli import app
from foxreach_cli.dedup import Deduper
from foxreach_cli.errors import SQLITE_FULL, storage_errors
from foxreach_cli.outputs import LogFile
from foxreach_cli.progress import LogProgress
from foxreach_cli.state.journal import Reserve
from foxreach_cli.state.shared_rate_budget import SharedBudget
from tests.accounting import assert_accounted

runner = CliRunner()
ROWS = 60
BATCH = 5
#: Enough stored before the disk fills that "after sending" is what is tested.
STORED_FIRST = 10
THEN = "run the same command again once there is room: nothing is sent twice."


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    """A clean file: every row valid and distinct, so the only duplicates would be false."""
    path = tmp_path / "leads.csv"
    lines = ["email,first name"] + [f"lead{i}@example.com,Lead{i}" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def args(leads: Path, tmp_path: Path, sandbox: Any, api_key: str, run: str) -> list[str]:
    return ["import", str(leads), "--base-url", sandbox.base_url, "--api-key", api_key,
            "--state-dir", str(tmp_path / "state"), "--batch-size", str(BATCH),
            "--concurrency", "2", "--rate-window", "2", "--rate-limit", "1000",
            "--report", str(tmp_path / f"{run}.json"), "--fail-on", "never", "--quiet"]  # fmt: skip


def wait_stored(sandbox: Any, api_key: str, at_least: int = STORED_FIRST) -> None:
    """Block (in the failing writer) until the sandbox holds ``at_least`` leads."""
    deadline = time.monotonic() + 20
    while sandbox.store.count_active(api_key) < at_least:
        assert time.monotonic() < deadline, "the first batches were never stored"
        time.sleep(0.005)


def full() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device")


def error_line(output: str) -> str:
    [line] = [ln for ln in output.splitlines() if ln.startswith("Error: ")]
    return line


def leads_were(n: int) -> str:
    return "1 lead was" if n == 1 else f"{n:,} leads were"


def report(tmp_path: Path, run: str) -> dict[str, Any]:
    data = json.loads((tmp_path / f"{run}.json").read_text(encoding="utf-8"))
    assert_accounted(data)
    return data


def check_rerun(leads: Path, tmp_path: Path, sandbox: Any, api_key: str, stored: int) -> None:
    """The rerun with room again: every lead once, the first run's as previousRuns."""
    again = runner.invoke(app, args(leads, tmp_path, sandbox, api_key, "second"))
    assert again.exit_code == 0, again.output
    data = report(tmp_path, "second")
    assert sandbox.store.count_active(api_key) == ROWS
    assert data["created"] == ROWS  # across both runs: what the server created
    assert data["previousRuns"]["created"] == stored
    assert (data["duplicates"], data["duplicatesFromRetries"], data["notSent"]) == (0, 0, 0)


def check_first(outcome: Any, tmp_path: Path, sandbox: Any, api_key: str, subject: str) -> int:
    """The first run stopped after sending, said so in one sentence, and reported it."""
    stored = sandbox.store.count_active(api_key)
    assert STORED_FIRST <= stored < ROWS
    assert outcome.exit_code == 7, outcome.output
    assert error_line(outcome.output) == (
        f"Error: {subject} cannot be written: the disk is full. {leads_were(stored)} already "
        f"imported; {THEN}"
    )
    data = report(tmp_path, "first")
    assert data["created"] == stored  # what the sandbox stored, no more, no less
    assert data["notSent"] == ROWS - stored
    assert data["stoppedBecause"].endswith(error_line(outcome.output).split(" cannot be ")[1])
    return stored


# -- each write site, with an injected ENOSPC ----------------------------------------------


def test_a_full_tmpdir_under_the_dedup_spill_stops_sending(
    leads: Path, tmp_path: Path, sandbox: Any, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(defaults, "LIVE_CHUNK_ROWS", BATCH)  # a spill write per batch
    real = Deduper._append
    calls = []

    def append(self: Deduper, data: bytes) -> None:
        calls.append(len(data))
        if len(calls) > 2 * (STORED_FIRST // BATCH + 1):  # two writes a chunk
            wait_stored(sandbox, api_key)
            raise full()
        real(self, data)

    monkeypatch.setattr(Deduper, "_append", append)
    first = runner.invoke(app, args(leads, tmp_path, sandbox, api_key, "first"))
    place = Deduper().spill_place()
    stored = check_first(first, tmp_path, sandbox, api_key, place)
    monkeypatch.undo()
    check_rerun(leads, tmp_path, sandbox, api_key, stored)


def test_a_full_state_disk_under_the_shared_budget_stops_sending(
    leads: Path, tmp_path: Path, sandbox: Any, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = SharedBudget._write

    def write(self: SharedBudget, log: Any) -> None:
        if sandbox.store.count_active(api_key) >= STORED_FIRST:
            raise full()
        real(self, log)

    monkeypatch.setattr(SharedBudget, "_write", write)
    first = runner.invoke(app, args(leads, tmp_path, sandbox, api_key, "first"))
    [budget] = (tmp_path / "state").glob("budget-*.json")
    stored = check_first(first, tmp_path, sandbox, api_key, f"--state-dir {budget}")
    monkeypatch.undo()
    check_rerun(leads, tmp_path, sandbox, api_key, stored)


class DiskThatFills:
    """The journal's connection on a disk that is full after ``room`` writes, until the
    reserve's file is deleted (which gives its room back)."""

    def __init__(self, real: sqlite3.Connection, state: Path, room: int) -> None:
        self.real = real
        self.state = state
        self.room = room

    def execute(self, sql: str, *params: Any) -> Any:
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            self.room -= 1
            if self.room < 0 and any(self.state.glob("locks/*.reserve")):
                error = sqlite3.OperationalError("database or disk is full")
                error.sqlite_errorcode = SQLITE_FULL  # type: ignore[attr-defined]
                raise error
        return self.real.execute(sql, *params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def __enter__(self) -> Any:
        return self.real.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self.real.__exit__(*exc)


def test_a_full_journal_disk_uses_the_reserve_to_record_every_answer(
    leads: Path, tmp_path: Path, sandbox: Any, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    connect = sqlite3.connect
    seen: list[DiskThatFills] = []

    def filling(*a: Any, **k: Any) -> DiskThatFills:
        # Room for the run's start (2 rows a file), then the batches stored first.
        def writes_so_far() -> int:
            return 3 + 2 * (STORED_FIRST // BATCH)

        db = DiskThatFills(connect(*a, **k), state, writes_so_far())
        seen.append(db)
        return db

    monkeypatch.setattr(journal_module.sqlite3, "connect", filling)
    first = runner.invoke(app, args(leads, tmp_path, sandbox, api_key, "first"))
    assert seen and not any(state.glob("locks/*.reserve"))  # released, then removed
    stored = check_first(
        first, tmp_path, sandbox, api_key, f"--state-dir {state / 'journal.sqlite'}"
    )
    monkeypatch.undo()
    check_rerun(leads, tmp_path, sandbox, api_key, stored)


def test_a_state_disk_too_full_for_the_reserve_stops_before_sending(
    leads: Path, tmp_path: Path, sandbox: Any, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def take(self: Reserve) -> None:
        raise full()

    monkeypatch.setattr(Reserve, "take", take)
    first = runner.invoke(app, args(leads, tmp_path, sandbox, api_key, "first"))
    assert first.exit_code == 2, first.output
    [line] = [ln for ln in first.output.splitlines() if ln.startswith("Error: ")]
    assert line.startswith(f"Error: --state-dir {tmp_path / 'state' / 'locks'}/")
    assert line.endswith(".reserve cannot be written: the disk is full.")
    assert sandbox.store.count_active(api_key) == 0
    assert not list((tmp_path / "state").glob("locks/*.reserve"))


def test_a_full_disk_under_the_rejected_file_still_writes_the_report(
    leads: Path, tmp_path: Path, sandbox: Any, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rejected = tmp_path / "rejected.csv"

    def write_rejected(path: Any, *rest: Any) -> int:
        with storage_errors(path, option="rejected_path"):
            raise full()

    monkeypatch.setattr(run_outputs, "write_rejected_csv", write_rejected)
    first = runner.invoke(
        app, [*args(leads, tmp_path, sandbox, api_key, "first"), "--rejected", str(rejected)]
    )
    assert first.exit_code == 7, first.output
    assert error_line(first.output) == (
        f"Error: --rejected {rejected} cannot be written: the disk is full. "
        f"{leads_were(ROWS)} already imported; {THEN}"
    )
    assert report(tmp_path, "first")["created"] == ROWS  # the report's disk had room
    monkeypatch.undo()
    # The journal did not finish the file: the rerun sends nothing and reports it all.
    check_rerun(leads, tmp_path, sandbox, api_key, ROWS)


def test_a_full_disk_under_the_log_file_stops_sending(
    leads: Path, tmp_path: Path, sandbox: Any, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "run.log"

    class EveryUpdate(LogProgress):
        """The log's progress lines at every update, so some come while sending."""

        def __init__(self, stream: Any, **_: Any) -> None:
            super().__init__(stream, interval=0.0)

    class FillingFile:
        """The log file's handle on a disk that fills once the first leads are stored."""

        def __init__(self, real: Any) -> None:
            self.real = real

        def write(self, text: str) -> int:
            if sandbox.store.count_active(api_key) >= STORED_FIRST:
                raise full()
            return int(self.real.write(text))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

    real_init = LogFile.__init__

    def init(self: LogFile, path: Any) -> None:
        real_init(self, path)
        self._fh = FillingFile(self._fh)  # type: ignore[assignment]

    monkeypatch.setattr(LogFile, "__init__", init)
    monkeypatch.setattr(display, "LogProgress", EveryUpdate)
    first = runner.invoke(
        app, [*args(leads, tmp_path, sandbox, api_key, "first"), "--log-file", str(log)]
    )
    stored = check_first(first, tmp_path, sandbox, api_key, f"--log-file {log}")
    monkeypatch.undo()
    check_rerun(leads, tmp_path, sandbox, api_key, stored)


def test_a_full_tmpdir_under_stdin_stops_before_sending(
    leads: Path, tmp_path: Path, sandbox: Any, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def copy(*_: Any) -> None:
        raise full()

    monkeypatch.setattr(read_module.shutil, "copyfileobj", copy)
    first = runner.invoke(
        app,
        [*args(leads, tmp_path, sandbox, api_key, "first")[:1], "-",
         *args(leads, tmp_path, sandbox, api_key, "first")[2:]],
        input=leads.read_text(encoding="utf-8"),
    )  # fmt: skip
    assert first.exit_code == 2, first.output
    temp = read_module.tempfile.gettempdir()
    assert error_line(first.output) == (
        f"Error: The temporary copy of stdin in {temp} (TMPDIR) cannot be written: "
        "the disk is full."
    )
    assert sandbox.store.count_active(api_key) == 0


# -- real small file systems -------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """``mount(name, size)``: a tmpfs of ``size`` (e.g. "64k") at tmp_path/name."""
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        where = tmp_path / name
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
            capture_output=True,
        )
        if done.returncode != 0:
            pytest.skip("mounting a small tmpfs is not permitted here")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        # Lazy: a handle still open elsewhere must not leave the mount behind.
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_real_tmpdir_that_fills_up_mid_run(
    tmp_path: Path, sandbox: Any, api_key: str, monkeypatch: pytest.MonkeyPatch,
    small_disk: Callable[[str, str], Path],
) -> None:  # fmt: skip
    rows = 4000
    path = tmp_path / "many.csv"
    lines = ["email"] + [f"someone.with.a.long.address.{i}@example.com" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # 64 KiB of spill holds about 1,200 of these emails: the disk fills after a few chunks.
    monkeypatch.setenv("TMPDIR", str(small_disk("tmp", "64k")))
    monkeypatch.setattr(read_module.tempfile, "tempdir", None)  # read TMPDIR again
    monkeypatch.setattr(defaults, "LIVE_CHUNK_ROWS", 250)
    base = ["import", str(path), "--base-url", sandbox.base_url, "--api-key", api_key,
            "--state-dir", str(tmp_path / "state"), "--batch-size", "250", "--concurrency", "1",
            "--rate-window", "2", "--rate-limit", "1000", "--fail-on", "never",
            "--quiet"]  # fmt: skip
    first = runner.invoke(app, [*base, "--report", str(tmp_path / "first.json")])
    stored = sandbox.store.count_active(api_key)
    assert 0 < stored < rows
    assert first.exit_code == 7, first.output
    place = f"The temporary file of the dedup in {tmp_path / 'tmp'} (TMPDIR)"
    assert error_line(first.output) == (
        f"Error: {place} cannot be written: the disk is full. {leads_were(stored)} already "
        f"imported; {THEN}"
    )
    assert report(tmp_path, "first")["created"] == stored
    monkeypatch.delenv("TMPDIR")
    monkeypatch.setattr(read_module.tempfile, "tempdir", None)
    again = runner.invoke(app, [*base, "--report", str(tmp_path / "second.json")])
    assert again.exit_code == 0, again.output
    data = report(tmp_path, "second")
    assert sandbox.store.count_active(api_key) == rows == data["created"]
    assert data["previousRuns"]["created"] == stored
    assert data["duplicates"] == 0


def test_a_real_state_disk_that_fills_up_mid_run(
    tmp_path: Path, sandbox: Any, api_key: str, small_disk: Callable[[str, str], Path]
) -> None:
    rows = 3000
    path = tmp_path / "many.csv"
    lines = ["email"] + [f"someone.with.a.long.address.{i}@example.com" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    state = small_disk("state", "4m")
    # Leave the journal room for its start and a few answers beside the 1 MiB reserve; the
    # rerun has the whole 4 MiB.
    filler = state / "filler"
    filler.write_bytes(bytes((4096 - 1024 - 200) * 1024))
    base = ["import", str(path), "--base-url", sandbox.base_url, "--api-key", api_key,
            "--state-dir", str(state), "--batch-size", "100", "--concurrency", "2",
            "--rate-window", "2", "--rate-limit", "1000", "--fail-on", "never",
            "--quiet"]  # fmt: skip
    first = runner.invoke(app, [*base, "--report", str(tmp_path / "first.json")])
    stored = sandbox.store.count_active(api_key)
    assert 0 < stored < rows, first.output
    assert first.exit_code == 7, first.output
    line = error_line(first.output)
    assert line.startswith(f"Error: --state-dir {state}/"), line
    assert line.endswith(
        f" cannot be written: the disk is full. {leads_were(stored)} already imported; {THEN}"
    ), line
    assert report(tmp_path, "first")["created"] == stored
    filler.unlink()
    again = runner.invoke(app, [*base, "--report", str(tmp_path / "second.json")])
    assert again.exit_code == 0, again.output
    data = report(tmp_path, "second")
    assert sandbox.store.count_active(api_key) == rows == data["created"]
    assert data["previousRuns"]["created"] == stored
    assert (data["duplicates"], data["duplicatesFromRetries"]) == (0, 0)
