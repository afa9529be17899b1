"""``foxreach sandbox serve``: options, one-sentence errors, and the printed URL."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import typer.main
from typer.testing import CliRunner

from foxreach_cli.sandbox.cli import app
from foxreach_cli.sandbox.config import SandboxConfig, SandboxConfigError, default_db_path
from tests.signals import read_line

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-rate", "2"], "--fail-rate must be between 0 and 1, got 2.0."),
        (["--drop-rate", "-0.1"], "--drop-rate must be between 0 and 1, got -0.1."),
        (
            ["--fail-rate", "0.6", "--drop-rate", "0.6"],
            "--fail-rate and --drop-rate together must not exceed 1.",
        ),
        (["--rate-limit", "0"], "--rate-limit must be at least 1, got 0."),
        (["--window", "0"], "--window must be a positive number of seconds, got 0.0."),
        (["--latency", "-1"], "--latency must be 0 or more seconds, got -1.0."),
        (["--contact-limit", "-5"], "--contact-limit must be 0 or more, got -5."),
        (
            ["--window-mode", "rolling"],
            "--window-mode must be 'fixed' or 'sliding', got 'rolling'.",
        ),
        (["--port", "70000"], "--port must be between 0 and 65535, got 70000."),
    ],
)
def test_bad_values_exit_2_with_one_sentence(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["serve", "--db", ":memory:", *args])
    assert result.exit_code == 2
    assert result.output == f"Error: {message}\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_port_in_use_exits_2_with_a_hint() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", "--db", ":memory:", "--port", str(port)])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: Port {port} on 127.0.0.1 is already in use; choose another with --port.\n"
    )


def test_unusable_database_path_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = runner.invoke(app, ["serve", "--port", "0", "--db", str(blocker / "sandbox.db")])
    assert result.exit_code == 2
    # one line: the path, then the OS's reason (its wording is the OS's), then the hint
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: Cannot open the sandbox database at {blocker / 'sandbox.db'}: ")
    assert line.endswith("; choose another with --db.")


def test_every_serve_option_has_help_text() -> None:
    # typer vendors its own click, so look at the command duck-typed.
    serve = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
    options = [p for p in serve.params if p.param_type_name == "option" and p.name != "help"]
    expected = {
        "host",
        "port",
        "db",
        "rate_limit",
        "window",
        "window_mode",
        "contact_limit",
        "latency",
        "fail_rate",
        "drop_rate",
        "seed",
        "access_log",
    }
    assert {p.name for p in options} == expected
    assert all(p.help for p in options)


def test_serve_prints_the_base_url_and_stops_cleanly_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "foxreach_cli.sandbox", "serve", "--port", "0", "--db", ":memory:"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [read_line(proc.stdout, "the sandbox starting") for _ in range(3)]
        url = re.fullmatch(
            r"FoxReach sandbox listening on (http://127\.0\.0\.1:\d+/api/v1) "
            r"\(leads in :memory:\)",
            lines[0],
        )
        assert url, lines
        assert lines[1:] == [
            "Point the importer at it with:",
            f"  export FOXREACH_BASE_URL={url.group(1)} FOXREACH_API_KEY=otr_sandbox",
        ]
        resp = httpx.post(
            f"{url.group(1)}/leads/import",
            json={"leads": [{"email": "cli@example.com"}]},
            headers={"X-API-Key": "otr_sandbox"},
        )
        assert resp.json()["data"]["created"] == 1
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "overrides",
    [
        {"fail_rate": 1.5},
        {"rate_limit": 0},
        {"window": float("nan")},
        {"window_mode": "rolling"},
        {"db": ""},
    ],
)
def test_config_rejects_out_of_range_values(overrides: dict) -> None:
    with pytest.raises(SandboxConfigError):
        SandboxConfig(**{"db": ":memory:", **overrides})


def test_default_database_lives_in_the_user_data_directory() -> None:
    path = default_db_path()
    assert path.name == "sandbox.db"
    assert path.parent.name == "foxreach"
    assert SandboxConfig().db == str(path)
