"""With FoxReach's own CLI (foxreach-cli) installed beside us, every command says once, on
stderr, that foxreach-import replaces it and how to remove it cleanly, and still runs; --json
and --quiet keep it silent."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from foxreach_cli.cli.official_notice import NOTICE, official_cli_installed

# The module, not the Typer app that foxreach_cli.cli exports under the same name.
app_module = importlib.import_module("foxreach_cli.cli.app")


def test_found_by_its_dist_info(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "foxreach_import-0.1.0.dist-info").mkdir(parents=True)
    package = tmp_path / "pkg"
    package.mkdir()
    assert not official_cli_installed([site], package)
    (site / "foxreach_cli-0.2.0.dist-info").mkdir()
    assert official_cli_installed([site], package)


def test_found_by_its_modules_in_our_package(tmp_path: Path) -> None:
    (tmp_path / "client_factory.py").write_text("")
    assert official_cli_installed([tmp_path / "missing"], tmp_path)


def test_not_found_in_this_environment() -> None:
    assert not official_cli_installed()


def run_main(monkeypatch: pytest.MonkeyPatch, *argv: str, installed: bool) -> int:
    monkeypatch.setattr(sys, "argv", ["foxreach", *argv])
    monkeypatch.setattr(app_module, "official_cli_installed", lambda: installed)
    with pytest.raises(SystemExit) as stop:
        app_module.main()
    return int(stop.value.code or 0)


def test_every_command_says_it_once_and_still_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(monkeypatch, "runs", installed=True) == 0
    captured = capsys.readouterr()
    assert captured.err.count(NOTICE) == 1
    assert NOTICE not in captured.out
    assert "pip uninstall foxreach-cli" in NOTICE and "foxreach-import" in NOTICE


@pytest.mark.parametrize("quiet", ["--json", "--quiet", "-q"])
def test_json_and_quiet_keep_it_silent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], quiet: str
) -> None:
    run_main(monkeypatch, "runs", quiet, installed=True)
    assert NOTICE not in capsys.readouterr().err


def test_nothing_is_said_without_the_official_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(monkeypatch, "runs", installed=False) == 0
    assert NOTICE not in capsys.readouterr().err
