"""``foxreach analytics``: the workspace overview and one campaign's figures."""

from __future__ import annotations

from typing import Annotated

import typer

from . import options as opt
from .session import session
from .views import line, print_detail, print_json, print_table, show_one

app = opt.group("View analytics and stats.")

_OVERVIEW = [
    "total_accounts", "active_accounts", "total_campaigns", "active_campaigns", "total_leads",
    "total_sent", "total_replies", "reply_rate", "account_health_avg",
]  # fmt: skip
_CAMPAIGN = ["sent", "delivered", "bounced", "replied", "opened", "reply_rate", "bounce_rate"]
_DAILY = {
    "Date": "date",
    "Sent": "sent",
    "Delivered": "delivered",
    "Bounced": "bounced",
    "Replied": "replied",
    "Opened": "opened",
}


@app.command("overview")
def analytics_overview(
    as_json: opt.Json = False, sandbox: opt.Sandbox = False, sandbox_db: opt.SandboxDb = None
) -> None:
    """Show dashboard overview stats."""
    with session(sandbox, sandbox_db) as api:
        stats = api.call(lambda c: c.analytics.overview())
        show_one(stats, _OVERVIEW, as_json=as_json)


@app.command("campaign")
def analytics_campaign(
    campaign_id: Annotated[str, typer.Argument(metavar="CAMPAIGN_ID", show_default=False)],
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Show campaign analytics."""
    with session(sandbox, sandbox_db) as api:
        stats = api.call(lambda c: c.analytics.campaign(campaign_id))
        if as_json:
            print_json(stats)
            return
        print_detail(stats, _CAMPAIGN)
        if stats.daily_stats:
            line("\nDaily Stats:")
            print_table(stats.daily_stats, _DAILY)
