"""``foxreach inbox``: reply threads, conversations, replies and inbox figures."""

from __future__ import annotations

from typing import Annotated

import typer

from . import options as opt
from .session import session
from .views import line, print_json, show_done, show_one, show_page

app = opt.group("Manage inbox threads.")

ReplyId = Annotated[str, typer.Argument(metavar="REPLY_ID", show_default=False)]
Category = Annotated[
    str | None, typer.Option("--category", help="Filter by category", show_default=False)
]

_TABLE = {
    "ID": "id",
    "From": "from_email",
    "Subject": "subject",
    "Category": "category",
    "Read": "is_read",
    "Starred": "is_starred",
    "Received": "received_at",
}
_DETAIL = [
    "id", "from_email", "to_email", "subject", "body_plain", "category", "is_read",
    "is_starred", "campaign_id", "lead_id", "received_at",
]  # fmt: skip
# (label, key): the SDK has snake-cased the keys, which the official CLI read in camelCase and
# so always showed 0 for the last three.
_STATS = [
    ("Total", "total"),
    ("Unread", "unread"),
    ("Interested", "interested"),
    ("Not Interested", "not_interested"),
    ("Out of Office", "out_of_office"),
    ("Uncategorized", "uncategorized"),
    ("Total Sent", "total_sent"),
]


@app.command("list")
def inbox_list(
    category: Category = None,
    unread: Annotated[bool, typer.Option("--unread", help="Show only unread")] = False,
    starred: Annotated[bool, typer.Option("--starred", help="Show only starred")] = False,
    campaign: Annotated[
        str | None, typer.Option("--campaign", help="Filter by campaign ID", show_default=False)
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Filter by account ID", show_default=False)
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", help="Search threads", show_default=False)
    ] = None,
    page: opt.Page = 1,
    limit: opt.Limit = 50,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """List inbox threads."""
    with session(sandbox, sandbox_db) as api:
        result = api.call(
            lambda c: c.inbox.list_threads(
                page=page,
                page_size=limit,
                category=category,
                is_read=False if unread else None,
                is_starred=True if starred else None,
                campaign_id=campaign,
                account_id=account,
                search=search,
            )
        )
        show_page(result, _TABLE, as_json=as_json, nothing="No threads found.")


@app.command("get")
def inbox_get(
    reply_id: ReplyId,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Get a thread by ID."""
    with session(sandbox, sandbox_db) as api:
        thread = api.call(lambda c: c.inbox.get(reply_id))
        show_one(thread, _DETAIL, as_json=as_json)


@app.command("update")
def inbox_update(
    reply_id: ReplyId,
    read: Annotated[
        bool | None,
        typer.Option("--read/--unread", help="Mark as read or unread", show_default=False),
    ] = None,
    starred: Annotated[
        bool | None,
        typer.Option("--starred/--unstarred", help="Star or unstar", show_default=False),
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Set category", show_default=False)
    ] = None,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Update a thread (read status, star, category)."""
    with session(sandbox, sandbox_db) as api:
        from foxreach import ThreadUpdate

        data = ThreadUpdate(is_read=read, is_starred=starred, category=category)
        thread = api.call(lambda c: c.inbox.update(reply_id, data))
        show_done(thread, f"Thread updated: {reply_id}", as_json=as_json)


@app.command("conversation")
def inbox_conversation(
    reply_id: ReplyId,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Get the full conversation thread for a reply."""
    with session(sandbox, sandbox_db) as api:
        result = api.call(lambda c: c.inbox.get_conversation(reply_id))
        if as_json:
            print_json(result)
            return
        messages = result.get("messages") or []
        if not messages:
            line("No messages in this conversation.")
            return
        for msg in messages:
            direction = str(msg.get("direction") or "?")
            stamp = str(msg.get("timestamp") or "")[:19] or "\u2014"
            sender = str(msg.get("from_email") or "")  # fromEmail before the SDK's snake_case
            subject = str(msg.get("subject") or "")
            line(f"  [{direction:>8}] {stamp}  {sender}  {subject}")


@app.command("reply")
def inbox_reply(
    reply_id: ReplyId,
    body: Annotated[str, typer.Option("--body", help="Reply body text")],
    subject: Annotated[
        str | None, typer.Option("--subject", help="Override subject line", show_default=False)
    ] = None,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Send a reply to an inbox thread."""
    with session(sandbox, sandbox_db) as api:
        result = api.call(lambda c: c.inbox.send_reply(reply_id, body, subject=subject))
        show_done(
            result,
            f"Reply sent (message ID: {result.get('message_id', 'unknown')})",
            as_json=as_json,
        )


@app.command("stats")
def inbox_stats(
    as_json: opt.Json = False, sandbox: opt.Sandbox = False, sandbox_db: opt.SandboxDb = None
) -> None:
    """Get inbox statistics."""
    with session(sandbox, sandbox_db) as api:
        result = api.call(lambda c: c.inbox.stats())
        if as_json:
            print_json(result)
            return
        for label, key in _STATS:
            line(f"  {label + ':':<16}{result.get(key, 0)}")
