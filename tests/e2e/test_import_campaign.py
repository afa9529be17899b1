"""``foxreach import FILE --campaign ID`` against the sandbox server: what the campaign holds
afterwards (checked on the server), a file whose leads partly existed, an unknown campaign,
and a run killed while enrolling, then run again."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.sandbox.store import workspace_of
from tests.signals import ForkedCli

if TYPE_CHECKING:
    from foxreach_cli.sandbox.server import RunningSandbox


def make_csv(path: Path, emails: list[str], statuses: dict[str, str] | None = None) -> None:
    statuses = statuses or {}
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Email", "First Name", "Status"])
        for n, email in enumerate(emails):
            w.writerow([email, f"Name{n}", statuses.get(email, "")])


def api(sandbox: RunningSandbox, key: str) -> httpx.Client:
    return httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": key})


def new_campaign(sandbox: RunningSandbox, key: str, name: str = "Spring") -> str:
    with api(sandbox, key) as client:
        return str(client.post("/campaigns", json={"name": name}).json()["data"]["id"])


def members(sandbox: RunningSandbox, key: str, campaign: str) -> set[str]:
    """The emails of the campaign's leads, as the server stored them."""
    assert sandbox.state.outreach is not None
    ids = set(sandbox.state.outreach.members(workspace_of(key), campaign))
    return {lead["email"] for lead in sandbox.store.leads(key) if lead["id"] in ids}


def foxreach(
    sandbox: RunningSandbox, key: str, state: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(sandbox, key, state, *args), capture_output=True, text=True)


def command(sandbox: RunningSandbox, key: str, state: Path, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "foxreach_cli.cli", "import", *args,
        "--base-url", sandbox.base_url, "--api-key", key, "--state-dir", str(state),
        "--fail-on", "never", "--rate-limit", "100000", "--rate-window", "1",
    ]  # fmt: skip


def test_a_file_whose_leads_partly_existed(
    sandbox: RunningSandbox, api_key: str, tmp_path: Path
) -> None:
    emails = [f"camp{n}@example.com" for n in range(250)]
    # Before: 40 of them exist (one of those unsubscribed), one more was deleted.
    with api(sandbox, api_key) as client:
        before = [{"email": e} for e in emails[:40]]
        before[5]["status"] = "unsubscribed"
        assert client.post("/leads/import", json={"leads": before}).status_code == 200
        gone = client.post("/leads", json={"email": emails[45]}).json()["data"]["id"]
        assert client.delete(f"/leads/{gone}").status_code == 200
    campaign = new_campaign(sandbox, api_key)
    path = tmp_path / "leads.csv"
    opted_out = {emails[100]: "unsubscribed", emails[101]: "bounced"}
    make_csv(path, [*emails, "not-an-email"], opted_out)

    requests_before = sandbox.stats.requests
    run = foxreach(sandbox, api_key, tmp_path / "state", str(path), "--campaign", campaign)
    assert run.returncode == 0, run.stderr
    # The check and the probe, the import, 3 pages of the 210 tagged leads (created, and the
    # deleted one restored), one lookup per lead that existed (40), 3 enrollment calls.
    assert sandbox.stats.requests - requests_before == 2 + 1 + 3 + 40 + 3
    expected = set(emails) - {emails[5], emails[100], emails[101]}
    assert members(sandbox, api_key, campaign) == expected
    assert f"{len(expected)} added, 0 already in it" in run.stderr
    assert "1 status bounced" in run.stderr and "2 status unsubscribed" in run.stderr
    assert "1 invalid" in run.stderr
    with api(sandbox, api_key) as client:
        shown = client.get(f"/campaigns/{campaign}").json()["data"]
    assert shown["totalLeads"] == len(expected)


def test_an_unknown_campaign_stops_before_anything_is_sent(
    sandbox: RunningSandbox, api_key: str, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    make_csv(path, ["nobody@example.com"])
    run = foxreach(sandbox, api_key, tmp_path / "state", str(path), "--campaign", "cmp_nope")
    assert run.returncode == 2
    assert "Campaign cmp_nope does not exist in this workspace; nothing was sent." in run.stderr
    assert sandbox.store.count_active(api_key) == 0


def test_an_active_campaign_is_named_in_the_dry_run_and_the_output(
    sandbox: RunningSandbox, api_key: str, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    make_csv(path, [f"act{n}@example.com" for n in range(3)])
    campaign = new_campaign(sandbox, api_key)
    with api(sandbox, api_key) as client:
        seed = client.post("/leads", json={"email": "seed@example.com"}).json()["data"]["id"]
        client.post(f"/campaigns/{campaign}/leads", json={"leadIds": [seed]})
        client.post(f"/campaigns/{campaign}/sequences", json={"body": "Hi"})
        assert client.post(f"/campaigns/{campaign}/start").status_code == 200
    env_run = subprocess.run(
        [sys.executable, "-m", "foxreach_cli.cli", "import", str(path), "--dry-run",
         "--campaign", campaign, "--state-dir", str(tmp_path / "s")],
        capture_output=True, text=True,
        env={**os.environ, "FOXREACH_API_KEY": api_key,
             "FOXREACH_BASE_URL": sandbox.base_url},
    )  # fmt: skip
    assert "requests to add 3 leads" in env_run.stderr
    assert "is active: adding leads to it starts sending to them" in env_run.stderr
    assert members(sandbox, api_key, campaign) == {"seed@example.com"}  # a dry run adds none
    run = foxreach(sandbox, api_key, tmp_path / "state", str(path), "--campaign", campaign)
    assert "3 added" in run.stderr and "starts sending to them" in run.stderr


def test_killed_while_enrolling_then_run_again(
    sandbox_factory: Any, api_key: str, tmp_path: Path
) -> None:
    # Every request takes 0.1 s: 10 tag pages and 10 enrollment calls take a second or two.
    sandbox = sandbox_factory(latency=0.1, fresh=True)
    emails = [f"kill{n}@example.com" for n in range(1000)]
    path = tmp_path / "leads.csv"
    make_csv(path, emails)
    campaign = new_campaign(sandbox, api_key)
    state = tmp_path / "state"
    args = command(sandbox, api_key, state, str(path), "--campaign", campaign)[3:]
    # A fork of this process, without a new interpreter's start-up; killed like any process.
    proc = ForkedCli(args)
    deadline = time.monotonic() + 60
    journal = state / "campaigns"
    while time.monotonic() < deadline:
        lines = [line for f in journal.glob("*.jsonl") for line in f.read_text().splitlines()]
        if sum('"enrolled"' in line for line in lines) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    enrolled_first = members(sandbox, api_key, campaign)
    assert 300 <= len(enrolled_first) < 1000

    run = CliRunner().invoke(app, args)  # in-process: the same code, run again
    assert run.exit_code == 0, run.output
    assert members(sandbox, api_key, campaign) == set(emails)
    # Nothing added twice: the rerun sent only the ids the killed run had not (a request in
    # flight at the kill may come back as "already in it").
    line = next(x for x in run.stderr.splitlines() if x.startswith("Campaign "))
    added = int(line.split(": ", 1)[1].split(" added")[0].replace(",", ""))
    already = int(line.split("added, ")[1].split(" already")[0].replace(",", ""))
    assert added + already == 1000 - (len(enrolled_first) - already)
    assert already <= 100


def test_campaign_import_works_with_the_embedded_sandbox(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}

    def foxreach_cli(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "foxreach_cli.cli", *args, "--sandbox", "--sandbox-db", db]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)

    def in_process(*args: str) -> str:
        """The campaign's setup and check, without a process each: stdout."""
        result = CliRunner().invoke(app, [*args, "--sandbox", "--sandbox-db", db])
        assert result.exit_code == 0, result.output
        return result.stdout

    campaign = json.loads(in_process("campaigns", "create", "--name", "Try", "--json"))["id"]
    path = tmp_path / "leads.csv"
    make_csv(path, ["try1@example.com", "try2@example.com"])
    report_file = tmp_path / "report.json"
    run = foxreach_cli("import", str(path), "--campaign", campaign, "--json", "--report",
                       str(report_file))  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "2 added, 0 already in it" in run.stderr
    for report in (json.loads(run.stdout), json.loads(report_file.read_text())):
        assert report["campaign"]["id"] == campaign
        assert (report["campaign"]["added"], report["campaign"]["alreadyInCampaign"]) == (2, 0)
    shown = json.loads(in_process("campaigns", "get", campaign, "--json"))
    assert shown["total_leads"] == 2
