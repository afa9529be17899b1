"""``foxreach webhooks``: event subscriptions."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import options as opt
from .session import session
from .views import Columns, confirm, line, print_json, show_done, show_page, split_ids, success

app = opt.group("Manage webhooks.")

WebhookId = Annotated[str, typer.Argument(metavar="WEBHOOK_ID", show_default=False)]


def _events(webhook: Any) -> str:
    shown = ", ".join(webhook.events[:3])
    return shown + ("..." if len(webhook.events) > 3 else "")


_TABLE: Columns = {
    "ID": "id",
    "URL": "url",
    "Active": "is_active",
    "Events": _events,
    "Failures": "consecutive_failures",
}


@app.command("list")
def webhooks_list(
    page: opt.Page = 1,
    limit: opt.Limit = 20,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """List webhooks."""
    with session(sandbox, sandbox_db) as api:
        result = api.call(lambda c: c.webhooks.list(page=page, page_size=limit))
        show_page(result, _TABLE, as_json=as_json, nothing="No webhooks found.")


@app.command("create")
def webhooks_create(
    url: Annotated[str, typer.Option("--url", help="Webhook endpoint URL")],
    events: Annotated[str, typer.Option("--events", help="Comma-separated event types")],
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Create a new webhook."""
    with session(sandbox, sandbox_db) as api:
        from foxreach import WebhookCreate

        data = WebhookCreate(url=url, events=split_ids(events))
        webhook = api.call(lambda c: c.webhooks.create(data))
        if as_json:
            print_json(webhook)
            return
        success(f"Webhook created: {webhook.id}")
        if webhook.secret:  # the signing secret is the user's own: shown once, as asked
            line(f"  Secret: {webhook.secret}")
            line("  (Save this secret - it won't be shown again)")


@app.command("update")
def webhooks_update(
    webhook_id: WebhookId,
    url: Annotated[
        str | None, typer.Option("--url", help="New endpoint URL", show_default=False)
    ] = None,
    events: Annotated[
        str | None,
        typer.Option("--events", help="Comma-separated event types", show_default=False),
    ] = None,
    active: Annotated[
        bool | None,
        typer.Option("--active/--inactive", help="Enable or disable", show_default=False),
    ] = None,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Update a webhook."""
    with session(sandbox, sandbox_db) as api:
        from foxreach import WebhookUpdate

        data = WebhookUpdate(
            url=url, events=split_ids(events) if events else None, is_active=active
        )
        webhook = api.call(lambda c: c.webhooks.update(webhook_id, data))
        show_done(webhook, f"Webhook updated: {webhook.id}", as_json=as_json)


@app.command("delete")
def webhooks_delete(
    webhook_id: WebhookId,
    yes: opt.Yes = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Delete a webhook."""
    confirm("Are you sure you want to delete this webhook?", yes)
    with session(sandbox, sandbox_db) as api:
        api.call(lambda c: c.webhooks.delete(webhook_id))
        success(f"Webhook deleted: {webhook_id}")


@app.command("events")
def webhooks_events(
    as_json: opt.Json = False, sandbox: opt.Sandbox = False, sandbox_db: opt.SandboxDb = None
) -> None:
    """List available webhook event types."""
    with session(sandbox, sandbox_db) as api:
        events = api.call(lambda c: c.webhooks.list_events())
        if as_json:
            print_json(events)
            return
        line("Available webhook event types:")
        for event in events:
            line(f"  - {event}")
