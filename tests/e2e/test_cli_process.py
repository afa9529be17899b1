"""The installed command as a real process (everything else drives the CLI in-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.unit.test_cli_dry_run import write


def test_the_installed_command_runs_as_a_subprocess(tmp_path):
    f = write(tmp_path / "a.csv", "E-mail;Vorname\nanna@example.de;Anna\n")
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "foxreach_cli.cli", "import", str(f), "--dry-run", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["valid"] == 1
    assert report["files"][0]["delimiter"] == ";"
