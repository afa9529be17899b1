"""The official CLI's commands (leads, campaigns, ...): the request each one sends, what it
prints (tables with the right values, --json in foxreach-cli 0.2.0's shape), and how it ends on
403, 404, 422 and 429 (Retry-After waited out, then a sentence and exit 5)."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import click
import pytest
import typer.main
from click.testing import CliRunner as ClickRunner
from pytest_httpx import HTTPXMock
from typer.testing import CliRunner, Result

from foxreach_cli.cli import app
from foxreach_cli.official import GROUPS, session

BASE = "https://api.foxreach.test/api/v1"
KEY = "otr_unit_0123456789abcdef"

LEAD = {
    "id": "cld_1", "email": "ada@example.com", "firstName": "Ada", "lastName": "Quill",
    "company": "Inkwell", "title": "CTO", "phone": None, "linkedinUrl": None, "website": None,
    "customFields": {}, "notes": None, "tags": ["q1"], "status": "active", "source": "api",
    "createdAt": "2026-01-02T03:04:05", "updatedAt": "2026-01-02T03:04:05",
}  # fmt: skip
CAMPAIGN = {
    "id": "cmp_1", "name": "Spring", "status": "draft", "timezone": "UTC",
    "sendingDays": [1, 2, 3], "sendingStartHour": 9, "sendingEndHour": 17, "dailyLimit": 40,
    "sentToday": 0, "totalLeads": 12, "totalSent": 7, "totalDelivered": 6, "totalBounced": 1,
    "totalReplied": 3, "totalOpened": 5, "createdAt": "2026-01-02T03:04:05",
}  # fmt: skip
SEQUENCE = {
    "id": "seq_1", "campaignId": "cmp_1", "stepNumber": 2, "subject": "Hello",
    "body": "Hi {{firstName}}", "delayDays": 3, "templateType": "email",
}  # fmt: skip
TEMPLATE = {
    "id": "tpl_1", "name": "Intro", "subject": "Hi", "body": "Body", "templateType": "email",
    "sendAsHtml": False, "createdAt": "2026-01-02T03:04:05",
}  # fmt: skip
ACCOUNT = {
    "id": "acc_1", "email": "sender@example.org", "displayName": "Sender", "provider": "smtp",
    "dailyLimit": 80, "sentToday": 11, "isActive": True, "healthScore": 97.5,
}  # fmt: skip
THREAD = {
    "id": "rep_1", "fromEmail": "ada@example.com", "toEmail": "sender@example.org",
    "subject": "Re: Hi", "bodyPlain": "Sounds good", "category": "interested", "isRead": False,
    "isStarred": True, "campaignId": "cmp_1", "leadId": "cld_1",
    "receivedAt": "2026-01-03T10:00:00",
}  # fmt: skip
WEBHOOK = {
    "id": "wh_1", "url": "https://hooks.example.org/x", "isActive": True,
    "events": ["reply.received", "email.sent", "email.bounced", "lead.created"],
    "secret": "whsec_demo", "consecutiveFailures": 2,
}  # fmt: skip
META = {"page": 1, "pageSize": 50, "total": 1, "totalPages": 1}


def page(*items: dict[str, Any], **meta: int) -> dict[str, Any]:
    return {"data": list(items), "meta": {**META, **meta}}


@dataclass
class Case:
    """One command: argv, the request it must send, the answer, and what the output shows."""

    argv: list[str]
    method: str
    path: str
    answer: Any = None
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    shows: tuple[str, ...] = ()
    status: int = 200

    @property
    def id(self) -> str:
        return " ".join(self.argv[:2])


CASES = [
    Case(["leads", "list", "--search", "ada", "--status", "active", "--page", "2", "--limit",
          "5"], "GET", "/leads", page(LEAD),
         {"page": "2", "pageSize": "5", "search": "ada", "status": "active"},
         shows=("cld_1", "Ada", "Quill", "Inkwell", "Page 1/1 (1 total)")),
    Case(["leads", "get", "cld_1"], "GET", "/leads/cld_1", {"data": LEAD},
         shows=("Linkedin Url", "Ada", "q1")),
    Case(["leads", "create", "--email", "ada@example.com", "--first-name", "Ada",
          "--linkedin", "https://linkedin.example/ada"], "POST", "/leads", {"data": LEAD},
         body={"email": "ada@example.com", "firstName": "Ada",
               "linkedinUrl": "https://linkedin.example/ada"},
         shows=("Lead created: cld_1",), status=201),
    Case(["leads", "update", "cld_1", "--company", "Inkwell"], "PATCH", "/leads/cld_1",
         {"data": LEAD}, body={"company": "Inkwell"}, shows=("Lead updated: cld_1",)),
    Case(["leads", "delete", "cld_1", "--yes"], "DELETE", "/leads/cld_1",
         {"data": {"id": "cld_1", "deleted": True}}, shows=("Lead deleted: cld_1",)),
    Case(["leads", "activity", "cld_1"], "GET", "/leads/cld_1/activity",
         {"data": {"activities": [{"timestamp": "2026-01-02T03:04:05.123Z", "type": "sent",
                                   "subject": "Hello", "campaignName": "Spring"}]}},
         shows=("2026-01-02T03:04:05", "sent", "Hello", "Spring")),
    Case(["campaigns", "list", "--status", "draft"], "GET", "/campaigns", page(CAMPAIGN),
         {"page": "1", "pageSize": "50", "status": "draft"},
         shows=("cmp_1", "Spring", "12", "40")),
    Case(["campaigns", "get", "cmp_1"], "GET", "/campaigns/cmp_1", {"data": CAMPAIGN},
         shows=("Total Leads", "12", "Total Replied")),
    Case(["campaigns", "create", "--name", "Spring", "--daily-limit", "40", "--start-hour",
          "8"], "POST", "/campaigns", {"data": CAMPAIGN},
         body={"name": "Spring", "timezone": "UTC", "dailyLimit": 40, "sendingStartHour": 8},
         shows=("Campaign created: cmp_1",), status=201),
    Case(["campaigns", "update", "cmp_1", "--end-hour", "18"], "PATCH", "/campaigns/cmp_1",
         {"data": CAMPAIGN}, body={"sendingEndHour": 18}, shows=("Campaign updated: cmp_1",)),
    Case(["campaigns", "delete", "cmp_1", "--yes"], "DELETE", "/campaigns/cmp_1",
         {"data": {"id": "cmp_1", "deleted": True}}, shows=("Campaign deleted: cmp_1",)),
    Case(["campaigns", "start", "cmp_1"], "POST", "/campaigns/cmp_1/start",
         {"data": CAMPAIGN}, shows=("Campaign started: Spring (cmp_1)",)),
    Case(["campaigns", "pause", "cmp_1"], "POST", "/campaigns/cmp_1/pause",
         {"data": CAMPAIGN}, shows=("Campaign paused: Spring (cmp_1)",)),
    Case(["campaigns", "resume", "cmp_1"], "POST", "/campaigns/cmp_1/resume",
         {"data": CAMPAIGN}, shows=("Campaign resumed: Spring (cmp_1)",)),
    Case(["campaigns", "remove-lead", "cmp_1", "cld_1"], "DELETE",
         "/campaigns/cmp_1/leads/cld_1", {"data": {}},
         shows=("Removed lead cld_1 from campaign cmp_1",)),
    Case(["campaigns", "remove-account", "cmp_1", "acc_1"], "DELETE",
         "/campaigns/cmp_1/accounts/acc_1", {"data": {}},
         shows=("Removed account acc_1 from campaign cmp_1",)),
    Case(["campaigns", "add-leads", "cmp_1", "--lead-ids", "cld_1, cld_2,"], "POST",
         "/campaigns/cmp_1/leads", {"data": {"added": 1}},
         body={"leadIds": ["cld_1", "cld_2"]}, shows=("Added 1 leads to campaign cmp_1",)),
    Case(["campaigns", "add-accounts", "cmp_1", "--account-ids", "acc_1"], "POST",
         "/campaigns/cmp_1/accounts", {"data": {}}, body={"accountIds": ["acc_1"]},
         shows=("Added 1 accounts to campaign cmp_1",)),
    Case(["sequences", "list", "--campaign", "cmp_1"], "GET", "/campaigns/cmp_1/sequences",
         {"data": [SEQUENCE]}, shows=("seq_1", "Hello", "3", "email")),
    Case(["sequences", "create", "--campaign", "cmp_1", "--body", "Hi", "--step", "2"], "POST",
         "/campaigns/cmp_1/sequences", {"data": SEQUENCE},
         body={"body": "Hi", "delayDays": 1, "stepNumber": 2, "templateType": "email"},
         shows=("Sequence created: seq_1 (step 2)",), status=201),
    Case(["sequences", "update", "--campaign", "cmp_1", "--sequence", "seq_1", "--subject",
          "Yo"], "PATCH", "/campaigns/cmp_1/sequences/seq_1", {"data": SEQUENCE},
         body={"subject": "Yo"}, shows=("Sequence updated: seq_1",)),
    Case(["sequences", "delete", "--campaign", "cmp_1", "--sequence", "seq_1", "--yes"],
         "DELETE", "/campaigns/cmp_1/sequences/seq_1", None,
         shows=("Sequence deleted: seq_1",), status=204),
    Case(["templates", "list"], "GET", "/templates", page(TEMPLATE),
         {"page": "1", "pageSize": "50"}, shows=("tpl_1", "Intro", "email")),
    Case(["templates", "get", "tpl_1"], "GET", "/templates/tpl_1", {"data": TEMPLATE},
         shows=("Send As Html", "False")),
    Case(["templates", "create", "--name", "Intro", "--body", "Body", "--html"], "POST",
         "/templates", {"data": TEMPLATE},
         body={"name": "Intro", "body": "Body", "templateType": "email", "sendAsHtml": True},
         shows=("Template created: tpl_1",), status=201),
    Case(["templates", "update", "tpl_1", "--name", "Intro 2"], "PATCH", "/templates/tpl_1",
         {"data": TEMPLATE}, body={"name": "Intro 2"}, shows=("Template updated: tpl_1",)),
    Case(["templates", "delete", "tpl_1", "--yes"], "DELETE", "/templates/tpl_1", None,
         shows=("Template deleted: tpl_1",), status=204),
    Case(["accounts", "list", "--limit", "10"], "GET", "/email-accounts", page(ACCOUNT),
         {"page": "1", "pageSize": "10"}, shows=("acc_1", "sender@example.org", "97.5")),
    Case(["accounts", "get", "acc_1"], "GET", "/email-accounts/acc_1", {"data": ACCOUNT},
         shows=("Display Name", "Sender", "smtp")),
    Case(["accounts", "delete", "acc_1", "--yes"], "DELETE", "/email-accounts/acc_1", None,
         shows=("Email account deleted: acc_1",), status=204),
    Case(["inbox", "list", "--unread", "--starred", "--campaign", "cmp_1"], "GET",
         "/inbox/threads", page(THREAD),
         {"page": "1", "pageSize": "50", "isRead": "false", "isStarred": "true",
          "campaignId": "cmp_1"}, shows=("rep_1", "Re: Hi", "interested")),
    Case(["inbox", "get", "rep_1"], "GET", "/inbox/rep_1", {"data": THREAD},
         shows=("Body Plain", "Sounds good")),
    Case(["inbox", "update", "rep_1", "--read", "--category", "interested"], "PATCH",
         "/inbox/rep_1", {"data": THREAD}, body={"isRead": True, "category": "interested"},
         shows=("Thread updated: rep_1",)),
    Case(["inbox", "conversation", "rep_1"], "GET", "/inbox/threads/rep_1/conversation",
         {"data": {"messages": [{"direction": "inbound", "timestamp": "2026-01-03T10:00:00Z",
                                 "fromEmail": "ada@example.com", "subject": "Re: Hi"}]}},
         shows=("[ inbound] 2026-01-03T10:00:00  ada@example.com  Re: Hi",)),
    Case(["inbox", "reply", "rep_1", "--body", "Thanks"], "POST",
         "/inbox/threads/rep_1/reply", {"data": {"messageId": "msg_9"}},
         body={"body": "Thanks"}, shows=("Reply sent (message ID: msg_9)",)),
    Case(["inbox", "stats"], "GET", "/inbox/stats",
         {"data": {"total": 9, "unread": 4, "interested": 3, "notInterested": 2,
                   "outOfOffice": 1, "uncategorized": 3, "totalSent": 120}},
         shows=("Not Interested: 2", "Out of Office:  1", "Total Sent:     120")),
    Case(["analytics", "overview"], "GET", "/analytics/overview",
         {"data": {"totalAccounts": 2, "totalLeads": 340, "replyRate": 4.5}},
         shows=("Total Leads", "340", "4.5")),
    Case(["analytics", "campaign", "cmp_1"], "GET", "/analytics/campaigns/cmp_1",
         {"data": {"sent": 10, "replied": 2, "dailyStats": [{"date": "2026-01-02",
                                                              "sent": 10}]}},
         shows=("Replied", "Daily Stats:", "2026-01-02")),
    Case(["webhooks", "list"], "GET", "/webhooks", page(WEBHOOK),
         {"page": "1", "pageSize": "20"},
         shows=("wh_1", "reply.received, email.sent, email.bounced...", "2")),
    Case(["webhooks", "create", "--url", "https://hooks.example.org/x", "--events",
          "reply.received,email.sent"], "POST", "/webhooks", {"data": WEBHOOK},
         body={"url": "https://hooks.example.org/x", "events": ["reply.received", "email.sent"],
               "isActive": True}, shows=("Webhook created: wh_1", "whsec_demo"), status=201),
    Case(["webhooks", "update", "wh_1", "--inactive"], "PATCH", "/webhooks/wh_1",
         {"data": WEBHOOK}, body={"isActive": False}, shows=("Webhook updated: wh_1",)),
    Case(["webhooks", "delete", "wh_1", "--yes"], "DELETE", "/webhooks/wh_1", None,
         shows=("Webhook deleted: wh_1",), status=204),
    Case(["webhooks", "events"], "GET", "/webhooks/events",
         {"data": ["reply.received", "email.sent"]}, shows=("  - reply.received",)),
]  # fmt: skip


@pytest.fixture(autouse=True)
def _api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A key and base URL from the environment, no .env, and a recording sleep."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOXREACH_API_KEY", KEY)
    monkeypatch.setenv("FOXREACH_BASE_URL", BASE)
    waits: list[float] = []
    monkeypatch.setattr(session, "sleep", waits.append)
    return waits


@cache
def _group_command(name: str) -> click.Command:
    """The group's click command, built once: Typer rebuilds it at every invoke otherwise."""
    group = importlib.import_module(f"foxreach_cli.official.{GROUPS[name][0]}")
    return typer.main.get_command(group.app)


def run(*argv: str, input: str | None = None) -> Result:
    """``foxreach ARGV`` through the group's own command (a third of the root's cost per
    call; test_root_dispatches_to_the_groups covers the root)."""
    command = _group_command(argv[0])
    return ClickRunner().invoke(command, list(argv[1:]), input=input, env={"COLUMNS": "200"})


def test_root_dispatches_to_the_groups(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": CAMPAIGN})
    result = CliRunner().invoke(app, ["campaigns", "get", "cmp_1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total_leads"] == 12


def mock(httpx_mock: HTTPXMock, case: Case, **kwargs: Any) -> None:
    if case.answer is None and "json" not in kwargs:
        kwargs.setdefault("status_code", case.status)
    else:
        kwargs.setdefault("json", case.answer)
        kwargs.setdefault("status_code", case.status)
    httpx_mock.add_response(method=case.method, **kwargs)


def test_every_command_of_every_group_is_covered() -> None:
    tree = json.loads(
        (Path(__file__).resolve().parent.parent / "data" / "official_cli_tree.json").read_text()
    )
    official = {p for p, e in tree.items() if not e["group"] and not p.startswith("config")}
    assert {case.id for case in CASES} == official


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_request_and_output(case: Case, httpx_mock: HTTPXMock) -> None:
    mock(httpx_mock, case)
    result = run(*case.argv)
    assert result.exit_code == 0, result.output
    request = httpx_mock.get_request()
    assert request is not None
    assert request.method == case.method
    assert request.url.path == "/api/v1" + case.path
    assert dict(request.url.params) == case.query
    assert request.headers["x-api-key"] == KEY
    if case.body is not None:
        assert json.loads(request.content) == case.body
    for text in case.shows:
        assert text in result.stdout, (text, result.stdout)


JSON_CASES = [c for c in CASES if "--json" not in c.argv and c.answer is not None]


@pytest.mark.parametrize(
    "case",
    [c for c in JSON_CASES if c.argv[1] in {"list", "get", "create", "update", "activity",
                                            "events", "overview", "campaign", "conversation",
                                            "reply", "stats"}],
    ids=lambda c: c.id,
)  # fmt: skip
def test_json_is_the_sdk_objects_in_snake_case(case: Case, httpx_mock: HTTPXMock) -> None:
    mock(httpx_mock, case)
    result = run(*case.argv, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    if isinstance(case.answer, dict) and "meta" in case.answer:
        assert set(out) == {"data", "meta"}
        assert out["meta"] == {"page": 1, "page_size": case.answer["meta"]["pageSize"],
                               "total": 1, "total_pages": 1}  # fmt: skip
        assert out["data"][0]["id"] == case.answer["data"][0]["id"]
    elif isinstance(out, dict) and "id" in out:
        assert out["id"] == case.answer["data"]["id"]
        assert "created_at" in out or "campaign_id" in out or "received_at" in out


def test_leads_json_is_the_official_shape(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": LEAD})
    out = json.loads(run("leads", "get", "cld_1", "--json").stdout)
    assert out == {
        "id": "cld_1", "email": "ada@example.com", "first_name": "Ada", "last_name": "Quill",
        "company": "Inkwell", "title": "CTO", "phone": None, "linkedin_url": None,
        "website": None, "custom_fields": {}, "notes": None, "tags": ["q1"],
        "status": "active", "source": "api", "created_at": "2026-01-02T03:04:05",
        "updated_at": "2026-01-02T03:04:05",
    }  # fmt: skip


def test_campaign_json_carries_total_leads(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": CAMPAIGN})
    out = json.loads(run("campaigns", "get", "cmp_1", "--json").stdout)
    assert out["total_leads"] == 12
    assert out["sending_days"] == [1, 2, 3]


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@pytest.mark.parametrize(
    ("status", "code", "words"),
    [(403, 3, "was refused (403)"), (404, 2, "Not found (404)"),
     (422, 2, "refused the request (422)")],
)  # fmt: skip
def test_errors_are_one_sentence_and_our_exit_code(
    case: Case, status: int, code: int, words: str, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method=case.method, status_code=status, json={"detail": f"Nope, {KEY} is wrong."}
    )
    result = run(*case.argv)
    assert result.exit_code == code, result.output
    assert words in result.stderr
    assert "Traceback" not in result.output
    assert KEY not in result.output  # the key is masked, also inside the server's words
    assert len(result.stderr.strip().splitlines()) == 1 or status == 403


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_429_waits_retry_after_then_goes_on(
    case: Case, httpx_mock: HTTPXMock, _api: list[float]
) -> None:
    httpx_mock.add_response(
        method=case.method,
        status_code=429,
        headers={"Retry-After": "7"},
        json={"error": "Rate limit exceeded", "code": "rate_limit_exceeded"},
    )
    mock(httpx_mock, case)
    result = run(*case.argv)
    assert result.exit_code == 0, result.output
    assert _api == [7.0]
    assert len(httpx_mock.get_requests()) == 2


def test_429_that_lasts_is_exit_5_naming_the_wait(httpx_mock: HTTPXMock, _api: list[float]) -> None:
    for _ in range(4):
        httpx_mock.add_response(status_code=429, headers={"Retry-After": "2"}, json={})
    result = run("campaigns", "list")
    assert result.exit_code == 5
    assert "Rate limit exceeded (429)" in result.stderr
    assert "wait 2 s" in result.stderr
    assert _api == [2.0, 2.0, 2.0]


def test_a_long_retry_after_is_not_slept_through(httpx_mock: HTTPXMock, _api: list[float]) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "3600"}, json={})
    result = run("leads", "get", "cld_1")
    assert result.exit_code == 5
    assert "wait 3600 s" in result.stderr
    assert _api == []


def test_server_failure_is_exit_5(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=503, json={"detail": "down"})
    result = run("templates", "list")
    assert result.exit_code == 5
    assert "The server failed (503): down." in result.stderr


def test_no_key_is_one_sentence_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOXREACH_API_KEY")
    result = run("leads", "list")
    assert result.exit_code == 2
    assert "No API key given." in result.stderr


def test_delete_asks_first_and_does_nothing_without_yes(httpx_mock: HTTPXMock) -> None:
    result = run("leads", "delete", "cld_1", input="n\n")
    assert result.exit_code == 2
    assert "nothing was changed" in result.output
    assert httpx_mock.get_requests() == []


def test_delete_goes_on_when_the_user_says_yes(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="DELETE", json={"data": {"id": "cld_1", "deleted": True}})
    result = run("leads", "delete", "cld_1", input="y\n")
    assert result.exit_code == 0
    assert "Lead deleted: cld_1" in result.stdout


# -- leads list --email --------------------------------------------------------------------------


def test_leads_list_email_sends_the_filter_and_keeps_only_that_address(
    httpx_mock: HTTPXMock,
) -> None:
    other = {**LEAD, "id": "cld_2", "email": "ada@example.com.evil.test"}
    httpx_mock.add_response(json=page({**LEAD, "email": "ADA@Example.com"}, other, total=2))
    result = run("leads", "list", "--email", "ada@EXAMPLE.com", "--json")
    assert result.exit_code == 0, result.output
    request = httpx_mock.get_request()
    assert request is not None
    assert request.url.params["email"] == "ada@EXAMPLE.com"
    assert [lead["id"] for lead in json.loads(result.stdout)["data"]] == ["cld_1"]


def test_leads_list_email_with_no_match(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=page(total=0, totalPages=0))
    result = run("leads", "list", "--email", "nobody@example.com")
    assert result.exit_code == 0
    assert "No leads found." in result.stdout


def test_leads_list_refuses_an_unknown_status_before_sending(httpx_mock: HTTPXMock) -> None:
    result = run("leads", "list", "--status", "gone")
    assert result.exit_code == 2
    assert httpx_mock.get_requests() == []
