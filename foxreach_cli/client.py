"""The HTTP client of ``POST /leads/import``: one place where httpx meets the error tree.

Besides the import, two lead calls serve opt-out updates (:mod:`foxreach_cli.optout_updates`):
:meth:`FoxReachClient.find_leads` (``GET /leads?email=``) and
:meth:`FoxReachClient.update_lead` (``PATCH /leads/{id}``), with the same error mapping.

Every outcome of a request becomes either an :class:`ImportResponse` or one of the errors of
:mod:`foxreach_cli.errors` (which status or network error becomes which, and whether the
request may have been stored: the table in docs/api.md), with the response's
``X-RateLimit-*`` headers (:func:`errors.rate_of`) and the round trip on the wire
(:func:`errors.round_trip_of`) attached, so the rate budget learns from failures too. The API
key is only ever shown as :func:`credentials.mask_key` gives it, and is scrubbed from any text
the server sends back.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import math
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
import orjson

from . import __version__
from .credentials import mask_key
from .defaults import TIMEOUT as ANSWER_TIMEOUT
from .errors import (
    ApiError,
    AuthError,
    FoxReachImportError,
    PlanLimitError,
    RequestRejectedError,
    TransientError,
    UsageError,
)
from .rate_budget import RateInfo
from .stage_data import MAX_BATCH

USER_AGENT = f"foxreach-import/{__version__} (+python-httpx)"
IMPORT_PATH = "/leads/import"
LEADS_PATH = "/leads"
#: The largest page the list endpoint is trusted to give (docs/api.md).
MAX_PAGE_SIZE = 100
CONNECT_TIMEOUT = 10.0
_DETAIL_MAX = 300  # characters of a server's error text kept in a message
_COUNTS = ("created", "restored", "duplicates", "errors")
_JSON_BOOL = {True: b"true}", False: b"false}"}
_AUTH_HINT = "Check FOXREACH_API_KEY (or --api-key) and that the key has the write scope."
_BASE_URL_HINT = "Check --base-url / FOXREACH_BASE_URL (it ends in /api/v1)."


@dataclass(frozen=True)
class ImportResponse:
    """A 200 answer of ``/leads/import``."""

    data: dict[str, Any]  # the "data" object as the server sent it
    rate: RateInfo | None  # its X-RateLimit-* headers
    round_trip: float | None = None  # seconds from writing the request to the whole answer


@dataclass(frozen=True)
class LeadLookup:
    """A 200 answer of ``GET /leads?email=``: the leads whose email is the one asked for
    (compared here, case-insensitively: the filter alone is never trusted), and how many
    other leads came back (a server that ignored the filter)."""

    leads: list[dict[str, Any]]
    others: int
    rate: RateInfo | None
    round_trip: float | None = None


@dataclass(frozen=True)
class LeadUpdate:
    """The answer of ``PATCH /leads/{id}``: the lead as stored, or None when it was gone
    (404: deleted since it was found)."""

    lead: dict[str, Any] | None
    rate: RateInfo | None
    round_trip: float | None = None


def check_base_url(url: str) -> str:
    """Normalise a base URL (no trailing ``/``) or raise ``UsageError``.

    Only ``https://`` is accepted, except plain ``http://`` to a loopback host (127.0.0.0/8,
    ``::1``, ``localhost``) such as the local sandbox: the key must never cross a network in
    clear text.
    """
    text = url.strip().rstrip("/")
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UsageError(
            f"The base URL {text!r} is not a valid URL.", hint=_BASE_URL_HINT
        ) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(
            f"The base URL {text!r} must start with https:// and name a host.",
            hint=_BASE_URL_HINT,
        )
    if parsed.query or parsed.fragment or "?" in text or "#" in text:
        raise UsageError(
            f"The base URL {text!r} must not carry a query or a fragment.", hint=_BASE_URL_HINT
        )
    if parsed.userinfo:
        raise UsageError(
            "The base URL must not contain a user name or password; pass the key with "
            "--api-key or FOXREACH_API_KEY."
        )
    if parsed.scheme == "http" and not _is_loopback(parsed.host):
        raise UsageError(
            f"Refusing plain http:// to {parsed.host}: the API key would travel unencrypted. "
            "Use https:// (plain http is allowed only for localhost)."
        )
    return text


def check_api_key(api_key: str) -> str:
    """The key, trimmed, if it can be sent in a header; else ``UsageError``."""
    key = api_key.strip()
    if not key:
        raise UsageError("No API key given.", hint=_AUTH_HINT)
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise UsageError(
            "The API key contains spaces or characters that cannot be sent in a header.",
            hint=_AUTH_HINT,
        )
    return key


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    # Only "localhost" itself: a name under .localhost is resolved by whatever resolver the
    # machine has, which need not keep it on this machine.
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _WireClock:
    """httpcore's ``trace`` hook: when the request's first byte went out on a connection.

    A round trip timed from there leaves out the wait for a pooled connection and the TCP and
    TLS handshakes of a new one, which happen before the server can count the request.
    """

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started = time.monotonic()  # fallback for transports that do not trace

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith("send_request_headers.started"):
            self.started = time.monotonic()

    def since(self) -> float:
        return max(0.0, time.monotonic() - self.started)


class FoxReachClient:
    """Sends import requests over one pooled, thread-safe ``httpx.Client``.

    ``transport`` replaces the network (tests, the embedded sandbox). Connect timeout is
    10 s; ``timeout`` bounds reading the answer (a 1000-lead import takes a while) and writing.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = ANSWER_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        max_connections: int = 16,
    ) -> None:
        # Checked here too, not only in the config: this is the boundary where the key goes on
        # the wire, and httpx would otherwise fail deep inside with the key in the exception.
        self.base_url = check_base_url(base_url)
        self._key = check_api_key(api_key)
        # A plain-http base URL (loopback only) never speaks TLS, and redirects are not
        # followed: skip loading the CA bundle (60-100 ms at every start). The context trusts
        # no CA at all, so a TLS handshake, were one ever attempted, would fail closed.
        plain = httpx.URL(self.base_url).scheme == "http"
        self._http = httpx.Client(
            verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT) if plain else True,
            base_url=self.base_url,
            headers={
                "X-API-Key": self._key,
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
            # A redirect would resend the key somewhere else; report it instead.
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"FoxReachClient(base_url={self.base_url!r}, api_key={mask_key(self._key)!r})"

    def __enter__(self) -> FoxReachClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def import_leads(self, leads: list[dict[str, Any]], *, restore: bool = True) -> ImportResponse:
        """``POST /leads/import`` with ``leads`` (1 to 1000 camelCase lead objects).

        Returns the 200 answer, or raises an ``ApiError`` subclass (which one: docs/api.md).
        ``ValueError`` for a batch size the API would refuse with 400: a bug of the caller.
        """
        payload = b",".join(orjson.dumps(lead) for lead in leads)
        return self.import_encoded(payload, len(leads), restore=restore)

    def import_encoded(self, payload: bytes, count: int, *, restore: bool = True) -> ImportResponse:
        """As :meth:`import_leads`, with the ``count`` leads already encoded as JSON objects
        joined by commas (:meth:`stage_data.Batch.payload`)."""
        if not 1 <= count <= MAX_BATCH:
            raise ValueError(f"an import request carries 1 to {MAX_BATCH} leads, got {count}")
        body = b"".join(
            (b'{"leads":[', payload, b'],"restoreSoftDeleted":', _JSON_BOOL[bool(restore)])
        )
        wire = _WireClock()
        try:
            response = self._http.post(IMPORT_PATH, content=body, extensions={"trace": wire})
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        round_trip = wire.since()
        rate = RateInfo.from_headers(response.headers)
        try:
            if response.status_code == 200:
                data = self._import_data(response)
                return ImportResponse(data=data, rate=rate, round_trip=round_trip)
            raise self._status_error(response)
        except FoxReachImportError as exc:
            exc.rate = rate  # type: ignore[attr-defined]
            exc.round_trip = round_trip  # type: ignore[attr-defined]
            raise

    def find_leads(self, email: str) -> LeadLookup:
        """``GET /leads?email=...``: the active leads whose email is ``email`` (exact and
        case-insensitive, checked on each lead returned). Raises as :meth:`import_leads`."""
        wanted = email.strip().lower()
        response, rate, round_trip = self._exchange(
            "GET", LEADS_PATH, params={"email": email.strip(), "pageSize": MAX_PAGE_SIZE}
        )
        leads = self._answer_data(response, list, "a list of leads")
        found = [
            lead
            for lead in leads
            if isinstance(lead, dict)
            and isinstance(lead.get("email"), str)
            and lead["email"].strip().lower() == wanted
            and isinstance(lead.get("id"), str)
        ]
        return LeadLookup(found, len(leads) - len(found), rate, round_trip)

    def update_lead(self, lead_id: str, fields: dict[str, Any]) -> LeadUpdate:
        """``PATCH /leads/{id}`` with ``fields`` (create fields); the lead as stored, or a
        ``LeadUpdate`` without one when the server answers 404. Raises as
        :meth:`import_leads` otherwise."""
        path = f"{LEADS_PATH}/{urllib.parse.quote(lead_id, safe='')}"
        response, rate, round_trip = self._exchange(
            "PATCH", path, content=orjson.dumps(fields), missing_ok=True
        )
        if response.status_code == 404:
            return LeadUpdate(None, rate, round_trip)
        return LeadUpdate(self._answer_data(response, dict, "a lead"), rate, round_trip)

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        missing_ok: bool = False,
    ) -> tuple[httpx.Response, RateInfo | None, float]:
        """One request: its 200 answer (or 404 when ``missing_ok``) with its rate headers
        and round trip; any other outcome raised as the errors of :meth:`import_leads`, with
        ``rate`` and ``round_trip`` attached."""
        wire = _WireClock()
        try:
            response = self._http.request(
                method, path, params=params, content=content, extensions={"trace": wire}
            )
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        round_trip = wire.since()
        rate = RateInfo.from_headers(response.headers)
        if response.status_code == 200 or (missing_ok and response.status_code == 404):
            return response, rate, round_trip
        error = self._status_error(response)
        error.rate = rate  # type: ignore[attr-defined]
        error.round_trip = round_trip  # type: ignore[attr-defined]
        raise error

    def _answer_data(self, response: httpx.Response, kind: type, what: str) -> Any:
        """The ``data`` member of a 200 answer, of type ``kind``; else ``ApiError``."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, kind):
            raise ApiError(
                f"The server at {self.base_url} answered {response.request.method} "
                f"{response.request.url.path} with 200, but 'data' is not {what}.",
                status=200,
                hint=_BASE_URL_HINT,
            )
        return data

    # -- translation -------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        """Server text fit for a message: never the key, never a page of HTML."""
        text = text.replace(self._key, mask_key(self._key))
        text = " ".join(text.split())
        if len(text) > _DETAIL_MAX:
            text = text[: _DETAIL_MAX - 1] + "…"
        return text

    def _transport_error(self, exc: httpx.TransportError) -> TransientError:
        reason = self._scrub(str(exc)) or type(exc).__name__
        where = self.base_url
        if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError | httpx.PoolTimeout):
            return TransientError(f"Could not connect to {where}: {reason}.", ambiguous=False)
        if isinstance(exc, httpx.TimeoutException):
            return TransientError(
                f"No answer from {where} in time ({type(exc).__name__}): the request may or "
                "may not have been processed.",
                ambiguous=True,
            )
        return TransientError(
            f"The connection to {where} failed before an answer arrived "
            f"({type(exc).__name__}: {reason}); the request may or may not have been processed.",
            ambiguous=True,
        )

    def _detail(self, response: httpx.Response) -> str:
        """The server's error text: ``detail`` (string or FastAPI's list), else ``error``."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._scrub(response.text)
        if isinstance(body, dict):
            detail = body.get("detail", body.get("error"))
            if isinstance(detail, str):
                return self._scrub(detail)
            if isinstance(detail, list):
                return self._scrub("; ".join(_format_validation_item(d) for d in detail))
        return self._scrub(json.dumps(body, ensure_ascii=False))

    def _status_error(self, response: httpx.Response) -> ApiError:
        status = response.status_code
        detail = self._detail(response)
        # The server's sentence usually ends in a period; ours adds one after it.
        said = f": {detail.rstrip('.')}" if detail else ""
        if status in (401, 403):
            return AuthError(
                f"The API key {mask_key(self._key)} was refused ({status}){said}.",
                status=status,
                hint=_AUTH_HINT,
            )
        if status == 402:
            return PlanLimitError(
                f"The workspace's plan contact limit would be exceeded (402){said}.",
                status=402,
                hint="Raise the plan's limit or remove leads, then re-import the rows not sent.",
            )
        if status == 422:
            return RequestRejectedError(detail or "request refused (422)", status=422)
        if status == 429:
            return TransientError(
                f"Rate limit exceeded (429){said}.",
                status=429,
                retry_after=self._retry_after(response),
                ambiguous=False,
            )
        if status == 408 or status >= 500:
            ambiguous = status in (502, 504)
            return TransientError(
                f"The server failed ({status}){said}.", status=status, ambiguous=ambiguous
            )
        if status == 400:
            return ApiError(
                f"The server refused the request as malformed (400){said}. "
                "This is a bug in foxreach; please report it.",
                status=400,
            )
        if 300 <= status < 400:
            where = self._scrub(response.headers.get("location", "elsewhere"))
            return ApiError(
                f"The server redirected the request ({status}) to {where}.",
                status=status,
                hint=_BASE_URL_HINT,
            )
        hint = _BASE_URL_HINT if status in (404, 405) else None
        if status == 413:
            hint = "Lower --batch-size."
        return ApiError(f"The server answered {status}{said}.", status=status, hint=hint)

    def _retry_after(self, response: httpx.Response) -> float | None:
        """Seconds to wait after a 429: Retry-After, else the reset in the body or headers."""
        header = response.headers.get("retry-after")
        if header is not None:
            seconds = _parse_retry_after(header, time.time())
            if seconds is not None:
                return seconds
        reset: float | None = None
        try:
            body = response.json()
            details = body.get("details") if isinstance(body, dict) else None
            value = details.get("reset") if isinstance(details, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                reset = float(value)
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass
        if reset is None:
            info = RateInfo.from_headers(response.headers)
            reset = info.reset if info is not None else None
        if reset is None or not math.isfinite(reset):
            return None
        return max(0.0, reset - time.time())

    def _import_data(self, response: httpx.Response) -> dict[str, Any]:
        """The ``data`` object of a 200, checked against the documented shape."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        data = body.get("data") if isinstance(body, dict) else None
        problem = None
        if not isinstance(data, dict):
            problem = "it is not a JSON object with a 'data' object"
        else:
            for name in _COUNTS:
                value = data.get(name)
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    problem = f"'data.{name}' is missing or not a count"
                    break
            else:
                for name in ("duplicateEmails", "errorDetails"):
                    if not isinstance(data.get(name, []), list):
                        problem = f"'data.{name}' is not a list"
                        break
        if problem is not None:
            raise ApiError(
                f"The server at {self.base_url} answered 200, but not with an import result "
                f"({problem}); some leads may have been imported.",
                status=200,
                hint=_BASE_URL_HINT,
            )
        assert isinstance(data, dict)
        return data


def _format_validation_item(item: Any) -> str:
    """One entry of FastAPI's 422 list as ``field: message`` (the lead's position dropped)."""
    if not isinstance(item, dict):
        return str(item)
    loc = [str(p) for p in item.get("loc", []) if not isinstance(p, int)]
    if loc[:1] == ["body"]:
        loc = loc[1:]
    if loc[:1] == ["leads"]:
        loc = loc[1:]
    msg = str(item.get("msg", "invalid"))
    return f"{'.'.join(loc)}: {msg}" if loc else msg


def _parse_retry_after(value: str, now: float) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - now)
    return max(0.0, seconds) if math.isfinite(seconds) else None
