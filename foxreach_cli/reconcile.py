"""Reconcile the server's answers with the rows of a batch: what became of every row.

The API answers a request with counts and at most 100 duplicate emails and 100 error details,
never row numbers. :func:`reconcile` maps each reply back to the rows it carried (by
case-insensitive email) and names the rows whose fate the capped lists hide as *unresolved*
instead of guessing. See docs/reconciliation.md.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field

from .models import (
    DUPLICATE,
    ERROR,
    IMPORTED,
    NOT_SENT,
    UNRESOLVED,
    Batch,
    BatchOutcome,
    BatchResult,
    Reply,
)

RETRY_DUPLICATE_REASON = (
    "already in the workspace: probably imported by an earlier attempt of the same request "
    "that got no answer"
)
DUPLICATE_REASON = "already in the workspace"
UNRESOLVED_REASON = (
    "the server counted more duplicates/errors than it listed, so this row may have been "
    "imported or skipped; use --exact-report to know"
)
NOT_MENTIONED_REASON = "not mentioned in the server's answer"
UNLISTED_ERROR_REASON = "refused by the server (reason not listed)"

#: One row's detail: (file, row, email, reason, kind).
Detail = tuple[str, int, str, str, str]


@dataclass
class Reconciled:
    """What one batch's answers mean, row by row, and the counts they add to the run."""

    created: int = 0
    restored: int = 0
    server_duplicates: int = 0
    server_errors: int = 0
    not_sent: int = 0
    retry_duplicates: int = 0
    details: list[Detail] = field(default_factory=list)  # every row not (surely) imported
    outcome: BatchOutcome = field(default_factory=lambda: BatchOutcome(counts=[0, 0, 0, 0]))


def reconcile(
    batch: Batch, result: BatchResult, *, uncertain: Container[tuple[str, int]] = ()
) -> Reconciled:
    """Map ``result``'s replies, refusals and unsent items back to ``batch``'s rows.

    ``uncertain`` holds (file, row) pairs an earlier run sent without getting an answer: a
    duplicate reported for one of them is most likely that earlier attempt's own lead.
    Every row of the batch ends in exactly one bucket. The returned ``outcome`` is what the
    resume journal keeps: the server's counts and each row's (kind, email, reason).
    """
    r = Reconciled()
    for reply in result.replies:
        _reply(batch, reply, uncertain, r)
    for i, reason in result.rejected:
        _detail(r, batch, i, f"refused by the server: {reason}", ERROR)
        r.server_errors += 1
    r.outcome.counts = [r.created, r.restored, r.server_duplicates, r.server_errors]
    for _, row, email, reason, kind in r.details:
        r.outcome.rows[row] = (kind, email, reason)
    for reply in result.replies:
        for i in reply.indices:
            r.outcome.rows.setdefault(batch.rows[i], (IMPORTED, batch.emails[i], ""))
    for i, reason in result.not_sent.items():
        _detail(r, batch, i, reason, NOT_SENT)
        r.not_sent += 1
        if not result.retries:  # never reached the server: nothing of it can be stored
            r.outcome.rows[batch.rows[i]] = (NOT_SENT, batch.emails[i], reason)
    return r


def _detail(r: Reconciled, batch: Batch, i: int, reason: str, kind: str) -> None:
    r.details.append((batch.files[i], batch.rows[i], batch.emails[i], reason, kind))


def _reply(
    batch: Batch, reply: Reply, uncertain: Container[tuple[str, int]], r: Reconciled
) -> None:
    data = reply.data
    n = len(reply.indices)
    created = int(data.get("created", 0))
    restored = int(data.get("restored", 0))
    n_dup = int(data.get("duplicates", 0))
    n_err = int(data.get("errors", 0))
    by_key = {batch.emails[i].strip().lower(): i for i in reply.indices}

    dup_rows: list[int] = []
    for email in data.get("duplicateEmails") or []:
        i = by_key.pop(str(email).strip().lower(), None)
        if i is not None:
            dup_rows.append(i)
    err_rows: list[tuple[int, str]] = []
    for item in data.get("errorDetails") or []:
        email = str(item.get("email") or "").strip().lower()
        i = by_key.pop(email, None)
        if i is not None:
            err_rows.append((i, str(item.get("reason") or "rejected by the server")))
    rest = sorted(by_key.values())
    ok = created + restored
    hidden_dup = max(n_dup - len(dup_rows), 0)
    hidden_err = max(n_err - len(err_rows), 0)

    # A server whose counts do not add up to the request still leaves every row accounted.
    missing = min(n - (ok + n_dup + n_err), len(rest))
    if missing > 0:
        r.server_errors += missing
        for i in rest[-missing:]:
            _detail(r, batch, i, NOT_MENTIONED_REASON, ERROR)
        rest = rest[:-missing]

    def duplicate(i: int) -> None:
        # A row whose earlier sending got no answer is most likely a duplicate of itself.
        ours = reply.ambiguous or (batch.files[i], batch.rows[i]) in uncertain
        r.retry_duplicates += ours
        _detail(r, batch, i, RETRY_DUPLICATE_REASON if ours else DUPLICATE_REASON, DUPLICATE)

    for i in dup_rows:
        duplicate(i)
    for i, why in err_rows:
        _detail(r, batch, i, f"refused by the server: {why}", ERROR)

    # Rows the lists do not name: all imported when the counts say so, all duplicates
    # (or all errors) when nothing else is left; otherwise they cannot be told apart.
    if hidden_dup or hidden_err:
        if ok == 0 and hidden_err == 0:
            for i in rest:
                duplicate(i)
        elif ok == 0 and hidden_dup == 0:
            for i in rest:
                _detail(r, batch, i, UNLISTED_ERROR_REASON, ERROR)
        else:
            for i in rest:
                _detail(r, batch, i, UNRESOLVED_REASON, UNRESOLVED)
    r.created += created
    r.restored += restored
    r.server_duplicates += n_dup
    r.server_errors += n_err
