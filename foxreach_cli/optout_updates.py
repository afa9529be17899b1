"""The OPT-OUT UPDATES stage: opt-outs that must reach leads already in the workspace.

Two kinds of row opt out a lead that the import itself cannot change:

- a later copy of an email whose first copy was passed on in an earlier chunk (perhaps sent
  already): :mod:`foxreach_cli.dedup` marks its carry ``late`` (:func:`late_carries`);
- an opted-out row the server reports as a duplicate (or cannot say: *unresolved*): the lead
  was already in the workspace, from an earlier run or elsewhere, and the import left it as it
  was (:func:`in_workspace`).

Each becomes an :class:`OptOutUpdate` in the run's :class:`UpdateQueue` (per file and email,
the strongest status wins). Once every batch is answered, :class:`OptOutUpdater` finds each
lead by exact email (``GET /leads?email=``, the answer checked lead by lead) and, unless it is
opted out as strongly already, sends ``PATCH /leads/{id}`` with the status, under the run's
rate budget with the sender's retry rules. Never the other way: a status is only ever raised
(active or replied -> bounced -> unsubscribed). The journal records each update when it is
queued and when it is done, so a killed run neither loses one nor redoes one it recorded
(docs/journal.md, "Opt-out updates"). See docs/dedup.md ("Opt-outs").
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pandas as pd

from .dedup import OPT_OUT_RANK
from .errors import (
    ApiError,
    FoxReachImportError,
    RequestRejectedError,
    StorageError,
    TransientError,
    rate_of,
    round_trip_of,
)
from .rate_budget import Budget
from .report import OptOutUpdateInfo
from .send import Retries, SendPolicy
from .stage_data import DUPLICATE, UNRESOLVED, Batch, BatchOutcome

if TYPE_CHECKING:
    # httpx: loaded by the runs that send (a dry run only counts what it would check).
    from .client import FoxReachClient, LeadLookup, LeadUpdate

T = TypeVar("T")

#: What became of an update (the JSON report's ``outcome``).
UPDATED = "updated"  # PATCHed to the opt-out status
ALREADY = "alreadyOptedOut"  # the lead said as much (or more) already
NOT_FOUND = "notInWorkspace"  # no active lead has the email: nothing to opt out
NOT_DONE = "notDone"  # the run stopped first, or the server would not (``reason`` says why)
WOULD_CHECK = "wouldCheck"  # a dry run: the lead would be looked up and updated if needed
OUTCOMES = (UPDATED, ALREADY, NOT_FOUND, NOT_DONE, WOULD_CHECK)
#: Seconds between the notes that say how far the updates are (the log's cadence).
NOTE_EVERY = 10.0


@dataclass(frozen=True)
class OptOutUpdate:
    """An opt-out to bring to the lead with ``email`` in the workspace: ``row`` of ``file``
    opted out (``status``) after, or without, the lead being sent."""

    key: str  # the email trimmed and lowercased, as dedup compares it
    email: str
    status: str  # unsubscribed or bounced
    file: str
    row: int


def rank(status: object) -> int:
    """How strongly ``status`` opts a lead out (0: not at all)."""
    return OPT_OUT_RANK.get(status, 0)


class UpdateQueue:
    """The run's pending updates, one per file and email; a stronger status replaces a weaker
    one. ``done`` holds what earlier runs did already ((file, key) -> status), never redone
    unless a stronger status comes."""

    def __init__(self, done: dict[tuple[str, str], str] | None = None) -> None:
        self._done = dict(done or {})
        self._items: dict[tuple[str, str], OptOutUpdate] = {}

    def add(self, update: OptOutUpdate) -> bool:
        """Queue ``update``; False when it asks nothing new (so it needs no journal entry)."""
        at = (update.file, update.key)
        before = self._items.get(at)
        done = self._done.get(at)
        if before is not None and rank(before.status) >= rank(update.status):
            return False
        if before is None and done is not None and rank(done) >= rank(update.status):
            return False
        self._items[at] = update
        return True

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[OptOutUpdate]:
        return iter(list(self._items.values()))

    def files(self) -> set[str]:
        """The files that have updates waiting."""
        return {file for file, _ in self._items}

    def settle(self, update: OptOutUpdate) -> None:
        """Take ``update`` off the queue (done, whatever its outcome)."""
        at = (update.file, update.key)
        if self._items.get(at) == update:
            del self._items[at]


def late_carries(file: str, duplicates: pd.DataFrame) -> list[OptOutUpdate]:
    """The updates of a chunk's duplicates whose opt-out was carried to a lead passed on in
    an earlier chunk (``late``: :meth:`dedup.Deduper.split`)."""
    if not len(duplicates) or not duplicates["late"].any():
        return []
    late = duplicates[duplicates["late"]]
    return [
        OptOutUpdate(str(email).strip().lower(), str(email).strip(), str(status), file, int(row))
        for email, status, row in zip(
            late["email"].tolist(), late["carried"].tolist(), late["row"].tolist(), strict=True
        )
    ]


def in_workspace(batch: Batch, outcome: BatchOutcome) -> list[OptOutUpdate]:
    """The updates of a batch's opted-out rows that the server's answer says (or may say)
    were already in the workspace: duplicates and unresolved rows."""
    found = []
    for i, status in batch.opted_out.items():
        fate = outcome.rows.get(batch.rows[i])
        if fate is not None and fate[0] in (DUPLICATE, UNRESOLVED):
            email = batch.emails[i].strip()
            found.append(OptOutUpdate(email.lower(), email, status, batch.files[i], batch.rows[i]))
    return found


def info(
    update: OptOutUpdate,
    outcome: str,
    *,
    before: str | None = None,
    reason: str = "",
    earlier: bool = False,
) -> OptOutUpdateInfo:
    """The report's record of what became of ``update``."""
    return OptOutUpdateInfo(
        file=update.file,
        row=update.row,
        email=update.email,
        status=update.status,
        outcome=outcome,
        before=before,
        reason=reason,
        earlier=earlier,
    )


class _Stop(Exception):
    """The updates stop: those left are not done, for ``reason``."""

    def __init__(self, reason: str, fatal: FoxReachImportError | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fatal = fatal


@dataclass
class UpdatesOutcome:
    """How the stage ended: ``fatal`` stopped it (the error the run reports), or Ctrl-C."""

    fatal: FoxReachImportError | None = None
    interrupted: bool = False
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0


class OptOutUpdater:
    """Looks up and updates leads one at a time under the run's rate budget.

    Each request takes a slot of ``budget`` (so updates and imports of every run on the key
    share one limit); a 429 waits ``Retry-After`` and pauses everyone, other transient
    failures are retried with full-jitter backoff, ``policy.max_retries`` times; a 403 or
    another refusal of the API stops the stage (the updates left are reported not done and
    stay in the journal for the next run). One at a time: the budget, not the round trip, is
    what limits them (two requests a lead, against a thousand leads a request for imports).
    """

    def __init__(
        self,
        client: FoxReachClient,
        budget: Budget,
        policy: SendPolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self._client = client
        self._budget = budget
        self._policy = policy
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._note = note
        self._cancel = threading.Event()
        self.outcome = UpdatesOutcome()

    def run(
        self,
        updates: Iterable[OptOutUpdate],
        on_done: Callable[[OptOutUpdate, OptOutUpdateInfo], None],
        *,
        halt: Callable[[], str | None] = lambda: None,
    ) -> UpdatesOutcome:
        """Bring each update to the workspace; ``on_done`` gets each one's outcome, also the
        outcome ``notDone`` of those left when the stage stops (or ``halt`` says why it
        must: a write that failed)."""
        left = list(updates)
        stopped: _Stop | None = None
        o = self.outcome
        while left:
            update = left[0]
            spent = (o.requests, o.retries, o.rate_limited)
            if stopped is None and (why := halt()) is not None:
                stopped = _Stop(why)
            if stopped is None:
                try:
                    result = self._one(update)
                except _Stop as exc:
                    stopped = exc
                    o.fatal = exc.fatal
                except KeyboardInterrupt:
                    o.interrupted = True
                    stopped = _Stop("interrupted (Ctrl-C)")
            if stopped is not None:
                result = info(update, NOT_DONE, reason=stopped.reason)
            # What this update cost (the report counts every request of the run).
            cost = replace(
                result,
                requests=o.requests - spent[0],
                retries=o.retries - spent[1],
                rate_limited=o.rate_limited - spent[2],
            )
            on_done(update, cost)
            left.pop(0)
        return o

    def _one(self, update: OptOutUpdate) -> OptOutUpdateInfo:
        try:
            lookup: LeadLookup = self._call(lambda: self._client.find_leads(update.email))
        except RequestRejectedError as exc:
            return info(update, NOT_DONE, reason=exc.message)
        if not lookup.leads:
            if lookup.others:
                return info(
                    update,
                    NOT_DONE,
                    reason="the server's answer to GET /leads?email= held other leads only "
                    "(its email filter did not apply), so the lead could not be found",
                )
            return info(update, NOT_FOUND)
        results = [self._raise(update, lead) for lead in lookup.leads]
        # One lead per email in a workspace; should the server list several, an update not
        # done is the one reported, then one that was made.
        for wanted in (NOT_DONE, UPDATED):
            for result in results:
                if result.outcome == wanted:
                    return result
        return results[0]

    def _raise(self, update: OptOutUpdate, lead: dict[str, Any]) -> OptOutUpdateInfo:
        before = lead.get("status")
        before_text = before if isinstance(before, str) else None
        if rank(before) >= rank(update.status):
            return info(update, ALREADY, before=before_text)
        lead_id = str(lead["id"])
        try:
            answer: LeadUpdate = self._call(
                lambda: self._client.update_lead(lead_id, {"status": update.status})
            )
        except RequestRejectedError as exc:  # this lead only; the others may go on
            return info(update, NOT_DONE, before=before_text, reason=exc.message)
        if answer.lead is None:  # deleted since it was found
            return info(update, NOT_FOUND, before=before_text)
        stored = answer.lead.get("status")
        if rank(stored) < rank(update.status):
            return info(
                update,
                NOT_DONE,
                before=before_text,
                reason=f"the server answered the update with status {stored!r}",
            )
        return info(update, UPDATED, before=before_text)

    def _call(self, request: Callable[[], T]) -> T:
        """``request`` under the budget, retried as the sender retries an import."""
        retries = Retries(self._policy, self._rng)
        while True:
            sent_at = self._budget.acquire(cancel=self._cancel)
            if sent_at is None:  # pragma: no cover - nothing cancels it but a stop
                raise _Stop("the run stopped")
            self.outcome.requests += 1
            try:
                answer = request()
            except TransientError as exc:
                self._observe(rate_of(exc), sent_at, round_trip_of(exc))
                error = exc
            except ApiError as exc:
                self._observe(rate_of(exc), sent_at, round_trip_of(exc))
                if isinstance(exc, RequestRejectedError):
                    raise
                raise _Stop(f"the API refused it ({exc.message})", exc) from None
            else:
                self._observe(
                    getattr(answer, "rate", None), sent_at, getattr(answer, "round_trip", None)
                )
                return answer
            self.outcome.retries += 1
            if error.status == 429:
                self.outcome.rate_limited += 1
            delay = retries.delay_after(error)
            if delay is None:
                raise _Stop(f"the server kept failing ({error.message})", error)
            if error.status == 429:
                if self._note is not None:
                    self._note(f"opt-out updates: rate limited (429); waiting {delay:.1f}s")
                self._budget.penalise(delay)
                continue
            self._sleep(delay)

    def _observe(self, rate: Any, sent_at: float, round_trip: float | None) -> None:
        try:
            self._budget.observe(rate, sent_at=sent_at, round_trip=round_trip)
        except StorageError as exc:
            raise _Stop(f"the run stopped ({exc})", exc) from None


class UpdateJournal(Protocol):
    """What the stage needs of the run's journal (:class:`foxreach_cli.resume.Resume`)."""

    def opt_out_queued(self, update: OptOutUpdate) -> None: ...

    def opt_out_done(self, update: OptOutUpdate, result: OptOutUpdateInfo) -> None: ...


class OptOutStage:
    """The run's opt-out updates from first to last: queued as dedup and the answers find
    them (:meth:`carried`, :meth:`answered`), journaled when queued, done once every batch
    is answered (:meth:`run`), or reported not done (:meth:`leave`). Every update queued
    ends in the report with one outcome (``report``: the fold's ``add``)."""

    def __init__(
        self,
        report: Callable[[OptOutUpdateInfo], None],
        *,
        journal: UpdateJournal | None = None,
        done: dict[tuple[str, str], str] | None = None,
        pending: Iterable[OptOutUpdate] = (),
        on_storage_failure: Callable[[StorageError], None] = lambda exc: None,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.queue = UpdateQueue(done)
        self._report = report
        self._journal = journal
        self._storage_failed = on_storage_failure
        self._note = note
        self.failure: StorageError | None = None  # the journal could not be written
        for update in pending:  # journaled by an earlier run already
            self.queue.add(update)

    def add(self, update: OptOutUpdate) -> None:
        """Queue an update, and journal it before anything is sent for it."""
        if self.queue.add(update) and self._journal is not None:
            try:
                self._journal.opt_out_queued(update)
            except StorageError as exc:
                self._journal = None
                self._storage_failed(exc)

    def carried(self, file: str, duplicates: pd.DataFrame) -> None:
        """Queue the late carries of a chunk's duplicates (:func:`late_carries`)."""
        for update in late_carries(file, duplicates):
            self.add(update)

    def answered(self, batch: Batch, outcome: BatchOutcome) -> None:
        """Queue the opted-out rows of an answered batch found in the workspace already
        (:func:`in_workspace`); call it before the batch's answer is journaled."""
        for update in in_workspace(batch, outcome):
            self.add(update)

    def run(
        self,
        client: FoxReachClient,
        budget: Budget,
        policy: SendPolicy,
        *,
        tick: Callable[[], None] | None = None,
    ) -> UpdatesOutcome:
        """Do every queued update (see :class:`OptOutUpdater`); ``tick`` is called after
        each (the display's clock), and a note says how far they are every
        :data:`NOTE_EVERY` seconds."""
        total = len(self.queue)
        if not total:
            return UpdatesOutcome()
        self._say(
            f"opt-out updates: {total:,} lead{'s' if total != 1 else ''} to look up and opt "
            "out in the workspace"
        )
        said = time.monotonic()
        done = 0

        def after(update: OptOutUpdate, result: OptOutUpdateInfo) -> None:
            nonlocal said, done
            self._done(update, result)
            done += 1
            if time.monotonic() - said >= NOTE_EVERY and done < total:
                said = time.monotonic()
                self._say(f"opt-out updates: {done:,} of {total:,} done")
            if tick is not None:
                tick()

        updater = OptOutUpdater(client, budget, policy, note=self._note)
        outcome = updater.run(self.queue, after, halt=self._halted)
        if outcome.fatal is None and self.failure is not None:
            outcome.fatal = self.failure
        return outcome

    def _say(self, text: str) -> None:
        if self._note is not None:
            self._note(text)

    def _halted(self) -> str | None:
        return None if self.failure is None else f"the run stopped ({self.failure})"

    def leave(self, outcome: str, reason: str = "") -> None:
        """Report every update still queued with ``outcome`` (a dry run's ``wouldCheck``,
        or ``notDone`` with ``reason`` when the run stopped first)."""
        for update in self.queue:
            self._report(info(update, outcome, reason=reason))
            self.queue.settle(update)

    def _done(self, update: OptOutUpdate, result: OptOutUpdateInfo) -> None:
        if self._journal is not None:
            try:
                self._journal.opt_out_done(update, result)
            except StorageError as exc:
                self._journal = None
                self.failure = exc
                self._storage_failed(exc)
        self._report(result)
        self.queue.settle(update)
