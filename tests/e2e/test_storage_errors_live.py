"""A report that cannot be written after a live import: the journal leaves the file unfinished."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from foxreach_cli.cli import app
from foxreach_cli.errors import storage_errors
from tests.accounting import assert_accounted
from tests.unit.test_storage_errors import FAST, LEADS, error_line, runner


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text(LEADS, encoding="utf-8")
    return path


def test_a_report_that_fails_to_write_leaves_the_file_unfinished_for_a_rerun(
    leads: Path, tmp_path: Path, sandbox, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    base = ["import", str(leads), "--base-url", sandbox.base_url, "--api-key", api_key,
            "--state-dir", str(state), "--report", str(report), *FAST]  # fmt: skip

    import foxreach_cli.run_outputs as run_outputs

    def disk_full(path: object, _report: object) -> None:
        with storage_errors(path, option="report_path"):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(run_outputs, "write_report", disk_full)
    first = runner.invoke(app, base)
    assert first.exit_code == 7, first.output  # leads were sent: not "nothing was sent"
    assert error_line(first.output) == (
        f"Error: --report {report} cannot be written: the disk is full. 2 leads were already "
        "imported; run the same command again once there is room: nothing is sent twice."
    )
    assert sandbox.store.count_active(api_key) == 2  # the import itself happened
    monkeypatch.undo()

    # The journal did not mark the file finished: the rerun sends nothing new and still
    # writes the whole report.
    second = runner.invoke(app, [*base, "--fail-on", "never"])
    assert second.exit_code == 0, second.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert_accounted(data)
    assert (data["rowsRead"], data["created"], data["errors"]) == (3, 2, 1)
    assert data["previousRuns"]["created"] == 2
    assert data["reproduced"] is False  # the first run never finished the file
    assert sandbox.store.count_active(api_key) == 2
