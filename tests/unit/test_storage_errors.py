"""Every path a run writes, driven into a failing place: one sentence, exit 2 (7 once leads
were sent), nothing lost.

Three kinds of bad place: a folder that does not exist, a file where a folder should be, and a
read-only folder (tests/e2e/test_storage_errors_readonly.py: for root it takes a read-only
mount, a process). Outputs are checked before anything is read or sent, so a live import with
an unwritable ``--report`` sends nothing; a write that fails later names its path; and the
journal marks a file finished only once its outputs are written, so a rerun still has them.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.errors import StorageError, storage_error, storage_errors
from foxreach_cli.outputs import LogFile
from foxreach_cli.state.journal import Journal
from foxreach_cli.state.locks import WorkLocks

runner = CliRunner()
FAST = ["--rate-window", "2", "--rate-limit", "1000"]
#: A live run's API, faked by pytest-httpx: a request nobody expected fails the test.
API = "https://api.example.test/api/v1"
LEADS = "Email,First Name\na@example.com,Ann\nb@example.com,Bo\nnot-an-email,Cy\n"


BadPlace = Callable[[Path, str], tuple[Path, str]]


def missing_folder(tmp: Path, name: str) -> tuple[Path, str]:
    return tmp / "no" / "such" / name, "the folder does not exist"


def file_as_folder(tmp: Path, name: str) -> tuple[Path, str]:
    blocker = tmp / "blocker"
    blocker.write_text("a file, not a folder\n")
    return blocker / name, "a part of the path is a file, not a folder"


PLACES = [missing_folder, file_as_folder]
#: The reason given for a read-only folder: "" for root, whom only a read-only mount or an
#: immutable folder stops (any of :data:`READONLY_REASONS`).
READ_ONLY = "permission denied" if os.geteuid() != 0 else ""
READONLY_REASONS = {
    "the file system is read-only",
    "permission denied",
    "operation not permitted",
}


def check_reason(got: str, expected: str) -> None:
    if expected:
        assert got == expected
    else:  # root: a read-only mount or an immutable folder
        assert got in READONLY_REASONS


def error_line(output: str) -> str:
    [line] = [ln for ln in output.splitlines() if ln.startswith("Error: ")]
    return line


def stored_every_lead(request: httpx.Request) -> httpx.Response:
    """The API's answer when every lead of the request was created."""
    n = len(json.loads(request.content)["leads"])
    return httpx.Response(
        200, json={"data": {"created": n, "restored": 0, "duplicates": 0, "errors": 0}}
    )


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text(LEADS, encoding="utf-8")
    return path


# -- the boundary itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (FileNotFoundError(errno.ENOENT, "x"), "the folder does not exist"),
        (NotADirectoryError(errno.ENOTDIR, "x"), "a part of the path is a file, not a folder"),
        (IsADirectoryError(errno.EISDIR, "x"), "it is a folder"),
        (PermissionError(errno.EACCES, "x"), "permission denied"),
        (OSError(errno.EROFS, "x"), "the file system is read-only"),
        (OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
        (OSError(errno.EIO, "Input/output error"), "Input/output error"),
    ],
)
def test_the_boundary_turns_each_os_error_into_one_sentence(exc: OSError, reason: str) -> None:
    with (
        pytest.raises(StorageError) as caught,
        storage_errors("/data/r.json", option="report_path"),
    ):
        raise exc
    assert (
        caught.value.describe("--report") == f"--report /data/r.json cannot be written: {reason}."
    )


def test_the_boundary_translates_sqlite_errors_too() -> None:
    error = storage_error(sqlite3.OperationalError("disk I/O error"), "/s/journal.sqlite",
                          option="state_dir", action="used")  # fmt: skip
    assert error.describe("--state-dir") == (
        "--state-dir /s/journal.sqlite cannot be used: database error: disk I/O error."
    )


# -- checked before anything is read or sent ---------------------------------------------------


@pytest.mark.parametrize("place", PLACES, ids=lambda p: p.__name__)
@pytest.mark.parametrize(
    ("flag", "name"),
    [("--report", "r.json"), ("--rejected", "x.csv"), ("--log-file", "run.log")],
)
def test_an_unwritable_output_file_stops_a_live_run_before_anything_is_sent(
    place: BadPlace, flag: str, name: str, leads: Path, tmp_path: Path, httpx_mock: HTTPXMock,
    api_key: str,
) -> None:  # fmt: skip
    target, reason = place(tmp_path, name)
    check_output_refused(flag, target, reason, leads, tmp_path, httpx_mock, api_key)


def check_output_refused(
    flag: str, target: Path, reason: str, leads: Path, tmp_path: Path, httpx_mock: HTTPXMock,
    api_key: str,
) -> None:  # fmt: skip
    """A live import with ``flag`` at ``target`` stops at once with ``reason``, sending nothing."""
    result = runner.invoke(
        app,
        ["import", str(leads), "--base-url", API, "--api-key", api_key,
         "--state-dir", str(tmp_path / "state"), flag, str(target), *FAST],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    line = error_line(result.output)
    prefix = f"Error: {flag} {target} cannot be written: "
    assert line.startswith(prefix)
    check_reason(line[len(prefix) :].removesuffix("."), reason)
    assert httpx_mock.get_requests() == []  # nothing was sent
    assert "Traceback" not in result.output


@pytest.mark.parametrize("place", [missing_folder, file_as_folder], ids=lambda p: p.__name__)
def test_an_unwritable_move_done_folder_stops_the_run_first(
    place: BadPlace,
    leads: Path,
    tmp_path: Path,
    httpx_mock: HTTPXMock,
    api_key: str,
) -> None:
    target, _ = place(tmp_path, "done")
    if place is missing_folder:
        httpx_mock.add_callback(stored_every_lead)
    result = runner.invoke(
        app,
        ["import", str(leads), "--base-url", API, "--api-key", api_key,
         "--state-dir", str(tmp_path / "state"), "--move-done", str(target), *FAST],
    )  # fmt: skip
    if place is missing_folder:  # a folder that can be made is made, like mkdir -p
        assert result.exit_code == 1, result.output  # one invalid row
        assert (target / "leads.csv").exists()
        assert len(httpx_mock.get_requests()) == 1
        return
    assert result.exit_code == 2, result.output
    assert error_line(result.output) == (
        f"Error: --move-done {target} cannot be written: a part of the path is a file, "
        "not a folder."
    )
    assert httpx_mock.get_requests() == []
    assert leads.exists()


def test_an_unusable_state_dir_stops_a_live_run_first(
    leads: Path, tmp_path: Path, httpx_mock: HTTPXMock, api_key: str
) -> None:
    target, reason = file_as_folder(tmp_path, "state")
    check_state_dir_refused(target, reason, leads, httpx_mock, api_key)


def check_state_dir_refused(
    target: Path, reason: str, leads: Path, httpx_mock: HTTPXMock, api_key: str
) -> None:
    """A live import with ``--state-dir`` at ``target`` stops at once with ``reason``."""
    result = runner.invoke(
        app,
        ["import", str(leads), "--base-url", API, "--api-key", api_key,
         "--state-dir", str(target), *FAST],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    line = error_line(result.output)
    prefix = f"Error: --state-dir {target} cannot be written: "
    assert line.startswith(prefix)
    check_reason(line[len(prefix) :].removesuffix("."), reason)
    assert httpx_mock.get_requests() == []


def test_a_dry_run_needs_no_state_dir(leads: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["import", str(leads), "--dry-run", "--state-dir", str(tmp_path / "f" / "x"),
              "--json", "--fail-on", "never"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rowsRead"] == 3


# -- the state's writers on their own ----------------------------------------------------------


def test_journal_locks_and_log_file_name_their_path(tmp_path: Path) -> None:
    check_state_writers_refused(file_as_folder(tmp_path, "state")[0])


def check_state_writers_refused(target: Path) -> None:
    """The journal, the locks and a log file in ``target`` each name their path."""
    with pytest.raises(StorageError) as journal:
        Journal(target)
    assert journal.value.option == "state_dir"
    assert str(target / "journal.sqlite") in journal.value.message
    with pytest.raises(StorageError) as locks, WorkLocks(target, ["work"]):
        pass
    assert locks.value.option == "state_dir"
    assert str(target / "locks") in locks.value.message
    with pytest.raises(StorageError) as log:
        LogFile(target / "run.log")
    assert log.value.message.startswith(f"{target / 'run.log'} cannot be written: ")


def test_a_missing_state_dir_is_created_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "state"
    with Journal(target):
        pass
    assert (target / "journal.sqlite").exists()
    assert target.stat().st_mode & 0o777 == 0o700


class _FailingDb:
    """A database connection whose disk has just filled up."""

    def execute(self, *args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    def close(self) -> None:
        pass


def test_a_journal_write_that_fails_mid_run_names_the_journal(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Journal(state) as journal:
        real, journal.db = journal.db, _FailingDb()  # type: ignore[assignment]
        with pytest.raises(StorageError) as caught:
            journal.batch_sent("dest", "hash", [2, 3])
        real.close()
    assert caught.value.describe("--state-dir") == (
        f"--state-dir {state / 'journal.sqlite'} cannot be used: "
        "database error: database or disk is full."
    )


# -- the other commands' writers ---------------------------------------------------------------


@pytest.mark.parametrize("place", PLACES, ids=lambda p: p.__name__)
def test_map_write_to_a_bad_place_is_one_sentence(
    place: BadPlace, leads: Path, tmp_path: Path
) -> None:
    check_map_write_refused(*place(tmp_path, "m.toml"), leads)


def check_map_write_refused(target: Path, reason: str, leads: Path) -> None:
    """``foxreach map --write`` at ``target`` fails with ``reason`` in one sentence."""
    result = runner.invoke(app, ["map", str(leads), "--write", str(target)])
    assert result.exit_code == 2, result.output
    line = error_line(result.output)
    prefix = f"Error: --write {target} cannot be written: "
    assert line.startswith(prefix)
    check_reason(line[len(prefix) :].removesuffix("."), reason)


@pytest.mark.parametrize("place", PLACES, ids=lambda p: p.__name__)
def test_config_init_to_a_bad_place_is_one_sentence(place: BadPlace, tmp_path: Path) -> None:
    check_config_init_refused(*place(tmp_path, ".env"))


def check_config_init_refused(target: Path, reason: str) -> None:
    """``foxreach config init --env-file`` at ``target`` fails with ``reason``, key unshown."""
    result = runner.invoke(app, ["config", "init", "--env-file", str(target)], input="otr_abc\n")
    assert result.exit_code == 2, result.output
    line = error_line(result.output)
    prefix = f"Error: --env-file {target} cannot be written: "
    assert line.startswith(prefix)
    check_reason(line[len(prefix) :].removesuffix("."), reason)
    assert "otr_abc" not in result.output


# -- outputs before the journal ----------------------------------------------------------------


def test_a_live_run_without_a_key_stops_before_reading(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("FOXREACH_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["import", str(tmp_path / "does-not-exist.csv")])
    assert result.exit_code == 2, result.output
    assert error_line(result.output) == (
        "Error: --api-key is not set: pass it, set FOXREACH_API_KEY (or put it in .env), or "
        "save one with 'foxreach config set-key' or 'foxreach config init'; --dry-run and "
        "--sandbox need no key."
    )


def test_the_report_and_the_rejected_rows_are_owner_only(leads: Path, tmp_path: Path) -> None:
    report, rejected = tmp_path / "r.json", tmp_path / "x.csv"
    old = os.umask(0)
    try:
        result = runner.invoke(
            app, ["import", str(leads), "--dry-run", "--report", str(report),
                  "--rejected", str(rejected), "--fail-on", "never"],
        )  # fmt: skip
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    # The mapping saved beside the rejected rows quotes sampled cells: owner-only too.
    sidecar = Path(f"{rejected}.mapping.toml")
    modes = (report.stat().st_mode, rejected.stat().st_mode, sidecar.stat().st_mode)
    assert [m & 0o777 for m in modes] == [0o600, 0o600, 0o600]
