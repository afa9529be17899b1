"""The sandbox's ``GET /leads?email=`` and ``PATCH /leads/{id}`` as API.md describes them,
over real HTTP (the importer's opt-out updates rely on both)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from foxreach_cli.sandbox.server import RunningSandbox


@pytest.fixture
def client(sandbox: RunningSandbox, api_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": api_key}) as c:
        yield c


def create(client: httpx.Client, **lead: Any) -> dict[str, Any]:
    resp = client.post("/leads", json=lead)
    assert resp.status_code == 201, resp.text
    return resp.json()["data"]


def test_the_email_filter_is_exact_and_case_insensitive(client: httpx.Client) -> None:
    ann = create(client, email="Ann@X.example.com", firstName="Ann")
    create(client, email="anna@x.example.com")
    create(client, email="x-ann@x.example.com")
    resp = client.get("/leads", params={"email": "ann@x.EXAMPLE.com"})
    assert resp.status_code == 200
    body = resp.json()
    assert [lead["id"] for lead in body["data"]] == [ann["id"]]
    assert body["meta"]["total"] == 1
    assert client.get("/leads", params={"email": "nobody@x.example.com"}).json()["data"] == []


def test_patch_sets_the_given_fields_and_answers_the_lead(client: httpx.Client) -> None:
    lead = create(client, email="bo@x.example.com", firstName="Bo", customFields={"Stage": "Lead"})
    resp = client.patch(f"/leads/{lead['id']}", json={"status": "unsubscribed", "notes": None})
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    assert (data["id"], data["status"], data["firstName"]) == (lead["id"], "unsubscribed", "Bo")
    assert data["customFields"] == {"Stage": "Lead"}  # not given: unchanged
    assert "X-RateLimit-Remaining" in resp.headers
    stored = client.get(f"/leads/{lead['id']}").json()["data"]
    assert stored["status"] == "unsubscribed"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "gone"}, 422),
        ({"status": 3}, 422),
        ({"tags": "a"}, 422),
        ({"email": "not an email"}, 422),
        ([1], 422),
    ],
)
def test_patch_refuses_bad_fields_with_422(client: httpx.Client, body: Any, status: int) -> None:
    lead = create(client, email="cy@x.example.com")
    resp = client.patch(f"/leads/{lead['id']}", json=body)
    assert resp.status_code == status
    assert "detail" in resp.json()


def test_patch_of_an_unknown_or_deleted_lead_is_404_and_another_leads_email_409(
    client: httpx.Client,
) -> None:
    a = create(client, email="a@x.example.com")
    b = create(client, email="b@x.example.com")
    assert client.patch("/leads/cld_nope", json={"status": "bounced"}).status_code == 404
    resp = client.patch(f"/leads/{a['id']}", json={"email": "B@x.example.com"})
    assert resp.status_code == 409
    assert client.delete(f"/leads/{b['id']}").status_code == 200
    assert client.patch(f"/leads/{b['id']}", json={"status": "bounced"}).status_code == 404


def test_patch_needs_a_valid_key(sandbox: RunningSandbox, client: httpx.Client) -> None:
    lead = create(client, email="d@x.example.com")
    resp = httpx.patch(f"{sandbox.base_url}/leads/{lead['id']}", json={"status": "bounced"})
    assert resp.status_code == 403
