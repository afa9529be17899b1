"""``POST /leads/import`` semantics: row checks, in-request dedup, store, and the summary.

Decisions where the API documentation is silent:
- ``duplicateEmails`` lists the email as sent, trimmed, in request order, whether the row
  duplicates an earlier row of the request or a stored lead.
- ``errorDetails[].email`` is the email exactly as sent (``""`` when missing or null).
- The first occurrence of an email wins only if its row is valid: an invalid row does not make
  later rows with the same email duplicates.
"""

from __future__ import annotations

from typing import Any

from .payload import EMPTY_EMAIL, ImportRequest, email_problem
from .store import Candidate, Outcome, Store

REPORT_CAP = 100  # duplicateEmails and errorDetails hold only the first 100 each


def run_import(
    store: Store, workspace: str, request: ImportRequest, *, contact_limit: int | None
) -> dict[str, Any]:
    """Import one type-checked request into ``workspace``; return the response's ``data``.

    Raises ``ContactLimitExceeded`` (from the store, nothing stored) on the plan limit.
    """
    # Each row ends as one of: ("error", detail), ("dup", email) or ("cand", index).
    plan: list[tuple[str, Any]] = []
    candidates: list[Candidate] = []
    seen: set[str] = set()
    for lead in request.leads:
        raw = lead.get("email")
        email = raw.strip() if raw is not None else ""
        if not email:
            plan.append(("error", {"email": raw or "", "reason": EMPTY_EMAIL}))
            continue
        reason = email_problem(email)
        if reason is not None:
            plan.append(("error", {"email": raw, "reason": reason}))
            continue
        key = email.lower()
        if key in seen:
            plan.append(("dup", email))
            continue
        seen.add(key)
        plan.append(("cand", len(candidates)))
        candidates.append(Candidate(key, email, lead))

    outcomes: list[Outcome] = store.apply_import(
        workspace, candidates, restore=request.restore_soft_deleted, contact_limit=contact_limit
    )

    counts = {"created": 0, "restored": 0, "duplicates": 0, "errors": 0}
    duplicate_emails: list[str] = []
    error_details: list[dict[str, str]] = []
    for kind, value in plan:
        if kind == "cand":
            outcome = outcomes[value]
            if outcome != "duplicate":
                counts[outcome] += 1
                continue
            kind, value = "dup", candidates[value].email
        if kind == "dup":
            counts["duplicates"] += 1
            if len(duplicate_emails) < REPORT_CAP:
                duplicate_emails.append(value)
        else:
            counts["errors"] += 1
            if len(error_details) < REPORT_CAP:
                error_details.append(value)
    return {**counts, "duplicateEmails": duplicate_emails, "errorDetails": error_details}
