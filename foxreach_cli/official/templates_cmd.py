"""``foxreach templates``: email templates."""

from __future__ import annotations

from typing import Annotated

import typer

from . import options as opt
from .session import session
from .views import confirm, show_done, show_one, show_page, success

app = opt.group("Manage email templates.")

TemplateId = Annotated[str, typer.Argument(metavar="TEMPLATE_ID", show_default=False)]
Subject = Annotated[str | None, typer.Option("--subject", help="Email subject", show_default=False)]

_TABLE = {
    "ID": "id",
    "Name": "name",
    "Subject": "subject",
    "Type": "template_type",
    "Created At": "created_at",
}
_DETAIL = [
    "id", "name", "subject", "body", "template_type", "send_as_html", "created_at", "updated_at",
]  # fmt: skip


@app.command("list")
def templates_list(
    page: opt.Page = 1,
    limit: opt.Limit = 50,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """List templates."""
    with session(sandbox, sandbox_db) as api:
        result = api.call(lambda c: c.templates.list(page=page, page_size=limit))
        show_page(result, _TABLE, as_json=as_json, nothing="No templates found.")


@app.command("get")
def templates_get(
    template_id: TemplateId,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Get a template by ID."""
    with session(sandbox, sandbox_db) as api:
        template = api.call(lambda c: c.templates.get(template_id))
        show_one(template, _DETAIL, as_json=as_json)


@app.command("create")
def templates_create(
    name: Annotated[str, typer.Option("--name", help="Template name")],
    body: Annotated[str, typer.Option("--body", help="Email body (supports {{variables}})")],
    subject: Subject = None,
    html: Annotated[bool, typer.Option("--html", help="Send as HTML")] = False,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Create a new template."""
    with session(sandbox, sandbox_db) as api:
        from foxreach import TemplateCreate

        data = TemplateCreate(name=name, body=body, subject=subject, send_as_html=html)
        template = api.call(lambda c: c.templates.create(data))
        show_done(template, f"Template created: {template.id}", as_json=as_json)


@app.command("update")
def templates_update(
    template_id: TemplateId,
    name: Annotated[
        str | None, typer.Option("--name", help="Template name", show_default=False)
    ] = None,
    body: Annotated[
        str | None, typer.Option("--body", help="Email body", show_default=False)
    ] = None,
    subject: Subject = None,
    as_json: opt.Json = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Update a template."""
    with session(sandbox, sandbox_db) as api:
        from foxreach import TemplateUpdate

        data = TemplateUpdate(name=name, body=body, subject=subject)
        template = api.call(lambda c: c.templates.update(template_id, data))
        show_done(template, f"Template updated: {template.id}", as_json=as_json)


@app.command("delete")
def templates_delete(
    template_id: TemplateId,
    yes: opt.Yes = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
) -> None:
    """Delete a template."""
    confirm("Are you sure you want to delete this template?", yes)
    with session(sandbox, sandbox_db) as api:
        api.call(lambda c: c.templates.delete(template_id))
        success(f"Template deleted: {template_id}")
