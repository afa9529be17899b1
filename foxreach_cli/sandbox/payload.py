"""Request bodies, parsed and type-checked by hand (pydantic costs too much for 1000 rows).

Written from the API documentation, independent of the client: a body that is not JSON, or a
known field of the wrong JSON type, is 422 for the whole request; then an empty list or more
than 1000 leads is 400; a missing or invalid email is a row error (:func:`email_problem`, a
deliberately simple check). The rules in order: docs/sandbox.md ("Import semantics").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

MAX_LEADS = 1000
STATUSES = frozenset({"active", "bounced", "unsubscribed", "replied"})
TEXT_FIELDS = (
    "firstName",
    "lastName",
    "company",
    "title",
    "phone",
    "linkedinUrl",
    "website",
    "notes",
    "source",
    "status",
)
# The email check of docs/sandbox.md as one regex (4x faster than splitting by hand): a local part
# of characters other than @, whitespace (Unicode included) and controls; then two or more dot-
# separated labels of such characters, none empty, none starting or ending with a hyphen.
_C = r"[^@.\s\x00-\x1f\x7f]"
_LABEL = rf"(?!-){_C}+(?<!-)"
_EMAIL_RE = re.compile(rf"[^@\s\x00-\x1f\x7f]+@{_LABEL}(?:\.{_LABEL})+")
_FIELD_KINDS: dict[str, type] = {
    "email": str,
    **dict.fromkeys(TEXT_FIELDS, str),
    "customFields": dict,
    "tags": list,
}
EMPTY_EMAIL = "empty email"
INVALID_EMAIL = "invalid email"


class PayloadError(Exception):
    """The request is refused as a whole: ``status`` is 400 or 422, ``detail`` says why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class ImportRequest:
    """A type-checked import body. ``leads`` are the objects as sent (not copied)."""

    leads: list[dict[str, Any]]
    restore_soft_deleted: bool


def parse_json(body: bytes) -> Any:
    """Decode a JSON body, or raise 422."""
    # orjson first: 3-4x faster on a 1000-lead body, 10-20 % more imports a second in all.
    # What it refuses (NaN, lone surrogates, a BOM, numbers beyond a double) goes to the json
    # module, which decides as before. Integers beyond 64 bits come back as floats, as from
    # JavaScript's JSON.parse.
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PayloadError(422, "Request body is not valid JSON.") from None


def parse_import(body: bytes) -> ImportRequest:
    """Parse and type-check an import body (the rules in order: docs/sandbox.md)."""
    doc = parse_json(body)
    if not isinstance(doc, dict):
        raise PayloadError(422, "Request body must be a JSON object.")
    if "leads" not in doc or doc["leads"] is None:
        raise PayloadError(422, "Field 'leads' is required.")
    leads = doc["leads"]
    if not isinstance(leads, list):
        raise PayloadError(422, "Field 'leads' must be an array of lead objects.")
    restore = doc.get("restoreSoftDeleted", True)
    if not isinstance(restore, bool):
        raise PayloadError(422, "Field 'restoreSoftDeleted' must be a boolean.")
    check_leads_types(leads)
    if not leads:
        raise PayloadError(400, "Field 'leads' must hold at least 1 lead.")
    if len(leads) > MAX_LEADS:
        raise PayloadError(400, f"Field 'leads' holds {len(leads)} leads; the maximum is 1000.")
    return ImportRequest(leads=leads, restore_soft_deleted=restore)


def parse_single_lead(body: bytes) -> tuple[str, dict[str, Any]]:
    """Parse a ``POST /leads`` body; return (trimmed email, lead). Any problem is 422."""
    lead = parse_json(body)
    check_lead_types(lead, "body")
    email = (lead.get("email") or "").strip()
    if not email:
        raise PayloadError(422, "Field 'email' is required.")
    if email_problem(email):
        raise PayloadError(422, f"Field 'email' is not a valid email address: {email!r}.")
    return email, lead


_NONE = type(None)
_STR_OR_NONE = frozenset({str, _NONE})


def parse_lead_update(body: bytes) -> dict[str, Any]:
    """Parse a ``PATCH /leads/{id}`` body: the create fields, all optional. Any problem is 422.

    Returns the fields given (``null`` means absent, unknown fields are ignored); a given
    email is trimmed and must pass the sandbox's check."""
    fields = parse_json(body)
    check_lead_types(fields, "body")
    update = {k: v for k, v in fields.items() if k in _FIELD_KINDS and v is not None}
    if "email" in update:
        email = update["email"].strip()
        if not email or email_problem(email):
            raise PayloadError(422, f"Field 'email' is not a valid email address: {email!r}.")
        update["email"] = email
    return update


def check_leads_types(leads: list[Any]) -> None:
    """Raise 422 naming the first lead with a bad field type (see :func:`check_lead_types`).

    The common case, every lead fine, is settled field by field with set comprehensions
    (faster than checking lead by lead: docs/sandbox.md); only a failure walks the leads in
    order to name the first offender.
    """
    if all(type(lead) is dict for lead in leads) and _all_types_ok(leads):
        return
    for index, lead in enumerate(leads):
        check_lead_types(lead, f"leads[{index}]")


def _all_types_ok(leads: list[dict[str, Any]]) -> bool:
    for name in ("email", *TEXT_FIELDS):
        if not {type(lead.get(name)) for lead in leads} <= _STR_OR_NONE:
            return False
    if not {lead.get("status") for lead in leads} <= STATUSES | {None}:
        return False
    if not {type(lead.get("customFields")) for lead in leads} <= {dict, _NONE}:
        return False
    tag_lists = [tags for lead in leads if (tags := lead.get("tags")) is not None]
    if not {type(tags) for tags in tag_lists} <= {list}:
        return False
    return {type(tag) for tags in tag_lists for tag in tags} <= {str}


def check_lead_types(lead: Any, where: str) -> None:
    """Raise 422 unless ``lead`` is an object whose known fields have the documented types."""
    if type(lead) is not dict:
        raise PayloadError(422, f"{where} must be an object.")
    # Fast path, run 1000 times per request: every field is a string or null except
    # customFields and tags, which are checked below.
    for name, value in lead.items():
        if value is None or type(value) is str:
            continue
        kind = _FIELD_KINDS.get(name)
        if kind is str:
            raise PayloadError(422, f"{where}.{name} must be a string.")
        if kind is dict and type(value) is not dict:
            raise PayloadError(422, f"{where}.customFields must be an object.")
        if kind is list and (type(value) is not list or not all(type(tag) is str for tag in value)):
            raise PayloadError(422, f"{where}.tags must be an array of strings.")
    if "customFields" in lead and type(lead["customFields"]) is str:
        raise PayloadError(422, f"{where}.customFields must be an object.")
    if "tags" in lead and type(lead["tags"]) is str:
        raise PayloadError(422, f"{where}.tags must be an array of strings.")
    status = lead.get("status")
    if status is not None and status not in STATUSES:
        raise PayloadError(
            422, f"{where}.status must be one of active, bounced, unsubscribed, replied."
        )


def email_problem(email: str) -> str | None:
    """Return ``"invalid email"`` when a trimmed, non-empty email fails the sandbox's check:
    at most 254 characters, one ``@``, a non-empty local part and a dotted domain (above)."""
    if len(email) > 254 or _EMAIL_RE.fullmatch(email) is None:
        return INVALID_EMAIL
    return None
