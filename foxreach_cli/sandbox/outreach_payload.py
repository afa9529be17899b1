"""Bodies and query parameters of the campaign-side endpoints, checked by hand as payload.py
checks leads: not a JSON object, or a known field of the wrong type or out of range, is 422
with a sentence naming the field."""

from __future__ import annotations

import json
from typing import Any

from .payload import PayloadError

MAX_PAGE_SIZE = 100
MAX_TEXT = 10_000


def json_object(raw: bytes, *, empty_ok: bool = False) -> dict[str, Any]:
    """The body as a JSON object (an empty body is ``{}`` when ``empty_ok``)."""
    if not raw.strip() and empty_ok:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise PayloadError(422, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise PayloadError(422, "The request body must be a JSON object.")
    return body


def text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """A string field (None when absent and not required); empty is refused when required."""
    value = body.get(name)
    if value is None:
        if required:
            raise PayloadError(422, f"Field '{name}' is required.")
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise PayloadError(422, f"Field '{name}' must be a string of at most {MAX_TEXT} chars.")
    if required and not value.strip():
        raise PayloadError(422, f"Field '{name}' must not be empty.")
    return value


def integer(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    """An integer field within [low, high], or None when absent."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise PayloadError(422, f"Field '{name}' must be an integer from {low} to {high}.")
    return value


def flag(body: dict[str, Any], name: str) -> bool | None:
    """A boolean field, or None when absent."""
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise PayloadError(422, f"Field '{name}' must be true or false.")
    return value


def strings(body: dict[str, Any], name: str, *, required: bool = False) -> list[str] | None:
    """A list of non-empty strings, or None when absent and not required."""
    value = body.get(name)
    if value is None:
        if required:
            raise PayloadError(422, f"Field '{name}' is required.")
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PayloadError(422, f"Field '{name}' must be a list of non-empty strings.")
    return value


def day_list(body: dict[str, Any], name: str) -> list[int] | None:
    """A list of weekday numbers 1..7 (Monday = 1), or None when absent."""
    value = body.get(name)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in value)
    ):
        raise PayloadError(422, f"Field '{name}' must be a non-empty list of days 1 to 7.")
    return sorted(set(value))


def query_int(raw: str | None, name: str, default: int, low: int, high: int | None) -> int:
    """An integer query parameter within bounds (422 otherwise)."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PayloadError(422, f"Query parameter '{name}' must be an integer.") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise PayloadError(422, f"Query parameter '{name}' must be {bound}.")
    return value


def paging(query: Any) -> tuple[int, int]:
    """``page`` (from 1) and ``pageSize`` (1 to 100, default 50) of a list request."""
    page = query_int(query.get("page"), "page", 1, 1, None)
    size = query_int(query.get("pageSize"), "pageSize", 50, 1, MAX_PAGE_SIZE)
    return page, size


def page_meta(page: int, size: int, total: int) -> dict[str, int]:
    """The ``meta`` object of a list answer."""
    return {"page": page, "pageSize": size, "total": total, "totalPages": -(-total // size)}
