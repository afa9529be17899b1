"""``foxreach accounts``: the workspace's sending email accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from . import options as opt
from .session import session
from .views import (
    confirm,
    show_one,
    show_page,
    success,
)

app = opt.group("Manage email accounts.")

AccountId = Annotated[str, typer.Argument(metavar="ACCOUNT_ID", show_default=False)]

_TABLE = {
    "ID": "id",
    "Email": "email",
    "Display Name": "display_name",
    "Active": "is_active",
    "Daily Limit": "daily_limit",
    "Sent Today": "sent_today",
    "Health": "health_score",
}
_DETAIL = [
    "id", "email", "display_name", "provider", "is_active", "daily_limit", "sent_today",
    "warmup_enabled", "health_score", "bounce_rate", "reply_rate", "connection_status",
    "created_at",
]  # fmt: skip


@app.command("list")
def accounts_list(
    page: opt.Page = 1,
    limit: opt.Limit = 50,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """List email accounts."""
    with session(sandbox, sandbox_db) as api:
        result = api.call(lambda c: c.email_accounts.list(page=page, page_size=limit))
        show_page(result, _TABLE, as_json=as_json, nothing="No email accounts found.")


@app.command("get")
def accounts_get(
    account_id: AccountId,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Get an email account by ID."""
    with session(sandbox, sandbox_db) as api:
        account = api.call(lambda c: c.email_accounts.get(account_id))
        show_one(account, _DETAIL, as_json=as_json)


@app.command("delete")
def accounts_delete(
    account_id: AccountId,
    yes: opt.Yes = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Delete an email account."""
    confirm("Are you sure you want to delete this email account?", yes)
    with session(sandbox, sandbox_db) as api:
        api.call(lambda c: c.email_accounts.delete(account_id))
        success(f"Email account deleted: {account_id}")
