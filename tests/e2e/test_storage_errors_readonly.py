"""tests/unit/test_storage_errors.py's checks with a read-only folder as the bad place.

For root, nothing but a read-only mount (``mount``) or an immutable folder (``chattr +i``)
stops a write: those are processes, so these tests live here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpx import HTTPXMock

from foxreach_cli.cli import app
from tests.unit.test_storage_errors import (
    API,
    FAST,
    LEADS,
    READ_ONLY,
    check_config_init_refused,
    check_map_write_refused,
    check_output_refused,
    check_reason,
    check_state_dir_refused,
    check_state_writers_refused,
    error_line,
    runner,
)


@pytest.fixture
def readonly_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write into, even root (a read-only tmpfs, else chattr +i)."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", str(folder)],
                      capture_output=True).returncode == 0:  # fmt: skip
        yield folder
        subprocess.run(["umount", str(folder)], check=True)
        return
    if (
        shutil.which("chattr")
        and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    ):
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
        return
    pytest.skip("no way to make a folder read-only for root here")


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text(LEADS, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("flag", "name"),
    [("--report", "r.json"), ("--rejected", "x.csv"), ("--log-file", "run.log")],
)
def test_an_output_file_in_a_read_only_folder_stops_a_live_run_before_anything_is_sent(
    flag: str, name: str, leads: Path, tmp_path: Path, readonly_dir: Path,
    httpx_mock: HTTPXMock, api_key: str,
) -> None:  # fmt: skip
    check_output_refused(flag, readonly_dir / name, READ_ONLY, leads, tmp_path, httpx_mock, api_key)


def test_a_read_only_move_done_folder_stops_the_run_first(
    leads: Path, tmp_path: Path, readonly_dir: Path, httpx_mock: HTTPXMock, api_key: str
) -> None:
    result = runner.invoke(
        app,
        ["import", str(leads), "--base-url", API, "--api-key", api_key,
         "--state-dir", str(tmp_path / "state"), "--move-done", str(readonly_dir), *FAST],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    line = error_line(result.output)
    prefix = f"Error: --move-done {readonly_dir} cannot be written: "
    assert line.startswith(prefix)
    check_reason(line[len(prefix) :].removesuffix("."), READ_ONLY)
    assert httpx_mock.get_requests() == []


def test_a_read_only_state_dir_stops_a_live_run_first(
    leads: Path, readonly_dir: Path, httpx_mock: HTTPXMock, api_key: str
) -> None:
    check_state_dir_refused(readonly_dir / "state", READ_ONLY, leads, httpx_mock, api_key)


def test_journal_locks_and_log_file_in_a_read_only_folder_name_their_path(
    readonly_dir: Path,
) -> None:
    check_state_writers_refused(readonly_dir / "state")


def test_map_write_to_a_read_only_folder_is_one_sentence(leads: Path, readonly_dir: Path) -> None:
    check_map_write_refused(readonly_dir / "m.toml", READ_ONLY, leads)


def test_config_init_to_a_read_only_folder_is_one_sentence(readonly_dir: Path) -> None:
    check_config_init_refused(readonly_dir / ".env", READ_ONLY)
