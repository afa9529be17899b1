"""``foxreach sequences``: a campaign's email steps."""

from __future__ import annotations

from typing import Annotated

import typer

from . import options as opt
from .session import session
from .views import confirm, line, print_json, print_table, show_done, success

app = opt.group("Manage campaign sequences (email steps).")

Campaign = Annotated[str, typer.Option("--campaign", help="Campaign ID")]
SequenceId = Annotated[str, typer.Option("--sequence", help="Sequence ID")]

_TABLE = {
    "ID": "id",
    "Step": "step_number",
    "Subject": "subject",
    "Delay Days": "delay_days",
    "Type": "template_type",
}


@app.command("list")
def sequences_list(
    campaign: Campaign,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """List sequences for a campaign."""
    with session(sandbox, sandbox_db) as api:
        items = api.call(lambda c: c.campaigns.sequences.list(campaign))
        if as_json:
            print_json(items)
            return
        if not items:
            line("No sequences found.")
            return
        print_table(items, _TABLE)


@app.command("create")
def sequences_create(
    campaign: Campaign,
    body: Annotated[str, typer.Option("--body", help="Email body (supports {{variables}})")],
    subject: Annotated[
        str | None, typer.Option("--subject", help="Email subject", show_default=False)
    ] = None,
    delay_days: Annotated[
        int, typer.Option("--delay-days", help="Days to wait before sending")
    ] = 1,
    step: Annotated[
        int | None, typer.Option("--step", help="Step number", show_default=False)
    ] = None,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Add a sequence step to a campaign."""
    with session(sandbox, sandbox_db) as api:
        from foxreach import SequenceCreate

        data = SequenceCreate(body=body, subject=subject, delay_days=delay_days, step_number=step)
        seq = api.call(lambda c: c.campaigns.sequences.create(campaign, data))
        show_done(seq, f"Sequence created: {seq.id} (step {seq.step_number})", as_json=as_json)


@app.command("update")
def sequences_update(
    campaign: Campaign,
    sequence_id: SequenceId,
    body: Annotated[
        str | None, typer.Option("--body", help="Email body", show_default=False)
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Email subject", show_default=False)
    ] = None,
    delay_days: Annotated[
        int | None,
        typer.Option("--delay-days", help="Days to wait before sending", show_default=False),
    ] = None,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Update a sequence step."""
    with session(sandbox, sandbox_db) as api:
        from foxreach import SequenceUpdate

        data = SequenceUpdate(body=body, subject=subject, delay_days=delay_days)
        seq = api.call(lambda c: c.campaigns.sequences.update(campaign, sequence_id, data))
        show_done(seq, f"Sequence updated: {seq.id}", as_json=as_json)


@app.command("delete")
def sequences_delete(
    campaign: Campaign,
    sequence_id: SequenceId,
    yes: opt.Yes = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Delete a sequence step."""
    confirm("Are you sure you want to delete this sequence?", yes)
    with session(sandbox, sandbox_db) as api:
        api.call(lambda c: c.campaigns.sequences.delete(campaign, sequence_id))
        success(f"Sequence deleted: {sequence_id}")
