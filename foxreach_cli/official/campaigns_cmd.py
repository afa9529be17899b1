"""``foxreach campaigns``: list, get, create, update, delete, start, pause and resume campaigns,
and add or remove their leads and email accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from . import options as opt
from .session import session
from .views import confirm, show_done, show_one, show_page, split_ids, success

app = opt.group("Manage campaigns.")

CampaignId = Annotated[str, typer.Argument(metavar="CAMPAIGN_ID", show_default=False)]
Name = Annotated[str | None, typer.Option("--name", help="Campaign name", show_default=False)]
Timezone = Annotated[
    str | None,
    typer.Option("--timezone", help="IANA timezone (e.g. America/New_York)", show_default=False),
]
DailyLimit = Annotated[
    int | None, typer.Option("--daily-limit", help="Max emails per day", show_default=False)
]
StartHour = Annotated[
    int | None,
    typer.Option("--start-hour", help="Sending start hour (0-23)", show_default=False),
]
EndHour = Annotated[
    int | None, typer.Option("--end-hour", help="Sending end hour (0-23)", show_default=False)
]

_TABLE = {
    "ID": "id",
    "Name": "name",
    "Status": "status",
    "Sent": "total_sent",
    "Replied": "total_replied",
    "Leads": "total_leads",
    "Daily Limit": "daily_limit",
}
_DETAIL = [
    "id", "name", "status", "timezone", "sending_days", "sending_start_hour",
    "sending_end_hour", "daily_limit", "total_leads", "total_sent", "total_delivered",
    "total_bounced", "total_replied", "total_opened", "created_at", "started_at",
    "completed_at",
]  # fmt: skip


@app.command("list")
def campaigns_list(
    status: Annotated[
        opt.CampaignStatus | None, typer.Option("--status", show_default=False)
    ] = None,
    page: opt.Page = 1,
    limit: opt.Limit = 50,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """List campaigns."""
    wanted = status.value if status else None
    with session(sandbox, sandbox_db) as api:
        result = api.call(lambda c: c.campaigns.list(page=page, page_size=limit, status=wanted))
        show_page(result, _TABLE, as_json=as_json, nothing="No campaigns found.")


@app.command("get")
def campaigns_get(
    campaign_id: CampaignId,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Get a campaign by ID."""
    with session(sandbox, sandbox_db) as api:
        campaign = api.call(lambda c: c.campaigns.get(campaign_id))
        show_one(campaign, _DETAIL, as_json=as_json)


@app.command("create")
def campaigns_create(
    name: Annotated[str, typer.Option("--name", help="Campaign name")],
    timezone: Timezone = None,
    daily_limit: DailyLimit = None,
    start_hour: StartHour = None,
    end_hour: EndHour = None,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Create a new campaign."""
    with session(sandbox, sandbox_db) as api:
        from foxreach import CampaignCreate

        data = CampaignCreate(
            name=name,
            timezone=timezone or "UTC",
            daily_limit=daily_limit,
            sending_start_hour=start_hour,
            sending_end_hour=end_hour,
        )
        campaign = api.call(lambda c: c.campaigns.create(data))
        show_done(campaign, f"Campaign created: {campaign.id}", as_json=as_json)


@app.command("update")
def campaigns_update(
    campaign_id: CampaignId,
    name: Name = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA timezone", show_default=False)
    ] = None,
    daily_limit: DailyLimit = None,
    start_hour: Annotated[
        int | None, typer.Option("--start-hour", help="Sending start hour", show_default=False)
    ] = None,
    end_hour: Annotated[
        int | None, typer.Option("--end-hour", help="Sending end hour", show_default=False)
    ] = None,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Update a campaign."""
    with session(sandbox, sandbox_db) as api:
        from foxreach import CampaignUpdate

        data = CampaignUpdate(
            name=name,
            timezone=timezone,
            daily_limit=daily_limit,
            sending_start_hour=start_hour,
            sending_end_hour=end_hour,
        )
        campaign = api.call(lambda c: c.campaigns.update(campaign_id, data))
        show_done(campaign, f"Campaign updated: {campaign.id}", as_json=as_json)


@app.command("delete")
def campaigns_delete(
    campaign_id: CampaignId,
    yes: opt.Yes = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Delete a campaign (must be in draft status)."""
    confirm("Are you sure you want to delete this campaign?", yes)
    with session(sandbox, sandbox_db) as api:
        api.call(lambda c: c.campaigns.delete(campaign_id))
        success(f"Campaign deleted: {campaign_id}")


@app.command("start")
def campaigns_start(
    campaign_id: CampaignId, sandbox: opt.Sandbox = False, sandbox_db: opt.SandboxDb = None
) -> None:
    """Start a campaign."""
    with session(sandbox, sandbox_db) as api:
        campaign = api.call(lambda c: c.campaigns.start(campaign_id))
        success(f"Campaign started: {campaign.name} ({campaign.id})")


@app.command("pause")
def campaigns_pause(
    campaign_id: CampaignId, sandbox: opt.Sandbox = False, sandbox_db: opt.SandboxDb = None
) -> None:
    """Pause a running campaign."""
    with session(sandbox, sandbox_db) as api:
        campaign = api.call(lambda c: c.campaigns.pause(campaign_id))
        success(f"Campaign paused: {campaign.name} ({campaign.id})")


@app.command("resume")
def campaigns_resume(
    campaign_id: CampaignId, sandbox: opt.Sandbox = False, sandbox_db: opt.SandboxDb = None
) -> None:
    """Resume a paused campaign."""
    with session(sandbox, sandbox_db) as api:
        campaign = api.call(lambda c: c.campaigns.resume(campaign_id))
        success(f"Campaign resumed: {campaign.name} ({campaign.id})")


@app.command("remove-lead")
def campaigns_remove_lead(
    campaign_id: CampaignId,
    lead_id: Annotated[str, typer.Argument(metavar="LEAD_ID", show_default=False)],
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Remove a lead from a campaign."""
    with session(sandbox, sandbox_db) as api:
        api.call(lambda c: c.campaigns.remove_lead(campaign_id, lead_id))
        success(f"Removed lead {lead_id} from campaign {campaign_id}")


@app.command("remove-account")
def campaigns_remove_account(
    campaign_id: CampaignId,
    account_id: Annotated[str, typer.Argument(metavar="ACCOUNT_ID", show_default=False)],
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Remove an email account from a campaign."""
    with session(sandbox, sandbox_db) as api:
        api.call(lambda c: c.campaigns.remove_account(campaign_id, account_id))
        success(f"Removed account {account_id} from campaign {campaign_id}")


@app.command("add-leads")
def campaigns_add_leads(
    campaign_id: CampaignId,
    lead_ids: Annotated[str, typer.Option("--lead-ids", help="Comma-separated lead IDs")],
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Add leads to a campaign."""
    ids = split_ids(lead_ids)
    with session(sandbox, sandbox_db) as api:
        result = api.call(lambda c: c.campaigns.add_leads(campaign_id, ids))
        success(f"Added {result.get('added', len(ids))} leads to campaign {campaign_id}")


@app.command("add-accounts")
def campaigns_add_accounts(
    campaign_id: CampaignId,
    account_ids: Annotated[str, typer.Option("--account-ids", help="Comma-separated account IDs")],
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Assign email accounts to a campaign."""
    ids = split_ids(account_ids)
    with session(sandbox, sandbox_db) as api:
        result = api.call(lambda c: c.campaigns.add_accounts(campaign_id, ids))
        success(f"Added {result.get('added', len(ids))} accounts to campaign {campaign_id}")
