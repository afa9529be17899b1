"""``foxreach leads``: list, get, create, update, delete and the activity of leads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import options as opt
from .session import session
from .views import confirm, line, print_json, show_done, show_one, show_page, success

if TYPE_CHECKING:
    from foxreach import FoxReach

app = opt.group("Manage leads.")

LeadId = Annotated[str, typer.Argument(metavar="LEAD_ID", show_default=False)]
_Text = Annotated[str | None, typer.Option(show_default=False)]

_TABLE = {
    "ID": "id",
    "Email": "email",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Company": "company",
    "Status": "status",
}
_DETAIL = [
    "id", "email", "first_name", "last_name", "company", "title", "phone", "linkedin_url",
    "website", "status", "source", "tags", "notes", "created_at", "updated_at",
]  # fmt: skip


@app.command("list")
def leads_list(
    search: Annotated[
        str | None,
        typer.Option("--search", help="Search by email, name, or company", show_default=False),
    ] = None,
    status: Annotated[opt.LeadStatus | None, typer.Option("--status", show_default=False)] = None,
    email: Annotated[
        str | None,
        typer.Option(
            "--email",
            help="Only the lead with this email (exact, case-insensitive).",
            show_default=False,
        ),
    ] = None,
    page: opt.Page = 1,
    limit: opt.Limit = 50,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """List leads."""
    wanted = status.value if status else None
    with session(sandbox, sandbox_db) as api:
        if email is None:
            result = api.call(
                lambda c: c.leads.list(page=page, page_size=limit, search=search, status=wanted)
            )
        else:
            result = api.call(lambda c: _by_email(c, email, page, limit, search, wanted))
        show_page(result, _TABLE, as_json=as_json, nothing="No leads found.")


def _by_email(
    client: FoxReach, email: str, page: int, limit: int, search: str | None, status: str | None
) -> Any:
    """A page of ``GET /leads?email=...`` (SDK 0.2.0 has no such parameter), keeping only the
    leads whose email is the one asked for: a server that ignored the filter shows nothing
    else."""
    from foxreach._pagination import _fetch_page
    from foxreach.resources.leads import _make_lead

    params = {"page": page, "pageSize": limit, "search": search, "status": status, "email": email}
    result = _fetch_page(client._http, "/leads", params, _make_lead)
    wanted = email.strip().casefold()
    result.data = [lead for lead in result.data if lead.email.strip().casefold() == wanted]
    return result


@app.command("get")
def leads_get(
    lead_id: LeadId,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Get a lead by ID."""
    with session(sandbox, sandbox_db) as api:
        lead = api.call(lambda c: c.leads.get(lead_id))
        show_one(lead, _DETAIL, as_json=as_json)


@app.command("create")
def leads_create(
    email: Annotated[str, typer.Option("--email", help="Lead email address")],
    first_name: Annotated[str | None, typer.Option("--first-name", help="First name")] = None,
    last_name: Annotated[str | None, typer.Option("--last-name", help="Last name")] = None,
    company: Annotated[str | None, typer.Option("--company", help="Company name")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Job title")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="Phone number")] = None,
    linkedin: Annotated[str | None, typer.Option("--linkedin", help="LinkedIn URL")] = None,
    website: Annotated[str | None, typer.Option("--website", help="Website URL")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes")] = None,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Create a new lead."""
    with session(sandbox, sandbox_db) as api:
        from foxreach import LeadCreate

        data = LeadCreate(
            email=email, first_name=first_name, last_name=last_name, company=company,
            title=title, phone=phone, linkedin_url=linkedin, website=website, notes=notes,
        )  # fmt: skip
        lead = api.call(lambda c: c.leads.create(data))
        show_done(lead, f"Lead created: {lead.id}", as_json=as_json)


@app.command("update")
def leads_update(
    lead_id: LeadId,
    first_name: Annotated[str | None, typer.Option("--first-name", help="First name")] = None,
    last_name: Annotated[str | None, typer.Option("--last-name", help="Last name")] = None,
    company: Annotated[str | None, typer.Option("--company", help="Company name")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Job title")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="Phone number")] = None,
    linkedin: Annotated[str | None, typer.Option("--linkedin", help="LinkedIn URL")] = None,
    website: Annotated[str | None, typer.Option("--website", help="Website URL")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes")] = None,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Update a lead."""
    with session(sandbox, sandbox_db) as api:
        from foxreach import LeadUpdate

        data = LeadUpdate(
            first_name=first_name, last_name=last_name, company=company, title=title,
            phone=phone, linkedin_url=linkedin, website=website, notes=notes,
        )  # fmt: skip
        lead = api.call(lambda c: c.leads.update(lead_id, data))
        show_done(lead, f"Lead updated: {lead.id}", as_json=as_json)


@app.command("delete")
def leads_delete(
    lead_id: LeadId,
    yes: opt.Yes = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Delete a lead."""
    confirm("Are you sure you want to delete this lead?", yes)
    with session(sandbox, sandbox_db) as api:
        api.call(lambda c: c.leads.delete(lead_id))
        success(f"Lead deleted: {lead_id}")


@app.command("activity")
def leads_activity(
    lead_id: LeadId,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Get activity timeline for a lead."""
    with session(sandbox, sandbox_db) as api:
        result = api.call(lambda c: c.leads.activity(lead_id))
        if as_json:
            print_json(result)
            return
        activities = result.get("activities") or []
        if not activities:
            line("No activity found for this lead.")
            return
        for item in activities:
            # The SDK has snake-cased the keys (the official CLI read campaignName: blank).
            stamp = str(item.get("timestamp") or "")[:19] or "\u2014"
            kind = str(item.get("type") or "unknown")
            subject = str(item.get("subject") or "")
            campaign = str(item.get("campaign_name") or "")
            line(f"  {stamp}  {kind:<16}  {subject[:50]:<50}  {campaign}")
