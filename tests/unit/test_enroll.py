"""import --campaign's enrollment stage (foxreach_cli/enroll.py) with pytest-httpx: the checks
before sending, finding lead ids (tag pages, email lookups, every email compared), adding them
(100 per call, halved on 422, 429s waited out in the budget), the journal and exit 7."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from foxreach_cli.campaign_client import CampaignClient
from foxreach_cli.cli.errors import exit_code_for
from foxreach_cli.enroll import (
    Campaign,
    EnrollJournal,
    Enrollment,
    EnrollmentError,
    Requests,
    check_campaign,
    estimate,
    run_tag,
)
from foxreach_cli.errors import AuthError, UsageError
from foxreach_cli.send import SendPolicy

BASE = "https://api.foxreach.test/api/v1"
KEY = "otr_unit_enroll_0123456789"
CAMPAIGN = Campaign(id="cmp_1", name="Spring", status="draft")


class FakeBudget:
    """A budget that never waits; records penalties and observations."""

    def __init__(self) -> None:
        self.penalties: list[float] = []
        self.observed = 0

    def acquire(self, *, cancel: Any = None) -> float:
        return 0.0

    def observe(self, info: Any, *, sent_at: float, round_trip: float | None = None) -> None:
        self.observed += 1

    def penalise(self, retry_after: float) -> None:
        self.penalties.append(retry_after)

    def release_unused(self, sent_at: float) -> None: ...
    def wake(self) -> None: ...
    def spent(self) -> bool:
        return False

    def snapshot(self) -> Any: ...


@pytest.fixture
def client() -> Any:
    with CampaignClient(BASE, KEY) as c:
        yield c


@pytest.fixture
def budget() -> FakeBudget:
    return FakeBudget()


@pytest.fixture
def requests(budget: FakeBudget) -> Requests:
    return Requests(budget, SendPolicy(), sleep=lambda s: None)  # type: ignore[arg-type]


def lead(n: int, email: str | None = None, status: str = "active") -> dict[str, Any]:
    return {"id": f"cld_{n}", "email": email or f"l{n}@example.com", "status": status}


def page(leads: list[dict[str, Any]], total_pages: int = 1) -> dict[str, Any]:
    return {"data": leads, "meta": {"page": 1, "pageSize": 100, "total": len(leads),
                                    "totalPages": total_pages}}  # fmt: skip


def enrollment(tmp_path: Path, emails: list[str]) -> Enrollment:
    journal = EnrollJournal(tmp_path / "j.jsonl")
    journal.add_candidates(emails)
    return Enrollment(CAMPAIGN, "foxreach-run-abc", journal)


def posted_ids(httpx_mock: HTTPXMock) -> list[list[str]]:
    return [
        json.loads(r.content)["leadIds"] for r in httpx_mock.get_requests() if r.method == "POST"
    ]


def test_run_tag_is_stable_and_names_the_campaign(tmp_path: Path) -> None:
    files = [str(tmp_path / "a.csv")]
    assert run_tag("cmp_1", files) == run_tag("cmp_1", files)
    assert run_tag("cmp_1", files) != run_tag("cmp_2", files)
    assert run_tag("cmp_1", files).startswith("foxreach-run-")


def test_estimate() -> None:
    assert estimate(250, 100, 60.0) == (8, 4.8)
    assert estimate(0, 100, 60.0)[0] == 4


def test_unknown_campaign_is_exit_2(client: Any, requests: Requests, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, json={"detail": "Campaign not found."})
    with pytest.raises(UsageError) as caught:
        check_campaign(client, "cmp_x", requests)
    assert "does not exist in this workspace; nothing was sent" in str(caught.value)
    assert exit_code_for(caught.value) == 2


def test_read_only_key_is_exit_3(client: Any, requests: Requests, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", json={"data": {"id": "cmp_1", "status": "active"}})
    httpx_mock.add_response(method="POST", status_code=403, json={"detail": "write scope"})
    with pytest.raises(AuthError) as caught:
        check_campaign(client, "cmp_1", requests)
    assert exit_code_for(caught.value) == 3
    request = httpx_mock.get_requests()[1]
    assert json.loads(request.content) == {"leadIds": []}


def test_check_reads_the_status(client: Any, requests: Requests, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", json={"data": {"name": "Q", "status": "active"}})
    httpx_mock.add_response(method="POST", status_code=422, json={"detail": "empty"})
    campaign = check_campaign(client, "cmp_1", requests)
    assert campaign.active and campaign.name == "Q"


def test_ids_from_tag_pages_and_lookups_only_for_leads_that_existed(
    tmp_path: Path, client: Any, requests: Requests, httpx_mock: HTTPXMock
) -> None:
    stage = enrollment(tmp_path, ["l1@example.com", "L2@Example.com", "old@example.com",
                                  "gone@example.com", "off@example.com"])  # fmt: skip
    tagged = [lead(1), lead(2, "l2@example.com"), lead(9, "stranger@example.com")]
    httpx_mock.add_response(url=f"{BASE}/leads?page=1&pageSize=100&tags=foxreach-run-abc",
                            json=page(tagged))  # fmt: skip
    for email, found in (
        ("old@example.com", [lead(3, "old@example.com.other.test"), lead(4, "OLD@example.com")]),
        ("gone@example.com", [lead(5, "gone@example.org")]),  # a filter not to trust
        ("off@example.com", [lead(6, "off@example.com", status="unsubscribed")]),
    ):
        httpx_mock.add_response(url=httpx_mock_url(email), json=page(found))
    httpx_mock.add_response(method="POST", json={"data": {"added": 3, "alreadyInCampaign": 0}})
    result = stage.run(client, requests)
    assert posted_ids(httpx_mock) == [["cld_1", "cld_2", "cld_4"]]
    assert (result.added, result.already) == (3, 0)
    assert result.left_out == {"not found in the workspace": 1, "status unsubscribed": 1}
    assert result.requests == 5


def httpx_mock_url(email: str) -> str:
    return f"{BASE}/leads?page=1&pageSize=100&email={email.replace('@', '%40')}"


def test_a_refused_size_is_halved(
    tmp_path: Path, client: Any, requests: Requests, httpx_mock: HTTPXMock
) -> None:
    emails = [f"l{n}@example.com" for n in range(100)]
    stage = enrollment(tmp_path, emails)
    httpx_mock.add_response(method="GET", json=page([lead(n) for n in range(100)]))
    httpx_mock.add_response(method="POST", status_code=422, json={"detail": "too many"})
    httpx_mock.add_response(method="POST", json={"data": {}})
    httpx_mock.add_response(method="POST", json={"data": {}})
    result = stage.run(client, requests)
    assert [len(ids) for ids in posted_ids(httpx_mock)] == [100, 50, 50]
    assert result.added == 100


def test_429_is_waited_out_in_the_shared_budget(
    tmp_path: Path, client: Any, budget: FakeBudget, requests: Requests, httpx_mock: HTTPXMock
) -> None:
    stage = enrollment(tmp_path, ["l1@example.com"])
    httpx_mock.add_response(method="GET", json=page([lead(1)]))
    httpx_mock.add_response(method="POST", status_code=429, headers={"Retry-After": "12"})
    httpx_mock.add_response(method="POST", json={"data": {"added": 1}})
    assert stage.run(client, requests).added == 1
    assert budget.penalties == [12.0]


def test_a_failure_is_exit_7_naming_the_leads_not_enrolled(
    tmp_path: Path, client: Any, requests: Requests, httpx_mock: HTTPXMock
) -> None:
    emails = [f"l{n}@example.com" for n in range(150)]
    stage = enrollment(tmp_path, emails)
    httpx_mock.add_response(method="GET", json=page([lead(n) for n in range(150)]))
    httpx_mock.add_response(method="POST", json={"data": {"added": 100}})
    httpx_mock.add_response(method="POST", status_code=403, json={"detail": "revoked"})
    with pytest.raises(EnrollmentError) as caught:
        stage.run(client, requests)
    assert caught.value.not_enrolled == emails[100:]
    assert exit_code_for(caught.value) == 7
    assert "50 not enrolled: l100@example.com" in str(caught.value)
    assert "and 40 more" in str(caught.value)
    # The journal kept the first 100: a rerun adds only the rest.
    again = Enrollment(CAMPAIGN, "foxreach-run-abc", EnrollJournal(tmp_path / "j.jsonl"))
    httpx_mock.add_response(method="GET", json=page([lead(n) for n in range(150)]))
    httpx_mock.add_response(method="POST", json={"data": {"added": 50}})
    result = again.run(client, requests)
    assert posted_ids(httpx_mock)[-1] == [f"cld_{n}" for n in range(100, 150)]
    assert (result.added, result.earlier) == (50, 100)


def test_a_journal_line_cut_by_a_kill_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"candidates": ["a@example.com"]}\n{"enrolled": ["a@exa', encoding="utf-8")
    journal = EnrollJournal(path)
    assert list(journal.candidates) == ["a@example.com"] and journal.enrolled == set()
