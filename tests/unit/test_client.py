"""The HTTP boundary: exact exchanges of POST /leads/import and the error each outcome becomes."""

from __future__ import annotations

import json
import ssl
import time
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

import foxreach_cli
import foxreach_cli.client as client_module
from foxreach_cli.client import (
    FoxReachClient,
    ImportResponse,
    check_base_url,
)
from foxreach_cli.credentials import mask_key
from foxreach_cli.errors import (
    ApiError,
    AuthError,
    FoxReachImportError,
    PlanLimitError,
    RequestRejectedError,
    TransientError,
    UsageError,
    rate_of,
    round_trip_of,
)
from foxreach_cli.rate_budget import RateInfo

BASE = "https://api.foxreach.io/api/v1"
URL = f"{BASE}/leads/import"
KEY = "otr_live_5f2c9e1d7a3b4c8e9f0a3f9a"
RATE_HEADERS = {
    "X-RateLimit-Limit": "100",
    "X-RateLimit-Remaining": "42",
    "X-RateLimit-Reset": "1706140920",
}


def ok_body(**data: Any) -> dict[str, Any]:
    base = {
        "created": 0,
        "restored": 0,
        "duplicates": 0,
        "errors": 0,
        "duplicateEmails": [],
        "errorDetails": [],
    }
    return {"data": base | data}


@pytest.fixture
def client() -> FoxReachClient:
    with FoxReachClient(BASE, KEY) as c:
        yield c


def assert_key_hidden(exc: BaseException) -> None:
    """Neither the key nor most of it appears in anything an exception can show."""
    shown = [str(exc), repr(exc), *map(str, exc.args), str(getattr(exc, "hint", ""))]
    for text in shown:
        assert KEY not in text
        assert KEY[4:20] not in text


# -- the request ------------------------------------------------------------------------------


def test_request_carries_headers_and_exact_body(
    client: FoxReachClient, httpx_mock: HTTPXMock
) -> None:
    leads = [
        {
            "email": "alex@acme.com",
            "firstName": "Alex",
            "linkedinUrl": "https://linkedin.com/in/alex",
            "tags": ["enterprise", "q1-outreach"],
            # customFields keys are the user's data: spaces, case and punctuation kept.
            "customFields": {"Company Size (employees)": "51-200", "deal_stage": "MQL", "ÄÖ": "ü"},
        },
        {"email": "sam@example.org", "title": "Head of RevOps"},
    ]
    httpx_mock.add_response(url=URL, method="POST", json=ok_body(created=2))

    client.import_leads(leads, restore=False)

    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["X-API-Key"] == KEY
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == (
        f"foxreach-import/{foxreach_cli.__version__} (+python-httpx)"
    )
    assert json.loads(request.content) == {"leads": leads, "restoreSoftDeleted": False}
    assert set(json.loads(request.content)) == {"leads", "restoreSoftDeleted"}


def test_restore_defaults_to_true(client: FoxReachClient, httpx_mock: HTTPXMock) -> None:
    leads = [{"email": "a@b.co"}]
    httpx_mock.add_response(
        url=URL, match_json={"leads": leads, "restoreSoftDeleted": True}, json=ok_body(created=1)
    )
    assert client.import_leads(leads).data["created"] == 1


@pytest.mark.parametrize("size", [1, 1000])
def test_batch_sizes_the_api_accepts_are_sent(
    client: FoxReachClient, httpx_mock: HTTPXMock, size: int
) -> None:
    httpx_mock.add_response(url=URL, json=ok_body(created=size))
    client.import_leads([{"email": f"u{i}@x.io"} for i in range(size)])
    request = httpx_mock.get_request()
    assert request is not None
    assert len(json.loads(request.content)["leads"]) == size


@pytest.mark.parametrize("size", [0, 1001])
def test_batch_sizes_the_api_refuses_are_never_sent(client: FoxReachClient, size: int) -> None:
    # No httpx_mock response registered: a request would fail the test.
    with pytest.raises(ValueError) as info:
        client.import_leads([{"email": f"u{i}@x.io"} for i in range(size)])
    assert str(info.value) == f"an import request carries 1 to 1000 leads, got {size}"


# -- 200 ---------------------------------------------------------------------------------------


def test_200_returns_data_and_rate_headers(client: FoxReachClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, json=ok_body(created=3, duplicates=1), headers=RATE_HEADERS)
    response = client.import_leads([{"email": f"u{i}@x.io"} for i in range(4)])
    assert isinstance(response, ImportResponse)
    assert response.data["created"] == 3
    assert response.rate == RateInfo(limit=100, remaining=42, reset=1706140920.0)


def test_more_than_100_duplicates_pass_through_untouched(
    client: FoxReachClient, httpx_mock: HTTPXMock
) -> None:
    # The server counts 150 duplicates but lists only the first 100: nothing is invented.
    listed = [f"dup{i}@x.io" for i in range(100)]
    body = ok_body(
        created=850,
        duplicates=150,
        duplicateEmails=listed,
        errors=0,
        extraField={"kept": True},
    )
    httpx_mock.add_response(url=URL, json=body)
    response = client.import_leads([{"email": f"u{i}@x.io"} for i in range(1000)])
    assert response.data == body["data"]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"<html>Welcome to nginx</html>", "it is not a JSON object with a 'data' object"),
        (b'{"created": 1}', "it is not a JSON object with a 'data' object"),
        (
            b'{"data": {"created": "1", "restored": 0, "duplicates": 0, "errors": 0}}',
            "'data.created' is missing or not a count",
        ),
        (
            b'{"data": {"created": 1, "restored": 0, "duplicates": 0}}',
            "'data.errors' is missing or not a count",
        ),
        (
            b'{"data": {"created": 1, "restored": 0, "duplicates": 0, "errors": 0, '
            b'"duplicateEmails": "x"}}',
            "'data.duplicateEmails' is not a list",
        ),
    ],
)
def test_200_with_undocumented_body_is_an_api_error(
    client: FoxReachClient, httpx_mock: HTTPXMock, content: bytes, why: str
) -> None:
    httpx_mock.add_response(url=URL, content=content)
    with pytest.raises(ApiError) as info:
        client.import_leads([{"email": "a@b.co"}])
    assert not isinstance(info.value, TransientError)
    assert str(info.value) == (
        f"The server at {BASE} answered 200, but not with an import result ({why}); some leads "
        "may have been imported. Check --base-url / FOXREACH_BASE_URL (it ends in /api/v1)."
    )


# -- statuses ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_auth_refusal_names_the_fix_and_never_the_key(
    client: FoxReachClient, httpx_mock: HTTPXMock, status: int
) -> None:
    # A careless server echoing the key must not make us print it.
    httpx_mock.add_response(
        url=URL,
        status_code=status,
        json={"detail": f"Invalid API key {KEY}"},
        headers=RATE_HEADERS,
    )
    with pytest.raises(AuthError) as info:
        client.import_leads([{"email": "a@b.co"}])
    exc = info.value
    assert exc.status == status
    masked = mask_key(KEY)
    assert str(exc) == (
        f"The API key {masked} was refused ({status}): Invalid API key {masked}. "
        "Check FOXREACH_API_KEY (or --api-key) and that the key has the write scope."
    )
    assert_key_hidden(exc)
    assert rate_of(exc) == RateInfo(100, 42, 1706140920.0)


def test_402_is_a_plan_limit_error(client: FoxReachClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=402, json={"detail": "Plan contact limit"})
    with pytest.raises(PlanLimitError) as info:
        client.import_leads([{"email": "a@b.co"}])
    assert info.value.status == 402
    assert str(info.value) == (
        "The workspace's plan contact limit would be exceeded (402): Plan contact limit. "
        "Raise the plan's limit or remove leads, then re-import the rows not sent."
    )


def test_422_carries_the_servers_detail(client: FoxReachClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=422, json={"detail": "tags must be a list"})
    with pytest.raises(RequestRejectedError) as info:
        client.import_leads([{"email": "a@b.co", "tags": "x"}])
    assert info.value.message == "tags must be a list"


def test_422_fastapi_list_detail_is_readable(client: FoxReachClient, httpx_mock: HTTPXMock) -> None:
    detail = [{"loc": ["body", "leads", 0, "phone"], "msg": "Input should be a valid string"}]
    httpx_mock.add_response(url=URL, status_code=422, json={"detail": detail})
    with pytest.raises(RequestRejectedError) as info:
        client.import_leads([{"email": "a@b.co", "phone": 4155550100}])
    assert info.value.message == "phone: Input should be a valid string"


def test_400_is_a_bug_not_a_transient_failure(
    client: FoxReachClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=URL, status_code=400, json={"detail": "empty array"})
    with pytest.raises(ApiError) as info:
        client.import_leads([{"email": "a@b.co"}])
    assert type(info.value) is ApiError
    assert info.value.status == 400
    assert str(info.value) == (
        "The server refused the request as malformed (400): empty array. "
        "This is a bug in foxreach; please report it."
    )


def test_404_hints_at_the_base_url(client: FoxReachClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=404, json={"detail": "Not Found"})
    with pytest.raises(ApiError) as info:
        client.import_leads([{"email": "a@b.co"}])
    assert type(info.value) is ApiError
    assert str(info.value) == (
        "The server answered 404: Not Found. Check --base-url / FOXREACH_BASE_URL "
        "(it ends in /api/v1)."
    )


def test_429_waits_retry_after(client: FoxReachClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=URL,
        status_code=429,
        headers={**RATE_HEADERS, "X-RateLimit-Remaining": "0", "Retry-After": "17"},
        json={"error": "Rate limit exceeded", "code": "rate_limit_exceeded", "details": {}},
    )
    with pytest.raises(TransientError) as info:
        client.import_leads([{"email": "a@b.co"}])
    exc = info.value
    assert (exc.status, exc.retry_after, exc.ambiguous) == (429, 17.0, False)
    assert rate_of(exc) == RateInfo(100, 0, 1706140920.0)


def test_429_without_retry_after_uses_the_body_reset(
    client: FoxReachClient, httpx_mock: HTTPXMock
) -> None:
    reset = int(time.time()) + 30
    httpx_mock.add_response(
        url=URL,
        status_code=429,
        json={
            "error": "Rate limit exceeded",
            "code": "rate_limit_exceeded",
            "details": {"limit": 100, "reset": reset},
        },
    )
    with pytest.raises(TransientError) as info:
        client.import_leads([{"email": "a@b.co"}])
    assert info.value.retry_after is not None
    assert 27 <= info.value.retry_after <= 30


def test_429_without_retry_after_or_body_uses_the_reset_header(
    client: FoxReachClient, httpx_mock: HTTPXMock
) -> None:
    reset = int(time.time()) + 12
    httpx_mock.add_response(
        url=URL, status_code=429, headers={"X-RateLimit-Reset": str(reset)}, text="slow down"
    )
    with pytest.raises(TransientError) as info:
        client.import_leads([{"email": "a@b.co"}])
    assert info.value.retry_after is not None
    assert 9 <= info.value.retry_after <= 12


@pytest.mark.parametrize(
    ("status", "ambiguous"), [(500, False), (503, False), (502, True), (504, True)]
)
def test_5xx_is_transient(
    client: FoxReachClient, httpx_mock: HTTPXMock, status: int, ambiguous: bool
) -> None:
    httpx_mock.add_response(url=URL, status_code=status, text="Internal Server Error")
    with pytest.raises(TransientError) as info:
        client.import_leads([{"email": "a@b.co"}])
    assert info.value.status == status
    assert info.value.ambiguous is ambiguous


@pytest.mark.parametrize(
    ("exception", "ambiguous"),
    [
        (httpx.ConnectError("Connection refused"), False),
        (httpx.ConnectTimeout("timed out"), False),
        (httpx.PoolTimeout("no connection free"), False),
        (httpx.ReadTimeout("timed out"), True),
        (httpx.WriteTimeout("timed out"), True),
        (httpx.ReadError("connection reset"), True),
        (httpx.WriteError("broken pipe"), True),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), True),
    ],
)
def test_network_failures_are_transient_and_say_whether_sent(
    client: FoxReachClient, httpx_mock: HTTPXMock, exception: Exception, ambiguous: bool
) -> None:
    httpx_mock.add_exception(exception, url=URL)
    with pytest.raises(TransientError) as info:
        client.import_leads([{"email": "a@b.co"}])
    assert info.value.ambiguous is ambiguous
    assert info.value.status is None
    assert rate_of(info.value) is None
    assert round_trip_of(info.value) is None  # no answer: the budget keys on the failure
    assert_key_hidden(info.value)


# -- the round trip the rate budget keys on ----------------------------------------------------


class _Clock:
    """Stands in for the client module's ``time``: ``monotonic()`` moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return time.time()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(client_module, "time", fake)
    return fake


class _SlowConnectTransport(httpx.BaseTransport):
    """Takes ``connect`` seconds (a handshake), then reports the request on the wire as httpcore
    does and answers ``serve`` seconds later with ``status``."""

    def __init__(self, clock: _Clock, connect: float, serve: float, status: int = 200) -> None:
        self.clock, self.connect, self.serve, self.status = clock, connect, serve, status

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.clock.now += self.connect
        request.extensions["trace"]("http11.send_request_headers.started", {"request": request})
        self.clock.now += self.serve
        body = {"data": ok_body(created=1)["data"]} if self.status == 200 else {"detail": "no"}
        return httpx.Response(self.status, json=body)


@pytest.mark.parametrize("status", [200, 500])
def test_round_trip_is_timed_from_the_first_byte_on_the_wire(clock: _Clock, status: int) -> None:
    # The connection's handshake happens before the server can count the request: left out.
    transport = _SlowConnectTransport(clock, connect=0.3, serve=0.05, status=status)
    with FoxReachClient(BASE, KEY, transport=transport) as slow:
        if status == 200:
            round_trip = slow.import_leads([{"email": "a@b.co"}]).round_trip
        else:
            with pytest.raises(TransientError) as info:
                slow.import_leads([{"email": "a@b.co"}])
            round_trip = round_trip_of(info.value)
    assert round_trip == pytest.approx(0.05)


def test_round_trip_without_a_trace_covers_the_whole_call(
    clock: _Clock, client: FoxReachClient, httpx_mock: HTTPXMock
) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += 0.05
        return httpx.Response(200, json=ok_body(created=1))

    httpx_mock.add_callback(slow, url=URL)
    assert client.import_leads([{"email": "a@b.co"}]).round_trip == pytest.approx(0.05)


# -- the key never shows -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422, 429, 500, 502])
def test_key_absent_from_every_error(
    client: FoxReachClient, httpx_mock: HTTPXMock, status: int
) -> None:
    httpx_mock.add_response(url=URL, status_code=status, json={"detail": f"bad key {KEY}"})
    with pytest.raises(FoxReachImportError) as info:
        client.import_leads([{"email": "a@b.co"}])
    assert_key_hidden(info.value)


def test_client_repr_masks_the_key(client: FoxReachClient) -> None:
    assert KEY not in repr(client)
    assert "otr_…3f9a" in repr(client)


@pytest.mark.parametrize("key", ["", "   ", "otr_abc def", "otr_clé"])
def test_unusable_keys_are_refused_without_showing_them(key: str) -> None:
    with pytest.raises(UsageError) as info:
        FoxReachClient(BASE, key)
    if key.strip():
        assert key.strip() not in str(info.value)


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        (KEY, "otr_…3f9a"),
        ("otr_short", "otr_…"),
        ("abcdefghijklmnopqrstuvwxyz", "…wxyz"),
        ("", "(no key)"),
    ],
)
def test_mask_key(key: str, shown: str) -> None:
    assert mask_key(key) == shown


# -- base URL ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://api.foxreach.io/api/v1/", "https://api.foxreach.io/api/v1"),
        ("https://api.foxreach.io/api/v1", "https://api.foxreach.io/api/v1"),
        ("http://127.0.0.1:8765/api/v1/", "http://127.0.0.1:8765/api/v1"),
        ("http://127.5.0.3/api/v1", "http://127.5.0.3/api/v1"),
        ("http://localhost:8000/api/v1", "http://localhost:8000/api/v1"),
        ("http://[::1]:8000/api/v1", "http://[::1]:8000/api/v1"),
    ],
)
def test_base_url_accepted(url: str, normalised: str) -> None:
    assert check_base_url(url) == normalised


@pytest.mark.parametrize(
    ("url", "trusts_cas"),
    [("https://api.foxreach.io/api/v1", True), ("http://127.0.0.1:8765/api/v1", False)],
)
def test_tls_verifies_against_the_ca_bundle_only_where_tls_is_spoken(
    url: str, trusts_cas: bool
) -> None:
    # httpx internals: the pool's SSL context is the one every TLS handshake would use.
    with FoxReachClient(url, KEY) as client:
        ctx = client._http._transport._pool._ssl_context  # type: ignore[attr-defined]
    # Verification stays on either way; a plain-http client skips loading the CA bundle, so
    # a handshake it should never attempt would fail instead of trusting anything.
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert (ctx.cert_store_stats()["x509_ca"] > 0) is trusts_cas


@pytest.mark.parametrize(
    "url",
    [
        "http://api.foxreach.io/api/v1",
        "http://10.0.0.5/api/v1",
        "http://localhost.evil.com/api/v1",
        "http://128.0.0.1/api/v1",
        "ftp://api.foxreach.io/api/v1",
        "api.foxreach.io/api/v1",
        "https://user:pw@api.foxreach.io/api/v1",
    ],
)
def test_base_url_refused(url: str) -> None:
    with pytest.raises(UsageError):
        check_base_url(url)


def test_plain_http_refusal_explains_why() -> None:
    with pytest.raises(UsageError) as info:
        FoxReachClient("http://api.foxreach.io/api/v1", KEY)
    assert str(info.value) == (
        "Refusing plain http:// to api.foxreach.io: the API key would travel unencrypted. "
        "Use https:// (plain http is allowed only for localhost)."
    )


def test_loopback_http_client_talks_to_the_path_under_the_base(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url="http://127.0.0.1:9/api/v1/leads/import", json=ok_body(created=1))
    with FoxReachClient("http://127.0.0.1:9/api/v1/", KEY) as c:
        assert c.import_leads([{"email": "a@b.co"}]).data["created"] == 1


def test_injected_transport_is_used() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=ok_body(created=1))

    with FoxReachClient(BASE, KEY, transport=httpx.MockTransport(handler)) as c:
        c.import_leads([{"email": "a@b.co"}])
    assert [str(r.url) for r in seen] == [URL]
