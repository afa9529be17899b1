"""The official SDK's exceptions as this project's errors, so that the official commands end
with one sentence and the exit codes of cli/errors.py (403 -> 3, 429 and 5xx -> 5, a missing
object or a refused request -> 2), never with the SDK's traceback or the key."""

from __future__ import annotations

from typing import Any

from ..client import mask_key
from ..errors import ApiError, AuthError, FoxReachImportError, TransientError

_AUTH_HINT = (
    "Check FOXREACH_API_KEY (or 'foxreach config set-key') and that the key has the scope "
    "this command needs (read, or write to change anything)."
)
_DETAIL_MAX = 300


class NotFoundError(FoxReachImportError):
    """404: the object named (a lead, campaign, template...) does not exist in the workspace.
    Nothing was changed, so it exits 2 like any refused request."""


class RefusedError(FoxReachImportError):
    """400, 409 or 422: the API refused the request as it was given; nothing was changed."""


def scrub(text: str, key: str) -> str:
    """Server or SDK text fit for a message: never the key, one line, bounded."""
    text = " ".join(text.replace(key, mask_key(key)).split()) if key else " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 1] + "…"


def _detail(exc: Any, key: str) -> str:
    """The server's own words from the SDK's exception (``detail``, ``error`` or message)."""
    body = getattr(exc, "response_body", None)
    text = ""
    if isinstance(body, dict):
        found = body.get("detail") or body.get("error") or body.get("message")
        if isinstance(found, str):
            text = found
        elif found is not None:
            text = str(found)
    return scrub(text or str(exc), key).rstrip(".")


def translate(exc: Exception, *, key: str, base_url: str) -> FoxReachImportError:
    """This project's error for an exception of the ``foxreach`` SDK."""
    status: int | None = getattr(exc, "status_code", None)
    said = _detail(exc, key)
    if status in (401, 403):
        return AuthError(
            f"The API key {mask_key(key)} was refused ({status}): {said}.",
            status=status,
            hint=_AUTH_HINT,
        )
    if status == 404:
        return NotFoundError(f"Not found (404): {said}.")
    if status in (400, 409, 422):
        return RefusedError(f"The API refused the request ({status}): {said}.")
    if status == 429:
        wait = getattr(exc, "retry_after", None)
        after = f" The API asks to wait {wait:g} s before trying again." if wait else ""
        return TransientError(f"Rate limit exceeded (429): {said}.{after}", status=429)
    if status is not None and status >= 500:
        return TransientError(f"The server failed ({status}): {said}.", status=status)
    if status is None:  # the SDK's ConnectionError: refused, unreachable or timed out
        return TransientError(f"Could not reach {base_url}: {said}.")
    return ApiError(f"The server answered {status}: {said}.", status=status)
