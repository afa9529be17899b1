"""A command that answers at once: the commands that read no file load none of the heavy
modules (pandas, numpy, httpx, the sandbox's server, the official SDK, the pipeline), and a dry
run sends nothing, so it loads no HTTP client. Each case needs a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Top-level packages (and our own modules) a command must not load unless it needs them.
HEAVY = ("pandas", "numpy", "httpx", "uvicorn", "fastapi", "foxreach")
OURS = ("foxreach_cli.pipeline", "foxreach_cli.import_config", "foxreach_cli.client")

# Runs the CLI as the console script does, then prints which of those modules were loaded.
PROBE = f"""
import json, sys
sys.argv = ["foxreach", *sys.argv[1:]]
from foxreach_cli.cli import main
try:
    main()
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r} or m in {OURS!r})
print(json.dumps(loaded), file=sys.stderr)
"""


def loaded_by(args: list[str], tmp_path: Path) -> list[str]:
    """The heavy modules a fresh ``foxreach ARGS`` process had loaded when it ended."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOXREACH_")}
    env |= {"HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["config", "show"],
        ["runs"],
        ["import", "--help"],
        ["map", "--help"],
        ["runs", "show", "--help"],
        ["sandbox", "--help"],
    ],
    ids=" ".join,
)
def test_commands_that_read_no_file_load_no_heavy_module(args: list[str], tmp_path: Path) -> None:
    assert loaded_by(args, tmp_path) == []


def test_a_dry_run_loads_pandas_but_no_http_client_server_or_sdk(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("email\nada@example.com\n", encoding="utf-8")
    loaded = loaded_by(["import", "--dry-run", "leads.csv"], tmp_path)
    assert "pandas" in loaded and "foxreach_cli.pipeline" in loaded  # the probe sees imports
    tops = {m.split(".")[0] for m in loaded}
    assert tops.isdisjoint({"httpx", "uvicorn", "fastapi", "foxreach"})
