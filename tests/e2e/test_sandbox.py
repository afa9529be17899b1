"""The sandbox speaks the FoxReach API as docs/api.md describes it: tested over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from foxreach_cli.sandbox.server import RunningSandbox
from tests.sandbox_fixture import SandboxFactory

LEAD_KEYS = [
    "id",
    "email",
    "firstName",
    "lastName",
    "company",
    "title",
    "phone",
    "linkedinUrl",
    "website",
    "customFields",
    "tags",
    "notes",
    "source",
    "status",
    "lastContactedAt",
    "createdAt",
    "updatedAt",
]
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


@pytest.fixture
def client(sandbox: RunningSandbox, api_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": api_key}) as c:
        yield c


def do_import(client: httpx.Client, leads: list[Any], **extra: Any) -> httpx.Response:
    return client.post("/leads/import", json={"leads": leads, **extra})


def summary(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


def emails(n: int, prefix: str = "lead") -> list[dict[str, str]]:
    return [{"email": f"{prefix}{i}@example.com"} for i in range(n)]


# -- import: counts and response shape ------------------------------------------------------


def test_import_creates_leads_and_reports_the_documented_shape(
    client: httpx.Client, sandbox: RunningSandbox, api_key: str
) -> None:
    resp = do_import(
        client,
        [
            {
                "email": "alex@acme.com",
                "firstName": "Alex",
                "company": "Acme",
                "tags": ["enterprise", "q1-outreach"],
                "customFields": {"industry": "fintech"},
            },
            {"email": "sam@acme.com", "firstName": "Sam", "title": "Head of RevOps"},
        ],
        restoreSoftDeleted=True,
    )
    assert resp.json() == {
        "data": {
            "created": 2,
            "restored": 0,
            "duplicates": 0,
            "errors": 0,
            "duplicateEmails": [],
            "errorDetails": [],
        }
    }
    stored = {lead["email"]: lead for lead in sandbox.store.leads(api_key)}
    assert stored["alex@acme.com"]["tags"] == ["enterprise", "q1-outreach"]
    assert stored["alex@acme.com"]["customFields"] == {"industry": "fintech"}
    assert stored["sam@acme.com"]["title"] == "Head of RevOps"
    assert stored["sam@acme.com"]["source"] == "api"  # documented default
    assert stored["sam@acme.com"]["status"] == "active"  # documented default


def test_listed_lead_has_exactly_the_fields_of_the_create_lead_page(
    client: httpx.Client,
) -> None:
    do_import(client, [{"email": "jane@techcorp.com", "firstName": "Jane", "source": "csv"}])
    body = client.get("/leads").json()
    assert body["meta"] == {"page": 1, "pageSize": 50, "total": 1, "totalPages": 1}
    (lead,) = body["data"]
    assert list(lead) == LEAD_KEYS
    assert lead["id"].startswith("cld_")
    assert lead["firstName"] == "Jane"
    assert lead["source"] == "csv"
    assert lead["phone"] is None
    assert len(lead["createdAt"]) == len("2025-01-15T10:30:00")


@pytest.mark.parametrize(
    ("lead", "reason"),
    [
        ({"email": ""}, "empty email"),
        ({"email": "   "}, "empty email"),
        ({"firstName": "No email"}, "empty email"),
        ({"email": None}, "empty email"),
        ({"email": "not-an-email"}, "invalid email"),
        ({"email": "two@@example.com"}, "invalid email"),
        ({"email": "a b@example.com"}, "invalid email"),
        ({"email": "jane@localhost"}, "invalid email"),
    ],
)
def test_rows_with_empty_or_invalid_email_are_per_row_errors(
    client: httpx.Client, sandbox: RunningSandbox, api_key: str, lead: dict, reason: str
) -> None:
    data = summary(do_import(client, [lead, {"email": "ok@example.com"}]))
    sent = lead.get("email") or ""
    assert (data["created"], data["errors"]) == (1, 1)
    assert data["errorDetails"] == [{"email": sent, "reason": reason}]
    assert [lead["email"] for lead in sandbox.store.leads(api_key)] == ["ok@example.com"]


# -- import: whole-request refusals ---------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1001])
def test_empty_or_oversized_import_is_400_and_stores_nothing(
    client: httpx.Client, sandbox: RunningSandbox, api_key: str, count: int
) -> None:
    resp = do_import(client, emails(count))
    assert resp.status_code == 400
    assert isinstance(resp.json()["detail"], str)
    assert sandbox.store.count_active(api_key) == 0


def test_exactly_1000_leads_is_accepted(client: httpx.Client) -> None:
    assert summary(do_import(client, emails(1000)))["created"] == 1000


def test_malformed_json_is_422(client: httpx.Client) -> None:
    resp = client.post(
        "/leads/import",
        content=b'{"leads": [{"email": "a@b.co"}',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 422
    assert isinstance(resp.json()["detail"], str)


@pytest.mark.parametrize(
    "body",
    [
        {"leads": [{"email": "ok@example.com"}, {"email": 42}]},
        {"leads": [{"email": "ok@example.com"}, {"email": "b@example.com", "phone": 4155550100}]},
        {"leads": [{"email": "ok@example.com"}, {"email": "b@example.com", "customFields": []}]},
        {"leads": [{"email": "ok@example.com"}, {"email": "b@example.com", "tags": "vip"}]},
        {"leads": [{"email": "ok@example.com"}, {"email": "b@example.com", "tags": [1]}]},
        {"leads": [{"email": "ok@example.com"}, {"email": "b@example.com", "status": "lost"}]},
        {"leads": [{"email": "ok@example.com"}, "b@example.com"]},
        {"leads": {"email": "ok@example.com"}},
        {"leads": [{"email": "ok@example.com"}], "restoreSoftDeleted": "yes"},
        {"restoreSoftDeleted": True},
        [{"email": "ok@example.com"}],
    ],
    ids=[
        "email-int",
        "phone-int",
        "customFields-list",
        "tags-string",
        "tags-int-items",
        "status-unknown",
        "lead-not-object",
        "leads-not-list",
        "restore-not-bool",
        "leads-missing",
        "body-not-object",
    ],
)
def test_bad_field_types_refuse_the_whole_request_with_422(
    client: httpx.Client, sandbox: RunningSandbox, api_key: str, body: Any
) -> None:
    resp = client.post("/leads/import", json=body)
    assert resp.status_code == 422
    assert isinstance(resp.json()["detail"], str)
    assert sandbox.store.leads(api_key) == []  # the valid first row was not stored either


# -- import: dedup --------------------------------------------------------------------------


def test_same_email_in_one_request_first_occurrence_wins_case_insensitively(
    client: httpx.Client, sandbox: RunningSandbox, api_key: str
) -> None:
    data = summary(
        do_import(
            client,
            [
                {"email": "Jane@Example.com", "firstName": "First"},
                {"email": "jane@example.com", "firstName": "Second"},
                {"email": "  JANE@EXAMPLE.COM  ", "firstName": "Third"},
                {"email": "other@example.com"},
            ],
        )
    )
    assert (data["created"], data["duplicates"]) == (2, 2)
    assert data["duplicateEmails"] == ["jane@example.com", "JANE@EXAMPLE.COM"]
    leads = sandbox.store.leads(api_key)
    assert [(x["email"], x["firstName"]) for x in leads] == [
        ("Jane@Example.com", "First"),
        ("other@example.com", None),
    ]


def test_invalid_first_occurrence_does_not_shadow_a_later_valid_row(
    client: httpx.Client,
) -> None:
    data = summary(do_import(client, [{"email": "a b@x.com"}, {"email": "ab@x.com"}]))
    assert (data["created"], data["errors"], data["duplicates"]) == (1, 1, 0)


def test_emails_already_stored_are_duplicates_in_a_later_request(
    client: httpx.Client, sandbox: RunningSandbox, api_key: str
) -> None:
    summary(do_import(client, emails(3)))
    data = summary(do_import(client, [{"email": "LEAD1@example.com"}, {"email": "new@x.com"}]))
    assert (data["created"], data["duplicates"]) == (1, 1)
    assert data["duplicateEmails"] == ["LEAD1@example.com"]
    assert sandbox.store.count_active(api_key) == 4


def test_duplicate_and_error_lists_hold_only_the_first_100(client: httpx.Client) -> None:
    summary(do_import(client, emails(150, "dup")))
    rows = emails(150, "dup") + [{"email": f"bad{i}"} for i in range(130)]
    data = summary(do_import(client, rows))
    assert (data["duplicates"], data["errors"]) == (150, 130)
    assert data["duplicateEmails"] == [f"dup{i}@example.com" for i in range(100)]
    assert data["errorDetails"] == [
        {"email": f"bad{i}", "reason": "invalid email"} for i in range(100)
    ]


# -- import: soft delete and restore --------------------------------------------------------


def _create_and_delete(client: httpx.Client, lead: dict[str, Any]) -> str:
    summary(do_import(client, [lead]))
    (found,) = client.get("/leads", params={"email": lead["email"]}).json()["data"]
    assert client.delete(f"/leads/{found['id']}").json() == {
        "data": {"id": found["id"], "deleted": True}
    }
    return found["id"]


def test_deleted_lead_is_restored_and_merged_by_default(
    client: httpx.Client, sandbox: RunningSandbox, api_key: str
) -> None:
    lead_id = _create_and_delete(
        client,
        {
            "email": "kim@corp.com",
            "firstName": "Kim",
            "company": "Corp",
            "tags": ["old"],
            "customFields": {"industry": "retail", "size": "10"},
        },
    )
    data = summary(
        do_import(
            client,
            [
                {
                    "email": "KIM@corp.com",
                    "company": "NewCorp",
                    "tags": ["new", "old"],
                    "customFields": {"size": "20"},
                }
            ],
        )
    )
    assert (data["created"], data["restored"], data["duplicates"]) == (0, 1, 0)
    (lead,) = sandbox.store.leads(api_key)
    assert lead["id"] == lead_id
    assert lead["deletedAt"] is None
    assert lead["firstName"] == "Kim"  # absent from the payload: kept
    assert lead["company"] == "NewCorp"  # present: overwritten
    assert lead["tags"] == ["old", "new"]  # union
    assert lead["customFields"] == {"industry": "retail", "size": "20"}  # merged key-wise
    assert client.get(f"/leads/{lead_id}").status_code == 200


def test_deleted_lead_counts_as_duplicate_when_restore_is_false(
    client: httpx.Client, sandbox: RunningSandbox, api_key: str
) -> None:
    lead_id = _create_and_delete(client, {"email": "kim@corp.com"})
    data = summary(do_import(client, [{"email": "kim@corp.com"}], restoreSoftDeleted=False))
    assert (data["created"], data["restored"], data["duplicates"]) == (0, 0, 1)
    assert data["duplicateEmails"] == ["kim@corp.com"]
    (lead,) = sandbox.store.leads(api_key)
    assert lead["deletedAt"] is not None
    assert client.get(f"/leads/{lead_id}").status_code == 404


# -- plan contact limit (402) ---------------------------------------------------------------


def test_import_past_the_contact_limit_is_402_and_stores_nothing(
    sandbox_factory: SandboxFactory, api_key: str
) -> None:
    sb = sandbox_factory(contact_limit=5)
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": api_key}) as c:
        assert summary(do_import(c, emails(3)))["created"] == 3
        resp = do_import(c, emails(3, "more"))
        assert resp.status_code == 402
        assert isinstance(resp.json()["detail"], str)
        assert sb.store.count_active(api_key) == 3
        # Duplicates do not count toward the limit; exactly reaching it is allowed.
        data = summary(do_import(c, emails(3) + emails(2, "more")))
        assert (data["created"], data["duplicates"]) == (2, 3)
        assert sb.store.count_active(api_key) == 5


def test_restored_leads_count_toward_the_contact_limit(
    sandbox_factory: SandboxFactory, api_key: str
) -> None:
    sb = sandbox_factory(contact_limit=2)
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": api_key}) as c:
        _create_and_delete(c, {"email": "gone@x.com"})
        summary(do_import(c, emails(2)))
        assert do_import(c, [{"email": "gone@x.com"}]).status_code == 402
        assert [x["deletedAt"] is None for x in sb.store.leads(api_key)] == [False, True, True]
        # ...but not when they would only be counted as duplicates.
        data = summary(do_import(c, [{"email": "gone@x.com"}], restoreSoftDeleted=False))
        assert data["duplicates"] == 1


def test_contact_limit_is_per_workspace(sandbox_factory: SandboxFactory, api_key: str) -> None:
    sb = sandbox_factory(contact_limit=2)
    for key in (f"{api_key}_one", f"{api_key}_two"):
        with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": key}) as c:
            assert summary(do_import(c, emails(2)))["created"] == 2


# -- authentication and workspaces ----------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "sk_live_123"}, {"X-API-Key": ""}])
def test_missing_or_malformed_key_is_403_without_rate_headers(
    sandbox: RunningSandbox, headers: dict[str, str]
) -> None:
    resp = httpx.post(
        f"{sandbox.base_url}/leads/import", json={"leads": emails(1)}, headers=headers
    )
    assert resp.status_code == 403
    assert isinstance(resp.json()["detail"], str)
    assert not any(h in resp.headers for h in RATE_HEADERS)


def test_revoked_key_is_403_from_then_on(
    client: httpx.Client, sandbox: RunningSandbox, api_key: str
) -> None:
    assert summary(do_import(client, emails(1)))["created"] == 1
    sandbox.revoke(api_key)
    resp = do_import(client, emails(2, "after"))
    assert resp.status_code == 403
    assert all(h in resp.headers for h in RATE_HEADERS)
    assert sandbox.store.count_active(api_key) == 1
    sandbox.unrevoke(api_key)
    assert client.get("/leads").status_code == 200


def test_each_key_is_its_own_workspace(sandbox: RunningSandbox, api_key: str) -> None:
    a = httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": f"{api_key}_alpha"})
    b = httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": f"{api_key}_beta"})
    with a, b:
        assert summary(do_import(a, [{"email": "shared@x.com"}]))["created"] == 1
        assert summary(do_import(b, [{"email": "shared@x.com"}]))["created"] == 1  # not a dup
        (lead_a,) = a.get("/leads").json()["data"]
        assert b.get("/leads").json()["meta"]["total"] == 1
        assert b.get(f"/leads/{lead_a['id']}").status_code == 404
        assert b.delete(f"/leads/{lead_a['id']}").status_code == 404
        assert a.get(f"/leads/{lead_a['id']}").status_code == 200


def test_the_api_key_itself_is_never_stored(sandbox_factory: SandboxFactory, tmp_path: Any) -> None:
    db = tmp_path / "keys.db"
    sb = sandbox_factory(db=str(db))
    key = "otr_very_secret_key_material"
    httpx.post(f"{sb.base_url}/leads/import", json={"leads": emails(1)}, headers={"X-API-Key": key})
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("keys.db*"))
    assert b"very_secret" not in raw
    assert sb.store.count_active(key) == 1


# -- single-lead endpoints ------------------------------------------------------------------


def test_create_get_delete_single_lead(client: httpx.Client) -> None:
    resp = client.post(
        "/leads",
        json={
            "email": "jane@techcorp.com",
            "firstName": "Jane",
            "customFields": {"industry": "FinTech"},
        },
    )
    assert resp.status_code == 201
    lead = resp.json()["data"]
    assert list(lead) == LEAD_KEYS
    assert (lead["email"], lead["firstName"], lead["source"]) == (
        "jane@techcorp.com",
        "Jane",
        "api",
    )
    assert client.get(f"/leads/{lead['id']}").json() == {"data": lead}
    assert client.post("/leads", json={"email": "JANE@techcorp.com"}).status_code == 409
    assert client.delete(f"/leads/{lead['id']}").status_code == 200
    assert client.get(f"/leads/{lead['id']}").status_code == 404
    assert client.delete(f"/leads/{lead['id']}").status_code == 404
    assert client.get("/leads").json()["data"] == []


@pytest.mark.parametrize(
    "body", [{"email": "nope"}, {"firstName": "x"}, {"email": ""}, {"email": 1}, "x"]
)
def test_create_lead_with_bad_body_is_422(client: httpx.Client, body: Any) -> None:
    resp = client.post("/leads", json=body)
    assert resp.status_code == 422
    assert isinstance(resp.json()["detail"], str)


def test_unknown_lead_is_404_with_detail(client: httpx.Client) -> None:
    resp = client.get("/leads/cld_doesnotexist")
    assert resp.status_code == 404
    assert isinstance(resp.json()["detail"], str)


# -- listing --------------------------------------------------------------------------------


def test_list_pages_and_filters(client: httpx.Client) -> None:
    leads = [
        {"email": f"p{i}@example.com", "status": "bounced" if i % 3 == 0 else "active"}
        for i in range(7)
    ]
    leads.append({"email": "Needle@Haystack.io", "company": "Findme Inc", "tags": ["vip"]})
    summary(do_import(client, leads))

    page = client.get("/leads", params={"page": 2, "pageSize": 3}).json()
    assert page["meta"] == {"page": 2, "pageSize": 3, "total": 8, "totalPages": 3}
    assert [x["email"] for x in page["data"]] == [
        "p3@example.com",
        "p4@example.com",
        "p5@example.com",
    ]

    def only(**params: Any) -> list[str]:
        return [x["email"] for x in client.get("/leads", params=params).json()["data"]]

    assert only(status="bounced") == ["p0@example.com", "p3@example.com", "p6@example.com"]
    assert only(email="needle@haystack.IO") == ["Needle@Haystack.io"]
    assert only(email="needle@haystack") == []  # exact, not substring
    assert only(search="findme") == ["Needle@Haystack.io"]
    assert only(search="P1@") == ["p1@example.com"]
    assert only(tags="vip,other") == ["Needle@Haystack.io"]


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "x"}, {"pageSize": "101"}])
def test_bad_paging_parameters_are_422(client: httpx.Client, params: dict[str, str]) -> None:
    assert client.get("/leads", params=params).status_code == 422


# -- official SDK ---------------------------------------------------------------------------


def test_official_foxreach_sdk_creates_gets_lists_and_deletes(
    sandbox: RunningSandbox, api_key: str
) -> None:
    from foxreach import FoxReach
    from foxreach.types import LeadCreate

    with FoxReach(api_key=api_key, base_url=sandbox.base_url, max_retries=0) as fox:
        created = fox.leads.create(
            LeadCreate(
                email="sdk@example.com",
                first_name="Sue",
                company="SDK Corp",
                linkedin_url="https://linkedin.com/in/sue",
                tags=["sdk"],
            )
        )
        assert created.id.startswith("cld_")
        assert (created.first_name, created.linkedin_url) == ("Sue", "https://linkedin.com/in/sue")
        assert fox.leads.get(created.id).email == "sdk@example.com"
        page = fox.leads.list(search="sdk corp")
        assert [lead.id for lead in page] == [created.id]
        assert page.meta.total == 1 and not page.has_next_page()
        fox.leads.delete(created.id)
        assert list(fox.leads.list()) == []
    (stored,) = sandbox.store.leads(api_key)
    assert stored["deletedAt"] is not None


def test_request_bodies_are_parsed_as_json_regardless_of_content_type(
    client: httpx.Client,
) -> None:
    body = json.dumps({"leads": emails(1)}).encode()
    resp = client.post("/leads/import", content=body, headers={"Content-Type": "text/plain"})
    assert summary(resp)["created"] == 1


def test_leads_survive_a_restart_on_the_same_database_file(tmp_path: Any) -> None:
    from foxreach_cli.sandbox.config import SandboxConfig
    from foxreach_cli.sandbox.server import run_in_thread

    config = SandboxConfig(db=str(tmp_path / "persist.db"))
    key = {"X-API-Key": "otr_p"}
    with run_in_thread(config) as first, httpx.Client(base_url=first.base_url, headers=key) as c:
        assert summary(do_import(c, emails(3)))["created"] == 3
        (lead,) = c.get("/leads", params={"email": "lead0@example.com"}).json()["data"]
        c.delete(f"/leads/{lead['id']}")
    with run_in_thread(config) as second, httpx.Client(base_url=second.base_url, headers=key) as c:
        data = summary(do_import(c, emails(4)))
        assert (data["created"], data["restored"], data["duplicates"]) == (1, 1, 2)
        assert c.get(f"/leads/{lead['id']}").status_code == 200
