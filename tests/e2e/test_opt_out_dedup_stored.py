"""Issue 25, first requirement, end to end: an opt-out survives dedup and reaches leads that
already exist. Each test runs the real CLI against the real sandbox server and checks what
the server STORED (``sandbox.store.leads``), then what the report says.

Invented people only (example domains).
"""

from __future__ import annotations

import csv
import json
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from foxreach_cli import defaults
from foxreach_cli.cli import app
from tests.signals import ForkedCli

runner = CliRunner()
FAST = ["--rate-window", "1", "--rate-limit", "100000", "--fail-on", "never"]
HEADER = ["Email", "First Name", "Stage"]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def import_args(sandbox: Any, key: str, *args: str) -> list[str]:
    return ["import", *args, "--base-url", sandbox.base_url, "--api-key", key, "--json", *FAST]


def run_import(sandbox: Any, key: str, *args: str, code: int = 0) -> dict[str, Any]:
    """``foxreach import ... --json`` against the sandbox, in-process; the report."""
    result = runner.invoke(app, import_args(sandbox, key, *args))
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def stored(sandbox: Any, key: str) -> dict[str, dict[str, Any]]:
    """The workspace's active leads by lowercased email."""
    return {
        lead["email"].lower(): lead
        for lead in sandbox.store.leads(key)
        if not lead.get("deletedAt")
    }


def statuses(sandbox: Any, key: str) -> dict[str, str]:
    return {email: lead["status"] for email, lead in stored(sandbox, key).items()}


def fresh_key() -> str:
    return f"otr_optout_{uuid.uuid4().hex}"


def carried(report: dict[str, Any]) -> list[tuple[int, str]]:
    return [
        (d["row"], d["reason"])
        for d in report["duplicateDetails"]
        if d["code"] == "opt_out_carried"
    ]


def updates(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(u["email"], u["status"], u["outcome"]) for u in report["optOutUpdateDetails"]]


# -- within one file ---------------------------------------------------------------------------


def test_the_issues_dup_then_unsubscribed_stores_one_unsubscribed_lead_with_the_first_rows_values(
    sandbox, api_key, tmp_path
):
    path = write_csv(
        tmp_path / "crm.csv",
        [["dup@x.example.com", "Ann", "Lead"], ["DUP@x.example.com", "Annie", "Unsubscribed"]],
    )
    report = run_import(sandbox, api_key, str(path))
    (lead,) = stored(sandbox, api_key).values()
    assert lead["email"] == "dup@x.example.com"  # the first row's values
    assert lead["firstName"] == "Ann"
    assert lead["customFields"] == {"Stage": "Lead"}
    assert lead["status"] == "unsubscribed"
    assert report["optOutsCarried"] == 1
    assert carried(report) == [
        (3, "duplicate of row 2; its opt-out (unsubscribed) is kept on that lead")
    ]
    assert report["optOutUpdates"] == 0  # carried before sending: nothing to update


def test_has_opted_out_of_email_false_then_true_stores_the_lead_unsubscribed(
    sandbox, api_key, tmp_path
):
    path = write_csv(
        tmp_path / "salesforce.csv",
        [["kim@x.example.com", "Kim", "false"], ["kim@x.example.com", "Kim", "true"]],
        header=["Email", "FirstName", "HasOptedOutOfEmail"],
    )
    report = run_import(sandbox, api_key, str(path))
    assert statuses(sandbox, api_key) == {"kim@x.example.com": "unsubscribed"}
    assert report["optOutsCarried"] == 1


def test_an_opting_out_copy_in_a_later_batch_of_the_same_chunk_is_carried_before_sending(
    sandbox, api_key, tmp_path
):
    rows = [["dup@x.example.com", "Ann", "Bounced"]]
    rows += [[f"p{i}@x.example.com", "P", "Lead"] for i in range(5)]
    rows += [["Dup@x.example.com", "Ann", "Unsubscribed"]]
    path = write_csv(tmp_path / "leads.csv", rows)
    report = run_import(sandbox, api_key, str(path), "--batch-size", "1")
    assert statuses(sandbox, api_key)["dup@x.example.com"] == "unsubscribed"  # over bounced
    assert report["requests"] == 6 and report["optOutUpdates"] == 0


def test_an_opting_out_copy_read_after_the_first_was_sent_updates_the_stored_lead(
    sandbox, api_key, tmp_path, monkeypatch
):
    # Chunks of 2 rows and batches of 2: the first copy is sent long before the last is read.
    monkeypatch.setattr(defaults, "LIVE_CHUNK_ROWS", 2)
    rows = [["dup@x.example.com", "Ann", "Lead"]]
    rows += [[f"p{i}@x.example.com", "P", "Lead"] for i in range(5)]
    rows += [["DUP@x.example.com", "Ann", "Bounced"], ["dup@X.example.com", "Ann", "Unsubscribed"]]
    path = write_csv(tmp_path / "leads.csv", rows)
    report = run_import(sandbox, api_key, str(path), "--batch-size", "2")
    leads = stored(sandbox, api_key)
    assert leads["dup@x.example.com"]["status"] == "unsubscribed"
    assert leads["dup@x.example.com"]["customFields"] == {"Stage": "Lead"}
    assert all(v["status"] == "active" for k, v in leads.items() if k.startswith("p"))
    assert [r for r, _ in carried(report)] == [8, 9]
    assert report["optOutUpdates"] == 1
    assert report["requests"] == 3 + 2  # 3 batches, then a look-up and an update
    assert updates(report) == [("dup@X.example.com", "unsubscribed", "updated")]
    assert report["optOutUpdateDetails"][0]["statusBefore"] == "active"


def test_across_two_files_of_one_run_the_second_files_opt_out_reaches_the_first_files_lead(
    sandbox, api_key, tmp_path
):
    a = write_csv(tmp_path / "a.csv", [["jo@x.example.com", "Jo", "Customer"]])
    b = write_csv(tmp_path / "b.csv", [["JO@x.example.com", "Jo", "Unsubscribed"]])
    report = run_import(sandbox, api_key, str(a), str(b))
    assert statuses(sandbox, api_key) == {"jo@x.example.com": "unsubscribed"}
    ((row, reason),) = carried(report)
    assert row == 2
    assert reason == f"duplicate of row 2 in {a}; its opt-out (unsubscribed) is kept on that lead"
    assert updates(report) == [("JO@x.example.com", "unsubscribed", "updated")]


# -- leads already in the workspace -------------------------------------------------------------


def test_a_lead_from_an_earlier_run_is_opted_out_by_a_new_file_and_never_made_active_again(
    sandbox, tmp_path
):
    key = fresh_key()
    first = write_csv(
        tmp_path / "first.csv",
        [["ann@x.example.com", "Ann", "Lead"], ["bob@x.example.com", "Bob", "Lead"]],
    )
    run_import(sandbox, key, str(first), "--no-resume")
    later = write_csv(
        tmp_path / "later.csv",
        [["ANN@x.example.com", "Ann", "Unsubscribed"], ["bob@x.example.com", "Bob", "Lead"]],
    )
    report = run_import(sandbox, key, str(later), "--no-resume")
    assert statuses(sandbox, key) == {
        "ann@x.example.com": "unsubscribed",
        "bob@x.example.com": "active",
    }
    assert report["duplicates"] == 2 and report["optOutUpdates"] == 1
    assert updates(report) == [("ANN@x.example.com", "unsubscribed", "updated")]
    # The next file says Ann is active again: she stays unsubscribed.
    again = write_csv(
        tmp_path / "again.csv",
        [["ann@x.example.com", "Ann", "active"]],
        header=["Email", "First Name", "Status"],
    )
    report = run_import(sandbox, key, str(again), "--no-resume")
    assert statuses(sandbox, key)["ann@x.example.com"] == "unsubscribed"
    assert report["optOutUpdates"] == 0 and report["optOutUpdateDetails"] == []
    # Soft-deleted, then imported back as active: restored, still unsubscribed.
    lead_id = stored(sandbox, key)["ann@x.example.com"]["id"]
    with httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": key}) as c:
        assert c.delete(f"/leads/{lead_id}").status_code == 200
    report = run_import(sandbox, key, str(again), "--no-resume", "--status", "active")
    assert report["restored"] == 1
    assert statuses(sandbox, key)["ann@x.example.com"] == "unsubscribed"
    # The other way round: an active lead soft-deleted, then restored by an opting-out row.
    bob_id = stored(sandbox, key)["bob@x.example.com"]["id"]
    with httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": key}) as c:
        assert c.delete(f"/leads/{bob_id}").status_code == 200
    bob = write_csv(tmp_path / "bob.csv", [["bob@x.example.com", "Bob", "Bounced"]])
    report = run_import(sandbox, key, str(bob), "--no-resume")
    assert report["restored"] == 1 and report["optOutUpdates"] == 0
    assert statuses(sandbox, key)["bob@x.example.com"] == "bounced"


def test_a_rejected_file_imported_back_finds_the_opt_out_already_on_the_lead(
    sandbox, api_key, tmp_path
):
    path = write_csv(
        tmp_path / "crm.csv",
        [["dup@x.example.com", "Ann", "Lead"], ["dup@x.example.com", "Ann", "Unsubscribed"]],
    )
    rejected = tmp_path / "rejected.csv"
    run_import(sandbox, api_key, str(path), "--rejected", str(rejected), "--no-resume")
    report = run_import(sandbox, api_key, str(rejected), "--no-resume")
    assert statuses(sandbox, api_key) == {"dup@x.example.com": "unsubscribed"}
    assert updates(report) == [("dup@x.example.com", "unsubscribed", "alreadyOptedOut")]


def test_a_dry_run_counts_the_updates_it_would_make_and_sends_nothing(
    sandbox, api_key, tmp_path, monkeypatch
):
    monkeypatch.setattr(defaults, "DRY_RUN_CHUNK_ROWS", 2)
    rows = [["dup@x.example.com", "Ann", "Lead"], ["p@x.example.com", "P", "Lead"]]
    rows += [["dup@x.example.com", "Ann", "Unsubscribed"]]
    path = write_csv(tmp_path / "leads.csv", rows)
    report = run_import(sandbox, api_key, str(path), "--dry-run")
    assert stored(sandbox, api_key) == {} and sandbox.stats.requests == 0
    assert report["optOutsCarried"] == 1 and report["optOutUpdates"] == 1
    assert updates(report) == [("dup@x.example.com", "unsubscribed", "wouldCheck")]


# -- a kill during the updates, and the resume ----------------------------------------------------

UPDATES = 60


def test_a_run_killed_during_its_updates_resumes_without_redoing_or_losing_one(
    sandbox_factory, tmp_path
):
    sandbox = sandbox_factory(on_disk=True, latency=0.01, rate_limit=100_000)
    key = fresh_key()
    emails = [f"lead{i}@x.example.com" for i in range(UPDATES)]
    base = write_csv(tmp_path / "base.csv", [[e, "L", "Lead"] for e in emails])
    run_import(sandbox, key, str(base), "--no-resume")
    optout = write_csv(tmp_path / "optout.csv", [[e, "L", "Unsubscribed"] for e in emails])
    state = tmp_path / "state"
    args = import_args(sandbox, key, str(optout), "--state-dir", str(state))

    proc = ForkedCli(args)
    try:
        deadline = time.monotonic() + 60
        while sum(s == "unsubscribed" for s in statuses(sandbox, key).values()) < UPDATES // 3:
            assert proc.poll() is None, "the run ended before it was killed"
            assert time.monotonic() < deadline, "the updates never started"
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    done_before = {e for e, s in statuses(sandbox, key).items() if s == "unsubscribed"}
    assert UPDATES // 3 <= len(done_before) < UPDATES, "killed during the updates"

    imports = sandbox.stats.imports
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(statuses(sandbox, key).values()) == {"unsubscribed"}
    assert report["notSent"] == 0 and sandbox.stats.imports == imports  # nothing imported twice
    by_email = {u["email"]: u for u in report["optOutUpdateDetails"]}
    assert sorted(by_email) == sorted(emails)
    earlier = {e for e, u in by_email.items() if u.get("earlierRun")}
    now = {e for e, u in by_email.items() if not u.get("earlierRun")}
    # What the killed run recorded is not redone; at most the update in flight is checked
    # again (and found done already).
    assert earlier <= done_before and earlier | now == set(emails)
    redone = [e for e in now if by_email[e]["outcome"] == "alreadyOptedOut"]
    assert len(redone) <= 1
    assert all(by_email[e]["outcome"] == "updated" for e in now if e not in redone)
    assert report["optOutUpdates"] == UPDATES - len(redone)

    # The file is finished now: a third run sends nothing and reproduces what was done.
    requests = sandbox.stats.requests
    result = runner.invoke(app, args)
    again = json.loads(result.stdout)
    assert again["reproduced"] is True and sandbox.stats.requests == requests
    assert again["optOutUpdates"] == report["optOutUpdates"]
    assert all(u["earlierRun"] for u in again["optOutUpdateDetails"])
