"""Opt-out updates of leads already in the workspace: the exact exchanges (GET /leads?email=,
PATCH /leads/{id}) and what each answer becomes, under a fake-clock rate budget."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from foxreach_cli.client import FoxReachClient
from foxreach_cli.errors import AuthError
from foxreach_cli.optout_updates import (
    ALREADY,
    NOT_DONE,
    NOT_FOUND,
    UPDATED,
    OptOutStage,
    OptOutUpdate,
    OptOutUpdater,
    UpdateQueue,
    in_workspace,
)
from foxreach_cli.rate_budget import RateBudget
from foxreach_cli.report import OptOutUpdateInfo
from foxreach_cli.send import SendPolicy
from foxreach_cli.stage_data import Batch, BatchOutcome, Tally
from tests.unit.test_send import FakeTime

BASE = "https://api.foxreach.io/api/v1"
KEY = "otr_live_5f2c9e1d7a3b4c8e9f0a3f9a"
LEAD_ID = "cld_00000000070123abcd"


def lookup_url(email: str) -> httpx.URL:
    return httpx.URL(f"{BASE}/leads", params={"email": email, "pageSize": 100})


def lead(email: str, status: str = "active", lead_id: str = LEAD_ID) -> dict[str, Any]:
    return {"id": lead_id, "email": email, "status": status, "firstName": "Ann"}


def listing(*leads: dict[str, Any]) -> dict[str, Any]:
    meta = {"page": 1, "pageSize": 100, "total": len(leads), "totalPages": 1}
    return {"data": list(leads), "meta": meta}


def update(email: str = "Ann@X.example.com", status: str = "unsubscribed") -> OptOutUpdate:
    return OptOutUpdate(email.lower(), email, status, "leads.csv", 7)


class Run:
    """An updater over the mocked network, a fake clock and the outcomes it reports."""

    def __init__(self, policy: SendPolicy | None = None) -> None:
        self.time = FakeTime()
        self.client = FoxReachClient(BASE, KEY)
        self.budget = RateBudget(
            100, 60.0, clock=self.time.clock, wall=self.time.wall, sleep=self.time.sleep
        )
        self.notes: list[str] = []
        self.updater = OptOutUpdater(
            self.client,
            self.budget,
            policy or SendPolicy(concurrency=1),
            sleep=self.time.sleep,
            rng=random.Random(3),
            note=self.notes.append,
        )
        self.done: list[OptOutUpdateInfo] = []

    def __call__(self, *updates: OptOutUpdate) -> list[OptOutUpdateInfo]:
        try:
            self.outcome = self.updater.run(updates, lambda u, r: self.done.append(r))
        finally:
            self.client.close()
        return self.done


# -- the client's two calls ----------------------------------------------------------------------


def test_find_leads_asks_for_the_exact_email_and_keeps_only_leads_that_have_it(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(
        method="GET",
        url=lookup_url("Ann@X.example.com"),
        match_headers={"X-API-Key": KEY, "Accept": "application/json"},
        json=listing(lead("ann@x.example.com"), lead("anna@x.example.com", lead_id="cld_2")),
        headers={"X-RateLimit-Remaining": "41"},
    )
    with FoxReachClient(BASE, KEY) as client:
        found = client.find_leads(" Ann@X.example.com ")
    assert [x["email"] for x in found.leads] == ["ann@x.example.com"]
    assert found.others == 1
    assert found.rate is not None and found.rate.remaining == 41


def test_update_lead_patches_the_status_and_a_404_means_the_lead_is_gone(
    httpx_mock: HTTPXMock,
) -> None:
    url = f"{BASE}/leads/{LEAD_ID}"
    httpx_mock.add_response(
        method="PATCH",
        url=url,
        match_json={"status": "unsubscribed"},
        match_headers={"Content-Type": "application/json"},
        json={"data": lead("ann@x.example.com", "unsubscribed")},
    )
    httpx_mock.add_response(
        method="PATCH", url=url, status_code=404, json={"detail": "Lead not found."}
    )
    with FoxReachClient(BASE, KEY) as client:
        assert (
            client.update_lead(LEAD_ID, {"status": "unsubscribed"}).lead["status"] == "unsubscribed"
        )
        assert client.update_lead(LEAD_ID, {"status": "unsubscribed"}).lead is None


# -- the updater -----------------------------------------------------------------------------------


def test_an_active_lead_is_found_by_email_and_patched_to_the_opt_out(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=lookup_url("Ann@X.example.com"), json=listing(lead("ann@x.example.com"))
    )
    httpx_mock.add_response(
        method="PATCH",
        url=f"{BASE}/leads/{LEAD_ID}",
        match_json={"status": "unsubscribed"},
        json={"data": lead("ann@x.example.com", "unsubscribed")},
    )
    (done,) = Run()(update())
    assert (done.outcome, done.before, done.row, done.file) == (UPDATED, "active", 7, "leads.csv")


@pytest.mark.parametrize(
    ("stored", "wanted"),
    [("unsubscribed", "unsubscribed"), ("unsubscribed", "bounced"), ("bounced", "bounced")],
)
def test_a_lead_opted_out_as_strongly_already_is_left_alone(
    httpx_mock: HTTPXMock, stored: str, wanted: str
) -> None:
    # No PATCH is mocked: one would fail the test. Never the other way (bounced over unsubscribed).
    httpx_mock.add_response(
        url=lookup_url("Ann@X.example.com"), json=listing(lead("ann@x.example.com", stored))
    )
    (done,) = Run()(update(status=wanted))
    assert (done.outcome, done.before) == (ALREADY, stored)


def test_a_bounced_lead_is_raised_to_unsubscribed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=lookup_url("Ann@X.example.com"), json=listing(lead("ann@x.example.com", "bounced"))
    )
    httpx_mock.add_response(
        method="PATCH",
        match_json={"status": "unsubscribed"},
        json={"data": lead("a", "unsubscribed")},
    )
    (done,) = Run()(update())
    assert (done.outcome, done.before) == (UPDATED, "bounced")


def test_no_lead_or_a_lead_gone_before_the_patch_is_not_in_the_workspace(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(url=lookup_url("Ann@X.example.com"), json=listing())
    httpx_mock.add_response(
        url=lookup_url("Bo@x.example.com"), json=listing(lead("bo@x.example.com"))
    )
    httpx_mock.add_response(method="PATCH", status_code=404, json={"detail": "Lead not found."})
    done = Run()(update(), update("Bo@x.example.com"))
    assert [d.outcome for d in done] == [NOT_FOUND, NOT_FOUND]


def test_a_server_that_ignores_the_email_filter_leaves_the_update_not_done(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(
        url=lookup_url("Ann@X.example.com"), json=listing(lead("zed@x.example.com"))
    )
    (done,) = Run()(update())
    assert done.outcome == NOT_DONE and "email filter did not apply" in done.reason


def test_429_waits_retry_after_then_asks_again(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=lookup_url("Ann@X.example.com"),
        status_code=429,
        headers={"Retry-After": "7"},
        json={"error": "Rate limit exceeded", "code": "rate_limit_exceeded"},
    )
    httpx_mock.add_response(
        url=lookup_url("Ann@X.example.com"), json=listing(lead("ann@x.example.com"))
    )
    httpx_mock.add_response(
        method="PATCH", json={"data": lead("ann@x.example.com", "unsubscribed")}
    )
    run = Run(SendPolicy(concurrency=1, max_retries=0))  # a 429 costs no retry
    (done,) = run(update())
    assert done.outcome == UPDATED
    assert run.time.now >= 7.0
    assert (run.outcome.requests, run.outcome.rate_limited) == (3, 1)
    assert run.notes == ["opt-out updates: rate limited (429); waiting 7.0s"]


def test_a_5xx_is_retried_with_backoff(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=lookup_url("Ann@X.example.com"), status_code=503, json={"detail": "busy"}
    )
    httpx_mock.add_response(
        url=lookup_url("Ann@X.example.com"), json=listing(lead("ann@x.example.com", "unsubscribed"))
    )
    run = Run()
    (done,) = run(update())
    assert done.outcome == ALREADY and run.outcome.retries == 1


def test_403_stops_the_updates_and_leaves_every_one_not_done(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=lookup_url("Ann@X.example.com"), status_code=403, json={"detail": f"Invalid key {KEY}"}
    )
    run = Run()
    done = run(update(), update("bo@x.example.com"))
    assert [d.outcome for d in done] == [NOT_DONE, NOT_DONE]
    assert isinstance(run.outcome.fatal, AuthError)
    assert KEY not in done[0].reason and KEY not in str(run.outcome.fatal)
    assert len(httpx_mock.get_requests()) == 1  # nothing more was asked


# -- what is queued ---------------------------------------------------------------------------


def test_the_queue_keeps_the_strongest_status_and_skips_what_an_earlier_run_did() -> None:
    queue = UpdateQueue(done={("leads.csv", "bo@x.example.com"): "unsubscribed"})
    assert queue.add(update(status="bounced"))
    assert queue.add(update(status="unsubscribed"))
    assert not queue.add(update(status="bounced"))
    assert not queue.add(update("bo@x.example.com", "bounced"))
    assert [u.status for u in queue] == ["unsubscribed"]


def test_opted_out_rows_the_server_found_in_the_workspace_are_queued() -> None:
    batch = Batch.of(
        seq=0,
        files=["a.csv"] * 4,
        rows=[2, 3, 4, 5],
        emails=["A@x.example.com", "b@x.example.com", "c@x.example.com", "d@x.example.com"],
        leads=[{"email": "x"}] * 4,
    )
    batch.opted_out = {0: "unsubscribed", 2: "bounced", 3: "bounced"}
    outcome = BatchOutcome(
        Tally(created=1, server_duplicates=2),
        {
            2: ("duplicate", "A@x.example.com", "in_workspace", ()),
            3: ("duplicate", "b@x.example.com", "in_workspace", ()),  # not opted out
            4: ("imported", "c@x.example.com", "", ()),  # created with its status
            5: ("unresolved", "d@x.example.com", "unresolved", ()),  # maybe there already
        },
    )
    assert [(u.key, u.status, u.row) for u in in_workspace(batch, outcome)] == [
        ("a@x.example.com", "unsubscribed", 2),
        ("d@x.example.com", "bounced", 5),
    ]


def test_the_stage_journals_each_update_when_queued_and_when_done(httpx_mock: HTTPXMock) -> None:
    journal: list[tuple[str, str, str]] = []

    class Journal:
        def opt_out_queued(self, u: OptOutUpdate) -> None:
            journal.append(("queued", u.key, u.status))

        def opt_out_done(self, u: OptOutUpdate, r: OptOutUpdateInfo) -> None:
            journal.append(("done", u.key, r.outcome))

    reported: list[OptOutUpdateInfo] = []
    stage = OptOutStage(reported.append, journal=Journal())
    stage.add(update())
    stage.add(update())  # the same: journaled once
    httpx_mock.add_response(url=lookup_url("Ann@X.example.com"), json=listing())
    t = FakeTime()
    with FoxReachClient(BASE, KEY) as client:
        stage.run(
            client, RateBudget(100, 60.0, clock=t.clock, wall=t.wall, sleep=t.sleep), SendPolicy()
        )
    assert journal == [
        ("queued", "ann@x.example.com", "unsubscribed"),
        ("done", "ann@x.example.com", NOT_FOUND),
    ]
    assert [r.outcome for r in reported] == [NOT_FOUND] and not len(stage.queue)


def test_patch_body_is_json_with_the_status_only(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=lookup_url("Ann@X.example.com"), json=listing(lead("ann@x.example.com"))
    )
    httpx_mock.add_response(method="PATCH", json={"data": lead("ann@x.example.com", "bounced")})
    Run()(update(status="bounced"))
    patch = httpx_mock.get_requests(method="PATCH")[0]
    assert json.loads(patch.content) == {"status": "bounced"}
    assert patch.url.path == f"/api/v1/leads/{LEAD_ID}"


def test_the_journal_keeps_the_strongest_pending_update_and_reopens_a_done_one_only_if_stronger(
    tmp_path,
) -> None:
    from foxreach_cli.state.journal import Journal

    with Journal(tmp_path) as j:
        j.opt_out_queued("dest", "h1", "ann@x", "Ann@x", "bounced", 4)
        j.opt_out_queued("dest", "h1", "ann@x", "Ann@x", "unsubscribed", 9)
        j.opt_out_queued("dest", "h1", "ann@x", "Ann@x", "bounced", 12)  # weaker: no change
        (r,) = j.opt_out_updates("dest", "h1")
        assert (r.status, r.row, r.done) == ("unsubscribed", 9, False)
        j.opt_out_done("dest", "h1", "ann@x", "unsubscribed", {"outcome": "updated"})
        j.opt_out_queued("dest", "h1", "ann@x", "Ann@x", "unsubscribed", 9)  # done already
        (r,) = j.opt_out_updates("dest", "h1")
        assert (r.done, r.outcome) == (True, {"outcome": "updated"})
        assert j.opt_out_updates("dest", "h2") == []
        j.forget_file("dest", "h1")
        assert j.opt_out_updates("dest", "h1") == []


def test_the_report_counts_and_names_carried_opt_outs_and_updates() -> None:
    from io import StringIO

    from rich.console import Console

    from foxreach_cli.details import DetailPart
    from foxreach_cli.render import one_line, opt_out_lines, render_report
    from foxreach_cli.report import DedupInfo, FileSummary, ReportFold

    fold = ReportFold([FileSummary("a.csv")], dry_run=False)
    fold.add(
        DedupInfo(
            "a.csv",
            1,
            DetailPart.of(
                "a.csv",
                [3, 4],
                ["DUP@x.example.com", "dup@x.example.com"],
                "duplicate",
                ["opt_out_carried", "duplicate_of"],
                ["unsubscribed\x1f2", "2"],
            ),
        )
    )
    fold.add(OptOutUpdateInfo("a.csv", 9, "jo@x.example.com", "bounced", UPDATED, "active"))
    fold.add(OptOutUpdateInfo("a.csv", 12, "al@x.example.com", "unsubscribed", ALREADY))
    report = fold.finish(elapsed=1.0)
    data = report.to_dict()
    assert (data["optOutsCarried"], data["optOutUpdates"], data["localDuplicates"]) == (1, 1, 2)
    assert data["optOutUpdateDetails"][0] == {
        "file": "a.csv",
        "row": 9,
        "email": "jo@x.example.com",
        "status": "bounced",
        "outcome": "updated",
        "statusBefore": "active",
    }
    assert [d["code"] for d in data["duplicateDetails"]] == ["opt_out_carried", "duplicate_of"]
    assert "1 opt-out of duplicates carried to the lead kept, 1 lead opted out" in one_line(report)
    lines = opt_out_lines(report)
    assert lines[0] == (
        "Opt-outs carried from duplicates to the lead kept: 1 (row 3 (DUP@x.example.com, "
        "unsubscribed) -> row 2)."
    )
    assert lines[1].startswith("Opt-outs for leads already in the workspace: 2 (1 opted out, ")
    assert "jo@x.example.com (row 9 of a.csv, bounced): opted out" in lines[1]
    out = StringIO()
    render_report(Console(file=out, width=400), report, show_mapping=False)
    assert "opt-outs carried to the lead kept" in out.getvalue()
    assert lines[1] in out.getvalue()
