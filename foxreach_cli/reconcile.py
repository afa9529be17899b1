"""Reconcile the server's answers with the rows of a batch: what became of every row.

The API answers a request with counts and at most 100 duplicate emails and 100 error details,
never row numbers. :func:`reconcile` maps each reply back to the rows it carried (by
case-insensitive email) and names the rows whose fate the capped lists hide as *unresolved*
instead of guessing. See docs/reconciliation.md.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field

from . import reasons
from .details import DetailPart
from .reasons import ReasonCode, Rejection
from .stage_data import (
    DUPLICATE,
    ERROR,
    IMPORTED,
    NOT_SENT,
    UNRESOLVED,
    Batch,
    BatchOutcome,
    BatchResult,
    Reply,
    RowFate,
    Tally,
)


@dataclass(frozen=True)
class Reconciled:
    """What one batch's answers mean: the counts they add to the run, the rows not (surely)
    imported, and the outcome the resume journal keeps."""

    file: str
    counts: Tally  # created, restored, server duplicates and errors, not sent, retry duplicates
    details: DetailPart
    outcome: BatchOutcome


@dataclass
class _Work:
    """The counts and details being gathered for one batch."""

    counts: Tally = field(default_factory=Tally)
    idx: list[int] = field(default_factory=list)  # the batch item of each detail
    reasons: list[Rejection] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def detail(self, i: int, reason: Rejection, kind: str) -> None:
        self.idx.append(i)
        self.reasons.append(reason)
        self.kinds.append(kind)


def reconcile(
    batch: Batch, result: BatchResult, *, uncertain: Container[tuple[str, int]] = ()
) -> Reconciled:
    """Map ``result``'s replies, refusals and unsent items back to ``batch``'s rows.

    ``uncertain`` holds (file, row) pairs an earlier run sent without getting an answer: a
    duplicate reported for one of them is most likely that earlier attempt's own lead.
    Every row of the batch ends in exactly one bucket. The returned ``outcome`` is what the
    resume journal keeps: the server's counts and each row's (kind, email, code, params).
    """
    r = _Work()
    for reply in result.replies:
        _reply(batch, reply, uncertain, r)
    for i, said in result.rejected:
        r.detail(i, ReasonCode.SERVER_ERROR.of(said), ERROR)
    r.counts += Tally(server_errors=len(result.rejected))
    answered = r.counts.answered()
    rows: dict[int, RowFate] = {}
    for i, reason, kind in zip(r.idx, r.reasons, r.kinds, strict=True):
        rows[batch.rows[i]] = (kind, batch.emails[i], reason.code, reason.params)
    for reply in result.replies:
        for i in reply.indices:
            rows.setdefault(batch.rows[i], (IMPORTED, batch.emails[i], "", ()))
    for i, reason in result.not_sent.items():
        r.detail(i, reason, NOT_SENT)
        if not result.retries:  # never reached the server: nothing of it can be stored
            rows[batch.rows[i]] = (NOT_SENT, batch.emails[i], reason.code, reason.params)
    file = batch.files[0] if batch.files else ""
    ours = sum(reason.code is ReasonCode.RETRY_DUPLICATE for reason in r.reasons)
    return Reconciled(
        file=file,
        counts=r.counts + Tally(not_sent=len(result.not_sent), retry_duplicates=ours),
        details=DetailPart.of_reasons(
            file,
            [batch.rows[i] for i in r.idx],
            [batch.emails[i] for i in r.idx],
            r.kinds,
            r.reasons,
        ),
        outcome=BatchOutcome(counts=answered, rows=rows),
    )


def _reply(batch: Batch, reply: Reply, uncertain: Container[tuple[str, int]], r: _Work) -> None:
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
        r.counts += Tally(server_errors=missing)
        for i in rest[-missing:]:
            r.detail(i, reasons.NOT_MENTIONED, ERROR)
        rest = rest[:-missing]

    def duplicate(i: int) -> None:
        # A row whose earlier sending got no answer is most likely a duplicate of itself.
        ours = reply.ambiguous or (batch.files[i], batch.rows[i]) in uncertain
        r.detail(i, reasons.RETRY_DUPLICATE if ours else reasons.IN_WORKSPACE, DUPLICATE)

    for i in dup_rows:
        duplicate(i)
    for i, why in err_rows:
        r.detail(i, ReasonCode.SERVER_ERROR.of(why), ERROR)

    # Rows the lists do not name: all imported when the counts say so, all duplicates
    # (or all errors) when nothing else is left; otherwise they cannot be told apart.
    if hidden_dup or hidden_err:
        if ok == 0 and hidden_err == 0:
            for i in rest:
                duplicate(i)
        elif ok == 0 and hidden_dup == 0:
            for i in rest:
                r.detail(i, reasons.UNLISTED_ERROR, ERROR)
        else:
            for i in rest:
                r.detail(i, reasons.UNRESOLVED, UNRESOLVED)
    r.counts += Tally(
        created=created, restored=restored, server_duplicates=n_dup, server_errors=n_err
    )
