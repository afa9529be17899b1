"""The other endpoints the official CLI calls, so that each of its commands works against the
sandbox: templates and webhooks (stored), email accounts and inbox threads (the sandbox sends
no mail: empty lists, unknown ids 404), analytics (counted from what is stored) and a lead's
activity (none yet)."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI, Request, Response

from . import outreach_payload as p
from .campaign_routes import refuse, reply
from .gateway import API_PREFIX
from .outreach_store import OutreachStore
from .payload import PayloadError
from .store import Store

#: The webhook event types the sandbox offers.
WEBHOOK_EVENTS = (
    "email.sent", "email.delivered", "email.opened", "email.bounced", "reply.received",
    "lead.created", "lead.updated", "campaign.started", "campaign.completed",
)  # fmt: skip


def add_outreach_routes(app: FastAPI, store: Store, outreach: OutreachStore) -> None:
    """Mount templates, webhooks, email accounts, inbox, analytics and lead activity."""
    _add_templates(app, outreach)
    _add_webhooks(app, outreach)
    _add_mailless(app, store, outreach)


def _crud(
    app: FastAPI,
    outreach: OutreachStore,
    kind: str,
    path: str,
    fields: Any,
    make: Any,
    missing: str,
) -> None:
    """List, get, create, update and delete for a kind of stored object."""

    @app.get(path)
    async def list_objects(request: Request) -> Response:
        try:
            page, size = p.paging(request.query_params)
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        items, total = outreach.list_objects(
            kind, request.state.workspace, page=page, page_size=size
        )
        return reply(200, {"data": items, "meta": p.page_meta(page, size, total)})

    @app.get(path + "/{obj_id}")
    async def get_object(obj_id: str, request: Request) -> Response:
        obj = outreach.get(kind, request.state.workspace, obj_id)
        return refuse(404, missing) if obj is None else reply(200, {"data": obj})

    @app.post(path)
    async def create_object(request: Request) -> Response:
        try:
            body = p.json_object(await request.body())
            obj = make(body, fields(body))
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        return reply(201, {"data": outreach.create(kind, request.state.workspace, obj)})

    @app.patch(path + "/{obj_id}")
    async def update_object(obj_id: str, request: Request) -> Response:
        try:
            changes = fields(p.json_object(await request.body()))
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        obj = outreach.update(kind, request.state.workspace, obj_id, changes)
        return refuse(404, missing) if obj is None else reply(200, {"data": obj})

    @app.delete(path + "/{obj_id}")
    async def delete_object(obj_id: str, request: Request) -> Response:
        if not outreach.delete(kind, request.state.workspace, obj_id):
            return refuse(404, missing)
        return reply(200, {"data": {"id": obj_id, "deleted": True}})


def _add_templates(app: FastAPI, outreach: OutreachStore) -> None:
    def fields(body: dict[str, Any]) -> dict[str, Any]:
        found = {
            "name": p.text(body, "name"),
            "subject": p.text(body, "subject"),
            "body": p.text(body, "body"),
            "templateType": p.text(body, "templateType"),
            "sendAsHtml": p.flag(body, "sendAsHtml"),
        }
        return {key: value for key, value in found.items() if value is not None}

    def make(body: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
        p.text(body, "name", required=True)
        p.text(body, "body", required=True)
        return {
            "name": found["name"],
            "subject": found.get("subject"),
            "body": found["body"],
            "templateType": found.get("templateType", "email"),
            "sendAsHtml": found.get("sendAsHtml", False),
        }

    _crud(app, outreach, "template", API_PREFIX + "/templates", fields, make, "Template not found.")


def _add_webhooks(app: FastAPI, outreach: OutreachStore) -> None:
    @app.get(API_PREFIX + "/webhooks/events")
    async def webhook_events(request: Request) -> Response:
        return reply(200, {"data": list(WEBHOOK_EVENTS)})

    def fields(body: dict[str, Any]) -> dict[str, Any]:
        url = p.text(body, "url")
        if url is not None and not url.startswith(("https://", "http://")):
            raise PayloadError(422, "Field 'url' must be an http(s) URL.")
        events = p.strings(body, "events")
        unknown = [e for e in events or [] if e not in WEBHOOK_EVENTS]
        if unknown:
            raise PayloadError(422, f"Unknown webhook event type: {unknown[0]}.")
        found = {"url": url, "events": events, "isActive": p.flag(body, "isActive")}
        return {key: value for key, value in found.items() if value is not None}

    def make(body: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
        p.text(body, "url", required=True)
        if not found.get("events"):
            raise PayloadError(422, "Field 'events' must name at least one event type.")
        return {
            "url": found["url"],
            "events": found["events"],
            "isActive": found.get("isActive", True),
            "secret": "whsec_" + os.urandom(16).hex(),
            "lastDeliveredAt": None,
            "consecutiveFailures": 0,
        }

    _crud(app, outreach, "webhook", API_PREFIX + "/webhooks", fields, make, "Webhook not found.")


def _add_mailless(app: FastAPI, store: Store, outreach: OutreachStore) -> None:
    empty_page = API_PREFIX + "/email-accounts", API_PREFIX + "/inbox/threads"

    for path in empty_page:

        @app.get(path)
        async def nothing_yet(request: Request) -> Response:
            try:
                page, size = p.paging(request.query_params)
            except PayloadError as exc:
                return refuse(exc.status, exc.detail)
            return reply(200, {"data": [], "meta": p.page_meta(page, size, 0)})

    @app.api_route(API_PREFIX + "/email-accounts/{account_id}", methods=["GET", "DELETE"])
    async def no_account(account_id: str) -> Response:
        return refuse(404, "Email account not found.")

    @app.get(API_PREFIX + "/inbox/stats")
    async def inbox_stats() -> Response:
        keys = ("total", "unread", "interested", "notInterested", "outOfOffice",
                "uncategorized", "totalSent")  # fmt: skip
        return reply(200, {"data": dict.fromkeys(keys, 0)})

    @app.api_route(API_PREFIX + "/inbox/{reply_id}", methods=["GET", "PATCH"])
    async def no_thread(reply_id: str) -> Response:
        return refuse(404, "Thread not found.")

    @app.api_route(API_PREFIX + "/inbox/threads/{reply_id}/conversation", methods=["GET"])
    @app.api_route(API_PREFIX + "/inbox/threads/{reply_id}/reply", methods=["POST"])
    async def no_conversation(reply_id: str) -> Response:
        return refuse(404, "Thread not found.")

    @app.get(API_PREFIX + "/analytics/overview")
    async def overview(request: Request) -> Response:
        workspace = request.state.workspace
        campaigns, total = outreach.list_objects("campaign", workspace, page_size=10_000)
        active = sum(1 for c in campaigns if c["status"] == "active")
        leads = store.list_leads(workspace, page=1, page_size=1)[1]
        data = {
            "totalAccounts": 0, "activeAccounts": 0, "totalCampaigns": total,
            "activeCampaigns": active, "totalLeads": leads, "totalSent": 0, "totalReplies": 0,
            "replyRate": 0.0, "accountHealthAvg": 0.0,
        }  # fmt: skip
        return reply(200, {"data": data})

    @app.get(API_PREFIX + "/analytics/campaigns/{campaign_id}")
    async def campaign_figures(campaign_id: str, request: Request) -> Response:
        if outreach.get("campaign", request.state.workspace, campaign_id) is None:
            return refuse(404, "Campaign not found.")
        keys = ("sent", "delivered", "bounced", "replied", "opened")
        data = {**dict.fromkeys(keys, 0), "replyRate": 0.0, "bounceRate": 0.0, "dailyStats": []}
        return reply(200, {"data": data})

    @app.get(API_PREFIX + "/leads/{lead_id}/activity")
    async def lead_activity(lead_id: str, request: Request) -> Response:
        if store.get_lead(request.state.workspace, lead_id) is None:
            return refuse(404, "Lead not found.")
        return reply(200, {"data": {"activities": []}})
