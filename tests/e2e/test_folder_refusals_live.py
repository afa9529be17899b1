"""A live import of a folder with bad files: the good ones land in the sandbox, only they move."""

from __future__ import annotations

from pathlib import Path

import pytest

from foxreach_cli.cli import app
from tests.unit.test_folder_refusals import FAST, GOOD, runner


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a-good.csv").write_text(GOOD, encoding="utf-8")
    (folder / "b-no-email.csv").write_text("Name,Phone\nCy,1\n", encoding="utf-8")
    (folder / "c-broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "d-good.csv").write_text("email\nd@example.com\n", encoding="utf-8")
    return folder


def test_a_live_run_imports_the_good_files_moves_only_them_and_exits_7(
    drop: Path, tmp_path: Path, sandbox, api_key: str
) -> None:
    done = tmp_path / "done"
    result = runner.invoke(
        app,
        ["import", str(drop), "--base-url", sandbox.base_url, "--api-key", api_key,
         "--state-dir", str(tmp_path / "state"), "--move-done", str(done), "--quiet", *FAST],
    )  # fmt: skip
    assert result.exit_code == 7, result.output
    assert result.stdout.endswith(
        f"; refused: {drop / 'b-no-email.csv'}, {drop / 'c-broken.xlsx'}\n"
    )
    assert sandbox.store.count_active(api_key) == 3
    assert sorted(p.name for p in done.iterdir()) == ["a-good.csv", "d-good.csv"]
    assert sorted(p.name for p in drop.iterdir()) == ["b-no-email.csv", "c-broken.xlsx"]
