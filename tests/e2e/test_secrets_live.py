"""Secrets against the real sandbox: the key never shows in a live run's output or files, plain
http to loopback works, rejected rows of a live run are neutralised, state files owner-only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from foxreach_cli.cli import app
from tests.unit.test_secrets import (
    FAST,
    KEY_SOURCES,
    MARK,
    MASKED,
    NON_OTR_SENTINEL,
    KeyGiver,
    assert_neutralised,
    assert_no_key_in_files,
    assert_no_key_in_result,
    chdir,
    files_under,
    free_loopback_port,
    mode,
    runner,
    state_roots,
    write_evil,
    write_leads,
)


def sentinel() -> str:
    """A sentinel key of its own (the shared sandbox keeps a workspace per key), with the same
    recognisable part and the same masked form as SENTINEL."""
    return f"otr_SECRETSENTINEL_{uuid.uuid4().hex[:8]}_4f9a2c"


@pytest.mark.parametrize("source", KEY_SOURCES)
def test_the_key_appears_in_no_output_log_report_rejected_file_or_state_file(
    sandbox_factory, tmp_path: Path, source: str
) -> None:
    key = sentinel()
    giver = KeyGiver(source, key, tmp_path)
    leads = write_leads(tmp_path / "leads.csv", 40)
    ok = sandbox_factory()
    plan = sandbox_factory(contact_limit=10)
    revoked = sandbox_factory()
    revoked.revoke(key)
    state = tmp_path / "state"
    outputs = tmp_path / "out"
    outputs.mkdir()

    def run(name: str, base_url: str, *extra: str, want: int) -> None:
        result = giver.invoke(
            "import", str(leads), "--base-url", base_url, "--state-dir", str(state),
            "--log-file", str(outputs / f"{name}.log"), "--report", str(outputs / f"{name}.json"),
            "--rejected", str(outputs / f"{name}.csv"), "--force", *FAST, *extra,
        )  # fmt: skip
        assert result.exit_code == want, f"{name}: {result.output}"
        assert_no_key_in_result(result, name)

    run("plain", ok.base_url, "--fail-on", "never", want=0)
    run("json", ok.base_url, "--json", want=1)
    run("quiet", ok.base_url, "--quiet", want=1)
    run("verbose", ok.base_url, "--verbose", "--no-resume", want=1)
    run("plan_limit_402", plan.base_url, "--verbose", want=4)
    run("revoked_403", revoked.base_url, "--verbose", want=3)
    run("dry_run", ok.base_url, "--dry-run", "--verbose", want=1)

    # the refusal names the key in its masked form only
    refused = giver.invoke("import", str(leads), "--base-url", revoked.base_url, *FAST)
    assert MASKED in refused.output
    # the runs did produce the files being checked
    assert json.loads((outputs / "plain.json").read_text())["created"] == 38
    assert (outputs / "plan_limit_402.csv").read_text().count("plan contact limit") == 28
    assert (outputs / "verbose.log").stat().st_size > 0
    assert (state / "journal.sqlite").exists()
    checked = assert_no_key_in_files(
        [tmp_path, *state_roots()], allowed=giver.files_holding_the_key()
    )
    assert checked >= 20  # logs, reports, rejected files, journal, locks, budget


def test_a_key_the_api_does_not_know_is_refused_without_showing_it(sandbox, tmp_path: Path):
    leads = write_leads(tmp_path / "leads.csv", 5)
    result = runner.invoke(
        app, ["import", str(leads), "--base-url", sandbox.base_url, "--api-key",
              NON_OTR_SENTINEL, "--verbose", *FAST],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "…e1d0" in result.output  # masked
    assert_no_key_in_result(result, "sk_ key")


def test_server_failures_and_refused_connections_exhaust_retries_without_showing_the_key(
    sandbox_factory, tmp_path: Path
) -> None:
    """The two paths that retry 6 times run as parallel subprocesses, with a short backoff (the
    waits are not what is checked here)."""
    leads = write_leads(tmp_path / "leads.csv", 20)
    failing = sandbox_factory(fail_rate=1.0, seed=1)
    closed = f"http://127.0.0.1:{free_loopback_port()}/api/v1"
    env = {**os.environ, "FOXREACH_API_KEY": sentinel()}

    def start(name: str, url: str) -> subprocess.Popen[bytes]:
        cmd = [
            sys.executable, "-m", "foxreach_cli.cli", "import", str(leads), "--base-url", url,
            "--state-dir", str(tmp_path / name), "--log-file", str(tmp_path / f"{name}.log"),
            "--report", str(tmp_path / f"{name}.json"), "--rejected",
            str(tmp_path / f"{name}.csv"), "--verbose", "--retry-backoff", "0.05", *FAST,
        ]  # fmt: skip
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)

    procs = {name: start(name, url) for name, url in (("server_500", failing.base_url),
                                                      ("refused", closed))}  # fmt: skip
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 5, (name, err.decode())
        assert MARK not in out and MARK not in err, name
        assert b"Traceback" not in err
    assert "6 attempts" in (tmp_path / "refused.log").read_text()
    assert json.loads((tmp_path / "server_500.json").read_text())["notSent"] == 18
    assert_no_key_in_files([tmp_path, *state_roots()], allowed=set())


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_plain_http_to_loopback_is_accepted(sandbox, tmp_path: Path, host: str) -> None:
    leads = write_leads(tmp_path / "leads.csv", 3, bad=0)
    url = sandbox.base_url.replace("127.0.0.1", host)
    result = runner.invoke(
        app, ["import", str(leads), "--base-url", url, "--api-key", sentinel(), "--json", *FAST]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 3


def test_formula_cells_are_neutralised_for_local_and_server_rejections(
    sandbox_factory, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    # two files (so the 'file' column appears), one named like a formula
    write_evil(folder / "=cmd.csv", ["=1+1@example.com", "-x@", "lead1@example.com"])
    write_evil(folder / "b.csv", ["@evil", "lead1@example.com", "lead2@example.com"])
    existing = tmp_path / "existing.csv"
    write_evil(existing, ["lead2@example.com"])
    sandbox = sandbox_factory(contact_limit=3)
    key = "otr_formula_test_key"
    common = ["--base-url", sandbox.base_url, "--api-key", key, "--no-resume", *FAST]
    assert runner.invoke(app, ["import", str(existing), *common]).exit_code == 0
    rejected = tmp_path / "rejected.csv"
    # local rejects (invalid emails, a local duplicate), a server duplicate (lead2 exists)
    # and a not-sent row (the plan holds 3 contacts: lead3 in the last file does not fit)
    write_evil(folder / "c.csv", ["lead3@example.com"])
    with chdir(folder):  # relative names: the 'file' column then starts with "="
        result = runner.invoke(
            app, ["import", "=cmd.csv", "b.csv", "c.csv", "--rejected", str(rejected), *common]
        )
    assert result.exit_code == 4, result.output
    records = assert_neutralised(rejected, want_rows=5)
    assert "'=cmd.csv" in {r["file"] for r in records}
    reasons = " | ".join(r["reason"] for r in records)
    for expected in ("invalid email", "already in the workspace", "plan contact limit"):
        assert expected in reasons


def run_with_state(sandbox, tmp_path: Path, explicit: bool, umask: int) -> Path:
    """One import under ``umask``; returns the state directory it used."""
    leads = write_leads(tmp_path / "leads.csv", 30)
    state = tmp_path / "state" if explicit else Path(os.environ["XDG_STATE_HOME"]) / "foxreach"
    extra = ["--state-dir", str(state)] if explicit else []
    old = os.umask(umask)
    try:
        result = runner.invoke(
            app, ["import", str(leads), "--base-url", sandbox.base_url, "--api-key", sentinel(),
                  "--log-file", str(tmp_path / "run.log"), "--fail-on", "never", *extra, *FAST],
        )  # fmt: skip
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert mode(tmp_path / "run.log") == 0o600
    return state


UMASKS = pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask022", "umask000"])


STATE_DIRS = pytest.mark.parametrize(
    "explicit", [True, False], ids=["state_dir_option", "default_dir"]
)


@UMASKS
@STATE_DIRS
def test_state_files_and_subfolders_are_owner_only(
    sandbox, tmp_path: Path, explicit: bool, umask: int
) -> None:
    state = run_with_state(sandbox, tmp_path, explicit, umask)
    files = files_under(state)
    names = {p.name for p in files}
    assert "journal.sqlite" in names
    assert any(n.startswith("budget-") and n.endswith(".json") for n in names)
    assert (state / "locks").is_dir() and any((state / "locks").iterdir())
    loose = {str(p.relative_to(state)): oct(mode(p)) for p in files if mode(p) & 0o077}
    loose |= {str(d.relative_to(state)): oct(mode(d)) for d in state.rglob("*")
              if d.is_dir() and mode(d) & 0o077}  # fmt: skip
    assert loose == {}, "state files or folders open to others"


@UMASKS
@STATE_DIRS
def test_the_state_directory_itself_is_owner_only(
    sandbox, tmp_path: Path, explicit: bool, umask: int
) -> None:
    state = run_with_state(sandbox, tmp_path, explicit, umask)
    assert oct(mode(state)) == oct(0o700)
