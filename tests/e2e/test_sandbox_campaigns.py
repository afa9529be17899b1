"""The sandbox's campaign side, driven by the official SDK's own calls (foxreach 0.2.0): every
resource the official CLI uses passes against it, and what it stores is checked directly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from foxreach_cli.cli import app

if TYPE_CHECKING:
    from foxreach import FoxReach

    from foxreach_cli.sandbox.server import RunningSandbox


@pytest.fixture
def fox(sandbox: RunningSandbox, api_key: str) -> Iterator[FoxReach]:
    from foxreach import FoxReach

    with FoxReach(api_key=api_key, base_url=sandbox.base_url, max_retries=0) as client:
        yield client


def import_leads(sandbox: RunningSandbox, api_key: str, count: int) -> list[dict[str, Any]]:
    leads = [{"email": f"enrol{n}@example.com", "firstName": f"E{n}"} for n in range(count)]
    with httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": api_key}) as client:
        for start in range(0, count, 1000):
            resp = client.post("/leads/import", json={"leads": leads[start : start + 1000]})
            assert resp.status_code == 200
    return [lead for lead in sandbox.store.leads(api_key) if lead["deletedAt"] is None]


def members(sandbox: RunningSandbox, api_key: str, campaign_id: str) -> list[str]:
    """The lead ids the server stored for a campaign."""
    from foxreach_cli.sandbox.store import workspace_of

    assert sandbox.state.outreach is not None
    return sandbox.state.outreach.members(workspace_of(api_key), campaign_id)


def test_campaign_lifecycle_with_leads_and_a_sequence(
    fox: FoxReach, sandbox: RunningSandbox, api_key: str
) -> None:
    from foxreach import BadRequestError, CampaignCreate, CampaignUpdate, SequenceCreate

    created = fox.campaigns.create(CampaignCreate(name="Spring", daily_limit=30))
    assert created.id.startswith("cmp_")
    assert (created.status, created.daily_limit, created.total_leads) == ("draft", 30, 0)
    assert (created.sending_start_hour, created.sending_end_hour) == (9, 17)
    with pytest.raises(BadRequestError, match="sequence step and leads"):
        fox.campaigns.start(created.id)

    leads = import_leads(sandbox, api_key, 3)
    ids = [lead["id"] for lead in leads]
    assert fox.campaigns.add_leads(created.id, ids[:2]) == {
        "added": 2, "already_in_campaign": 0, "not_found": [],
    }  # fmt: skip
    again = fox.campaigns.add_leads(created.id, [ids[1], ids[2], "cld_00000000ff00000000"])
    assert again == {
        "added": 1, "already_in_campaign": 1, "not_found": ["cld_00000000ff00000000"],
    }  # fmt: skip
    assert fox.campaigns.get(created.id).total_leads == 3
    fox.campaigns.remove_lead(created.id, ids[0])
    assert fox.campaigns.get(created.id).total_leads == 2
    assert members(sandbox, api_key, created.id) == ids[1:]

    step = fox.campaigns.sequences.create(created.id, SequenceCreate(body="Hi {{firstName}}"))
    assert (step.step_number, step.campaign_id, step.delay_days) == (1, created.id, 1)
    started = fox.campaigns.start(created.id)
    assert started.status == "active" and started.started_at
    with pytest.raises(BadRequestError, match="Only paused campaigns can be resumed"):
        fox.campaigns.resume(created.id)
    assert fox.campaigns.pause(created.id).status == "paused"
    assert fox.campaigns.resume(created.id).status == "active"
    with pytest.raises(BadRequestError, match="Only draft"):
        fox.campaigns.delete(created.id)
    updated = fox.campaigns.update(created.id, CampaignUpdate(name="Spring 2", daily_limit=60))
    assert (updated.name, updated.daily_limit, updated.total_leads) == ("Spring 2", 60, 2)
    page = fox.campaigns.list(status="active")
    assert [c.id for c in page] == [created.id] and page.data[0].total_leads == 2
    assert list(fox.campaigns.list(status="draft")) == []


def test_campaigns_belong_to_their_workspace(
    fox: FoxReach, sandbox: RunningSandbox, api_key: str
) -> None:
    from foxreach import CampaignCreate, FoxReach, NotFoundError

    mine = fox.campaigns.create(CampaignCreate(name="Mine"))
    with FoxReach(api_key=api_key + "x", base_url=sandbox.base_url, max_retries=0) as other:
        with pytest.raises(NotFoundError):
            other.campaigns.get(mine.id)
        with pytest.raises(NotFoundError):
            other.campaigns.add_leads(mine.id, ["cld_1"])
        assert list(other.campaigns.list()) == []


def test_campaign_bodies_are_checked(sandbox: RunningSandbox, api_key: str) -> None:
    with httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": api_key}) as client:
        assert client.post("/campaigns", json={}).status_code == 422
        assert client.post("/campaigns", json={"name": " "}).status_code == 422
        bad_hours = {"name": "x", "sendingStartHour": 18, "sendingEndHour": 9}
        assert client.post("/campaigns", json=bad_hours).status_code == 422
        assert client.post("/campaigns", json={"name": "x", "dailyLimit": "9"}).status_code == 422
        campaign = client.post("/campaigns", json={"name": "ok"}).json()["data"]
        assert campaign["totalLeads"] == 0 and campaign["sendingDays"] == [1, 2, 3, 4, 5]
        leads = f"/campaigns/{campaign['id']}/leads"
        assert client.post(leads, json={"leadIds": []}).status_code == 422
        assert client.post(leads, json={"leadIds": ["x"] * 1001}).status_code == 422
        assert client.post(leads, json={"lead_ids": ["x"]}).status_code == 422
        assert client.get("/campaigns", params={"status": "gone"}).status_code == 422
        assert client.get("/campaigns", params={"pageSize": "101"}).status_code == 422
        assert client.get("/campaigns/cmp_nope").status_code == 404


def test_campaign_list_pages(fox: FoxReach) -> None:
    from foxreach import CampaignCreate

    made = [fox.campaigns.create(CampaignCreate(name=f"C{n}")).id for n in range(5)]
    first = fox.campaigns.list(page_size=2)
    assert (first.meta.total, first.meta.total_pages) == (5, 3)
    assert [c.id for c in first.auto_paging_iter()] == made


def test_lead_list_pages_and_filters_through_the_sdk(
    fox: FoxReach, sandbox: RunningSandbox, api_key: str
) -> None:
    leads = import_leads(sandbox, api_key, 250)
    page = fox.leads.list(page_size=100)
    assert (page.meta.total, page.meta.total_pages, len(page.data)) == (250, 3, 100)
    assert [lead.id for lead in page.auto_paging_iter()] == [lead["id"] for lead in leads]
    last = fox.leads.list(page=3, page_size=100)
    assert len(last.data) == 50 and not last.has_next_page()
    assert fox.leads.list(page=4, page_size=100).data == []
    assert [lead.email for lead in fox.leads.list(search="enrol249@")] == ["enrol249@example.com"]
    assert list(fox.leads.list(status="bounced")) == []


def test_sequences_templates_and_webhooks(fox: FoxReach) -> None:
    from foxreach import (
        CampaignCreate,
        NotFoundError,
        SequenceCreate,
        SequenceUpdate,
        TemplateCreate,
        TemplateUpdate,
        WebhookCreate,
        WebhookUpdate,
    )

    campaign = fox.campaigns.create(CampaignCreate(name="Steps"))
    one = fox.campaigns.sequences.create(campaign.id, SequenceCreate(body="A", subject="S1"))
    two = fox.campaigns.sequences.create(campaign.id, SequenceCreate(body="B", delay_days=3))
    assert [s.step_number for s in fox.campaigns.sequences.list(campaign.id)] == [1, 2]
    assert (
        fox.campaigns.sequences.update(campaign.id, two.id, SequenceUpdate(body="B2")).body == "B2"
    )
    fox.campaigns.sequences.delete(campaign.id, one.id)
    assert [s.id for s in fox.campaigns.sequences.list(campaign.id)] == [two.id]

    template = fox.templates.create(TemplateCreate(name="Intro", body="Hello", send_as_html=True))
    assert fox.templates.get(template.id).send_as_html is True
    assert fox.templates.update(template.id, TemplateUpdate(subject="Hi")).subject == "Hi"
    assert [t.id for t in fox.templates.list()] == [template.id]
    fox.templates.delete(template.id)
    with pytest.raises(NotFoundError):
        fox.templates.get(template.id)

    events = fox.webhooks.list_events()
    assert "reply.received" in events
    hook = fox.webhooks.create(WebhookCreate(url="https://hooks.example.org/x", events=events[:2]))
    assert hook.secret and hook.secret.startswith("whsec_") and hook.is_active
    assert fox.webhooks.update(hook.id, WebhookUpdate(is_active=False)).is_active is False
    assert [w.id for w in fox.webhooks.list()] == [hook.id]
    fox.webhooks.delete(hook.id)
    assert list(fox.webhooks.list()) == []


def test_mailless_endpoints_answer_as_the_sdk_expects(
    fox: FoxReach, sandbox: RunningSandbox, api_key: str
) -> None:
    from foxreach import CampaignCreate, NotFoundError

    assert list(fox.email_accounts.list()) == []
    with pytest.raises(NotFoundError):
        fox.email_accounts.get("acc_1")
    assert list(fox.inbox.list_threads(is_read=False)) == []
    assert fox.inbox.stats()["not_interested"] == 0
    with pytest.raises(NotFoundError):
        fox.inbox.get("rep_1")
    with pytest.raises(NotFoundError):
        fox.inbox.get_conversation("rep_1")
    (lead,) = import_leads(sandbox, api_key, 1)
    assert fox.leads.activity(lead["id"]) == {"activities": []}
    campaign = fox.campaigns.create(CampaignCreate(name="Figures"))
    overview = fox.analytics.overview()
    assert (overview.total_leads, overview.total_campaigns) == (1, 1)
    assert fox.analytics.campaign(campaign.id).sent == 0
    with pytest.raises(NotFoundError):
        fox.analytics.campaign("cmp_nope")


def test_official_commands_run_on_the_embedded_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "sandbox.db")
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("FOXREACH_API_KEY", None)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def foxreach(*args: str) -> Result:
        """In-process (the first command runs as a process of its own, below)."""
        return runner.invoke(app, [*args, "--sandbox", "--sandbox-db", db])

    made = subprocess.run(
        [sys.executable, "-m", "foxreach_cli.cli", "campaigns", "create", "--name", "Try it",
         "--json", "--sandbox", "--sandbox-db", db],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    campaign = json.loads(made.stdout)
    assert campaign["status"] == "draft" and campaign["total_leads"] == 0
    lead = json.loads(foxreach("leads", "create", "--email", "try@example.com", "--json").stdout)
    added = foxreach("campaigns", "add-leads", campaign["id"], "--lead-ids", lead["id"])
    assert "Added 1 leads" in added.stdout
    shown = json.loads(foxreach("campaigns", "get", campaign["id"], "--json").stdout)
    assert shown["total_leads"] == 1
    found = json.loads(foxreach("leads", "list", "--email", "TRY@example.com", "--json").stdout)
    assert [row["id"] for row in found["data"]] == [lead["id"]]
    missing = foxreach("campaigns", "get", "cmp_nope")
    assert missing.exit_code == 2 and "Not found (404)" in missing.stderr


def test_the_cli_starts_without_the_sdk_or_the_campaign_stage() -> None:
    """The official groups (and the SDK) and --campaign's stage load when used, not at every
    start of the CLI."""
    probe = (
        "import sys, foxreach_cli.cli; "
        "print(sorted(m for m in sys.modules if m == 'foxreach' or m.startswith("
        "('foxreach_cli.official.', 'foxreach_cli.enroll', 'foxreach_cli.campaign_client'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
