"""The campaign endpoints of the sandbox: campaigns, their state changes, their leads and
accounts, and their sequences (paths and fields as in FoxReach's API pages and SDK 0.2.0;
docs/sandbox.md lists them). A campaign object carries ``totalLeads``, its lead count."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request, Response

from . import outreach_payload as p
from .gateway import API_PREFIX
from .outreach_store import OutreachStore
from .payload import PayloadError
from .store import Store, now_iso

CAMPAIGN_STATUSES = ("draft", "active", "paused", "completed")
#: Lead ids one POST /campaigns/{id}/leads takes (none is documented; the client sends 100).
MAX_MEMBER_IDS = 1000
_ZERO_COUNTS = (
    "sentToday", "totalSent", "totalDelivered", "totalBounced", "totalReplied", "totalOpened",
)  # fmt: skip
CAMPAIGNS = API_PREFIX + "/campaigns"
ONE = CAMPAIGNS + "/{campaign_id}"


def reply(status: int, body: dict[str, Any]) -> Response:
    """A JSON response."""
    return Response(json.dumps(body).encode(), status_code=status, media_type="application/json")


def refuse(status: int, detail: str) -> Response:
    """An error response in the API's ``{"detail": ...}`` form."""
    return reply(status, {"detail": detail})


def _schedule(body: dict[str, Any]) -> dict[str, Any]:
    """The schedule fields present in a create or update body, checked."""
    name = p.text(body, "name")
    if name is not None and not name.strip():
        raise PayloadError(422, "Field 'name' must not be empty.")
    fields: dict[str, Any] = {
        "name": name,
        "timezone": p.text(body, "timezone"),
        "sendingDays": p.day_list(body, "sendingDays"),
        "sendingStartHour": p.integer(body, "sendingStartHour", 0, 23),
        "sendingEndHour": p.integer(body, "sendingEndHour", 1, 24),
        "dailyLimit": p.integer(body, "dailyLimit", 1, 10_000),
        "context": p.text(body, "context"),
    }
    return {key: value for key, value in fields.items() if value is not None}


def _check_hours(campaign: dict[str, Any]) -> None:
    if campaign["sendingStartHour"] >= campaign["sendingEndHour"]:
        raise PayloadError(422, "sendingStartHour must be before sendingEndHour.")


def add_campaign_routes(app: FastAPI, store: Store, outreach: OutreachStore) -> None:
    """Mount the campaign and sequence endpoints on a sandbox app."""

    def shown(workspace: str, campaign: dict[str, Any]) -> dict[str, Any]:
        counts = outreach.member_counts(workspace, [campaign["id"]])
        return {**campaign, "totalLeads": counts[campaign["id"]]}

    def found(request: Request, campaign_id: str) -> dict[str, Any]:
        campaign = outreach.get("campaign", request.state.workspace, campaign_id)
        if campaign is None:
            raise PayloadError(404, "Campaign not found.")
        return campaign

    @app.post(CAMPAIGNS)
    async def create_campaign(request: Request) -> Response:
        try:
            body = p.json_object(await request.body())
            p.text(body, "name", required=True)
            fields = _schedule(body)
            campaign = {
                "name": fields["name"],
                "status": "draft",
                "timezone": fields.get("timezone", "UTC"),
                "sendingDays": fields.get("sendingDays", [1, 2, 3, 4, 5]),
                "sendingStartHour": fields.get("sendingStartHour", 9),
                "sendingEndHour": fields.get("sendingEndHour", 17),
                "dailyLimit": fields.get("dailyLimit", 50),
                "context": fields.get("context"),
                **dict.fromkeys(_ZERO_COUNTS, 0),
                "startedAt": None,
                "completedAt": None,
            }
            _check_hours(campaign)
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        stored = outreach.create("campaign", request.state.workspace, campaign)
        return reply(201, {"data": shown(request.state.workspace, stored)})

    @app.get(CAMPAIGNS)
    async def list_campaigns(request: Request) -> Response:
        query = request.query_params
        try:
            page, size = p.paging(query)
            status = query.get("status") or None
            if status is not None and status not in CAMPAIGN_STATUSES:
                raise PayloadError(422, f"status must be one of {', '.join(CAMPAIGN_STATUSES)}.")
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        workspace = request.state.workspace
        items, total = outreach.list_objects(
            "campaign", workspace, page=page, page_size=size, status=status
        )
        counts = outreach.member_counts(workspace, [c["id"] for c in items])
        data = [{**c, "totalLeads": counts[c["id"]]} for c in items]
        return reply(200, {"data": data, "meta": p.page_meta(page, size, total)})

    @app.get(ONE)
    async def get_campaign(campaign_id: str, request: Request) -> Response:
        try:
            campaign = found(request, campaign_id)
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        return reply(200, {"data": shown(request.state.workspace, campaign)})

    @app.patch(ONE)
    async def update_campaign(campaign_id: str, request: Request) -> Response:
        workspace = request.state.workspace
        try:
            campaign = found(request, campaign_id)
            fields = _schedule(p.json_object(await request.body()))
            _check_hours({**campaign, **fields})
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        updated = outreach.update("campaign", workspace, campaign_id, fields)
        assert updated is not None
        return reply(200, {"data": shown(workspace, updated)})

    @app.delete(ONE)
    async def delete_campaign(campaign_id: str, request: Request) -> Response:
        try:
            campaign = found(request, campaign_id)
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        if campaign["status"] != "draft":
            return refuse(400, "Only draft campaigns can be deleted.")
        outreach.delete("campaign", request.state.workspace, campaign_id)
        return reply(200, {"data": {"id": campaign_id, "deleted": True}})

    def transition(request: Request, campaign_id: str, action: str) -> Response:
        workspace = request.state.workspace
        try:
            campaign = found(request, campaign_id)
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        status = campaign["status"]
        changes: dict[str, Any] = {}
        if action == "start":
            if status != "draft":
                return refuse(400, f"Only draft campaigns can be started (this one is {status}).")
            steps = outreach.list_objects("sequence", workspace, parent=campaign_id)[1]
            leads = outreach.member_counts(workspace, [campaign_id])[campaign_id]
            if not steps or not leads:
                return refuse(400, "A campaign needs a sequence step and leads to start.")
            changes = {"status": "active", "startedAt": campaign.get("startedAt") or now_iso()}
        elif action == "pause":
            if status != "active":
                return refuse(400, "Only active campaigns can be paused.")
            changes = {"status": "paused"}
        else:
            if status != "paused":
                return refuse(400, "Only paused campaigns can be resumed.")
            changes = {"status": "active"}
        updated = outreach.update("campaign", workspace, campaign_id, changes)
        assert updated is not None
        return reply(200, {"data": shown(workspace, updated)})

    @app.post(ONE + "/start")
    async def start_campaign(campaign_id: str, request: Request) -> Response:
        return transition(request, campaign_id, "start")

    @app.post(ONE + "/pause")
    async def pause_campaign(campaign_id: str, request: Request) -> Response:
        return transition(request, campaign_id, "pause")

    @app.post(ONE + "/resume")
    async def resume_campaign(campaign_id: str, request: Request) -> Response:
        return transition(request, campaign_id, "resume")

    @app.post(ONE + "/leads")
    async def add_leads(campaign_id: str, request: Request) -> Response:
        workspace = request.state.workspace
        try:
            found(request, campaign_id)
            ids = p.strings(p.json_object(await request.body()), "leadIds", required=True)
            assert ids is not None
            if not 1 <= len(ids) <= MAX_MEMBER_IDS:
                raise PayloadError(422, f"leadIds must hold 1 to {MAX_MEMBER_IDS} ids.")
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        # Only leads of this workspace that are not deleted can be enrolled.
        known = [lead_id for lead_id in ids if store.get_lead(workspace, lead_id) is not None]
        missing = [lead_id for lead_id in dict.fromkeys(ids) if lead_id not in set(known)]
        added, already = outreach.add_members(workspace, campaign_id, "lead", known)
        data = {"added": added, "alreadyInCampaign": already, "notFound": missing}
        return reply(200, {"data": data})

    @app.delete(ONE + "/leads/{lead_id}")
    async def remove_lead(campaign_id: str, lead_id: str, request: Request) -> Response:
        try:
            found(request, campaign_id)
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        if not outreach.remove_member(request.state.workspace, campaign_id, "lead", lead_id):
            return refuse(404, "Lead not found in this campaign.")
        return reply(200, {"data": {"id": lead_id, "removed": True}})

    @app.post(ONE + "/accounts")
    async def add_accounts(campaign_id: str, request: Request) -> Response:
        try:
            found(request, campaign_id)
            ids = p.strings(p.json_object(await request.body()), "accountIds", required=True)
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        # The sandbox has no email accounts to assign.
        return reply(200, {"data": {"added": 0, "notFound": list(dict.fromkeys(ids or []))}})

    @app.delete(ONE + "/accounts/{account_id}")
    async def remove_account(campaign_id: str, account_id: str, request: Request) -> Response:
        try:
            found(request, campaign_id)
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        if not outreach.remove_member(request.state.workspace, campaign_id, "account", account_id):
            return refuse(404, "Account not found in this campaign.")
        return reply(200, {"data": {"id": account_id, "removed": True}})

    _add_sequence_routes(app, outreach, found)


def _add_sequence_routes(app: FastAPI, outreach: OutreachStore, found: Any) -> None:
    steps = ONE + "/sequences"

    def step_fields(body: dict[str, Any]) -> dict[str, Any]:
        fields = {
            "subject": p.text(body, "subject"),
            "body": p.text(body, "body"),
            "delayDays": p.integer(body, "delayDays", 0, 365),
            "stepNumber": p.integer(body, "stepNumber", 1, 100),
            "templateType": p.text(body, "templateType"),
        }
        return {key: value for key, value in fields.items() if value is not None}

    @app.get(steps)
    async def list_steps(campaign_id: str, request: Request) -> Response:
        try:
            found(request, campaign_id)
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        items, _ = outreach.list_objects(
            "sequence", request.state.workspace, parent=campaign_id, page_size=1000
        )
        return reply(200, {"data": sorted(items, key=lambda s: s["stepNumber"])})

    @app.post(steps)
    async def create_step(campaign_id: str, request: Request) -> Response:
        workspace = request.state.workspace
        try:
            found(request, campaign_id)
            body = p.json_object(await request.body())
            p.text(body, "body", required=True)
            fields = step_fields(body)
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        existing, _ = outreach.list_objects(
            "sequence", workspace, parent=campaign_id, page_size=1000
        )
        step = {
            "campaignId": campaign_id,
            "stepNumber": fields.get("stepNumber")
            or 1 + max((s["stepNumber"] for s in existing), default=0),
            "subject": fields.get("subject"),
            "body": fields["body"],
            "delayDays": fields.get("delayDays", 1),
            "templateType": fields.get("templateType", "email"),
        }
        stored = outreach.create("sequence", workspace, step, parent=campaign_id)
        return reply(201, {"data": stored})

    @app.patch(steps + "/{sequence_id}")
    async def update_step(campaign_id: str, sequence_id: str, request: Request) -> Response:
        workspace = request.state.workspace
        try:
            found(request, campaign_id)
            fields = step_fields(p.json_object(await request.body()))
        except PayloadError as exc:
            return refuse(exc.status, exc.detail)
        current = outreach.get("sequence", workspace, sequence_id)
        if current is None or current.get("campaignId") != campaign_id:
            return refuse(404, "Sequence not found.")
        updated = outreach.update("sequence", workspace, sequence_id, fields)
        return reply(200, {"data": updated})

    @app.delete(steps + "/{sequence_id}")
    async def delete_step(campaign_id: str, sequence_id: str, request: Request) -> Response:
        workspace = request.state.workspace
        current = outreach.get("sequence", workspace, sequence_id)
        if current is None or current.get("campaignId") != campaign_id:
            return refuse(404, "Sequence not found.")
        outreach.delete("sequence", workspace, sequence_id)
        return reply(200, {"data": {"id": sequence_id, "deleted": True}})
