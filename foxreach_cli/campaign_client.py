"""The requests of ``import --campaign``: read a campaign, list leads (by tag or email), add
leads to a campaign. Same connection, key handling and error translation as the import client
(:class:`client.FoxReachClient`), whose subclass this is; each request reports its
``X-RateLimit-*`` headers so the shared rate budget learns from it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from .client import FoxReachClient
from .errors import ApiError, FoxReachImportError, rate_of
from .rate_budget import RateInfo

#: Leads per page when listing (the API's maximum, docs/api.md) and ids per enrollment call.
PAGE_SIZE = 100


@dataclass(frozen=True)
class Answer:
    """A 2xx answer: its JSON body and its rate-limit headers."""

    body: dict[str, Any]
    rate: RateInfo | None


class CampaignClient(FoxReachClient):
    """:class:`FoxReachClient` with the campaign-side requests."""

    def get_campaign(self, campaign_id: str) -> Answer:
        """``GET /campaigns/{id}`` (404 raises ``ApiError`` with status 404)."""
        return self._call("GET", f"/campaigns/{campaign_id}")

    def list_leads(self, *, page: int = 1, **filters: str) -> Answer:
        """One page (100 leads) of ``GET /leads`` with the given filters (``tags``, ``email``)."""
        params = {"page": str(page), "pageSize": str(PAGE_SIZE), **filters}
        return self._call("GET", "/leads", params=params)

    def add_campaign_leads(self, campaign_id: str, lead_ids: list[str]) -> Answer:
        """``POST /campaigns/{id}/leads`` with ``{"leadIds": [...]}``."""
        return self._call("POST", f"/campaigns/{campaign_id}/leads", body={"leadIds": lead_ids})

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Answer:
        content = json.dumps(body).encode() if body is not None else None
        try:
            response = self._http.request(method, path, params=params, content=content)
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        rate = RateInfo.from_headers(response.headers)
        try:
            if not 200 <= response.status_code < 300:
                raise self._status_error(response)
            try:
                data = response.json() if response.content else {}
            except (json.JSONDecodeError, UnicodeDecodeError):
                data = None
            if not isinstance(data, dict):
                raise ApiError(
                    f"The server at {self.base_url} answered {method} {path} with something "
                    "that is not a JSON object.",
                    status=response.status_code,
                )
            return Answer(data, rate)
        except FoxReachImportError as exc:
            exc.rate = rate  # type: ignore[attr-defined]
            raise


__all__ = ["PAGE_SIZE", "Answer", "CampaignClient", "rate_of"]
