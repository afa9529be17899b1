"""Options every official command shares (``--json``, ``--sandbox``, ``--sandbox-db``, ``--yes``)
and the ones several take (``--page``, ``--limit``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

Json = Annotated[bool, typer.Option("--json", help="Output as JSON")]
Sandbox = Annotated[
    bool,
    typer.Option("--sandbox", help="Run against the embedded local sandbox; no account needed."),
]
SandboxDb = Annotated[
    str | None,
    typer.Option(
        "--sandbox-db",
        metavar="PATH",
        help="The database --sandbox uses (default: the one of 'foxreach sandbox serve').",
        show_default=False,
    ),
]
Page = Annotated[int, typer.Option("--page", help="Page number")]
Limit = Annotated[int, typer.Option("--limit", help="Results per page")]
Yes = Annotated[bool, typer.Option("--yes", help="Confirm the action without prompting.")]


class LeadStatus(StrEnum):
    """A lead's status, as ``leads list --status`` takes it."""

    active = "active"
    bounced = "bounced"
    unsubscribed = "unsubscribed"
    replied = "replied"


class CampaignStatus(StrEnum):
    """A campaign's status, as ``campaigns list --status`` takes it."""

    draft = "draft"
    active = "active"
    paused = "paused"
    completed = "completed"


def group(help_text: str) -> typer.Typer:
    """A command group's Typer app, set up as the main CLI's (plain help, no completion)."""
    return typer.Typer(
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,  # tracebacks with locals could show the key: never
        rich_markup_mode=None,
    )
