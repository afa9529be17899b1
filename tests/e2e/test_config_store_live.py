"""A live import against the sandbox takes its key and URL from ~/.foxreach/config.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.test_config_store import KEY, invoke, write_official


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HOME, and a working directory with no .env."""
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    yield home


def test_a_live_import_uses_the_key_and_url_of_config_json(home: Path, sandbox) -> None:
    write_official(home, {"api_key": KEY, "base_url": sandbox.base_url})
    leads = Path("leads.csv")
    leads.write_text("Email,First Name\nana@example.com,Ana\nbo@example.com,Bo\n")
    result = invoke("import", str(leads), "--json", "--rate-limit", "1000", "--rate-window", "1")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 2
