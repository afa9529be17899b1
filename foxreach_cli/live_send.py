"""SEND, wired: batches from the local stages to the API under the shared rate budget, each
answer reconciled, folded into the report and journaled. Imported by live runs only (httpx).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import httpx

from . import reasons
from .batch import Batcher, UniqueRows
from .client import FoxReachClient
from .errors import FoxReachImportError, StorageError
from .rate_budget import RateBudget
from .reasons import ReasonCode
from .reconcile import reconcile
from .report import SendInfo
from .run_state import RunState
from .send import RequestFinished, RequestStarted, Sender
from .stage_data import Batch, BatchResult
from .state.journal import key_fingerprint
from .state.shared_rate_budget import SharedBudget


def send_rows(
    run: RunState, parts: Iterator[UniqueRows], transport: httpx.BaseTransport | None
) -> tuple[FoxReachImportError | None, bool]:
    """Stream batches to the API; on an early stop, account for the rest as not sent.
    Returns what stopped the run (or None) and whether it was interrupted."""
    cfg = run.cfg
    creds, send = cfg.credentials, cfg.send
    assert creds is not None and creds.api_key, "a live run's config carries credentials"
    batcher = Batcher(parts, send.batch_size)
    # One budget per key on this machine: concurrent runs share it through the state directory.
    budget = SharedBudget(
        RateBudget(limit=send.rate_limit, window=send.rate_window),
        cfg.state.state_dir,
        key_fingerprint(creds.api_key),
        limit=send.rate_limit,
        window=send.rate_window,
    )
    run.display.budget = budget
    batches: Iterator[Batch] = iter(batcher)
    if run.resume is not None:
        batches = run.resume.journaled(
            batches, partial(_journal_failed, run), partial(_interrupted, run)
        )
    with FoxReachClient(
        creds.base_url,
        creds.api_key,
        timeout=send.timeout,
        transport=transport,
        # A request must never wait for a connection after it took its rate slot.
        max_connections=send.concurrency,
    ) as client:
        sender = Sender(client, budget, send, on_event=partial(_on_event, run))
        run.stop.sending(sender)
        outcome = sender.run(batches, partial(_on_result, run), on_idle=run.display.tick)
        fatal = outcome.fatal or run.stop.failure
        if fatal is None and not outcome.interrupted:
            # Every batch is answered: opt-outs can now reach the leads already there.
            updates = run.opt_outs.run(client, budget, send, tick=run.display.tick)
            return updates.fatal, updates.interrupted
    reason = reasons.CTRL_C if outcome.interrupted else ReasonCode.NOT_SENT_STOPPED.of(fatal)
    run.not_sent(batcher.drain(), reason)
    return fatal, outcome.interrupted


def _on_result(run: RunState, batch: Batch, result: BatchResult) -> None:
    """Merge one batch's answer, journal it, and refresh the display."""
    run.stop.sent = run.stop.sent or result.requests > 0
    uncertain = run.resume.uncertain if run.resume is not None else set()
    outcome = reconcile(batch, result, uncertain=uncertain)
    run.fold.add(
        SendInfo(batch.files[0], result.requests, result.retries, result.rate_limited, outcome)
    )
    run.display.eta.merged(batch.seq)
    run.imported += outcome.counts.created + outcome.counts.restored
    run.opt_outs.answered(batch, outcome.outcome)  # journaled before the answer
    if run.on_batch is not None:  # import --campaign: enrol what this batch imported
        run.on_batch(batch, outcome.details)
    if run.resume is not None:
        try:
            run.resume.answered(batch, outcome.outcome)
        except StorageError as exc:
            run.stop.failed(exc)
        else:
            if run.resume.short_of_room is not None:  # recorded on the reserve's room
                run.stop.failed(run.resume.short_of_room)
    run.display.show()


def _journal_failed(run: RunState, batch: Batch, exc: StorageError) -> None:
    """The journal could not record a batch: stop, and account for it as not sent."""
    run.stop.failed(exc)
    why = ReasonCode.NOT_SENT_ERROR.of(exc)
    _on_result(run, batch, BatchResult(not_sent=dict.fromkeys(range(len(batch)), why)))


def _interrupted(run: RunState, batch: Batch) -> None:
    """Ctrl-C came before the batch was handed to the sender: it is not sent."""
    _on_result(
        run, batch, BatchResult(not_sent=dict.fromkeys(range(len(batch)), reasons.INTERRUPTED))
    )


def _on_event(run: RunState, event: object) -> None:
    """Turn a sender event into a progress note and the ETA's measures."""
    if isinstance(event, RequestStarted):
        run.display.eta.started(event.seq)
    elif isinstance(event, RequestFinished):
        run.display.eta.answered(event.seconds if event.status is not None else None)
    text = getattr(event, "message", None)
    if text:
        run.display.progress.note(str(text))
