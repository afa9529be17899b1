"""The resume journal: what was sent of each input file, and what the server answered.

One SQLite database in the state directory. An input file is identified by the SHA-256 of
its content (a renamed copy is the same file, an edited one is new) and a destination by the
base URL plus a fingerprint of the key (never the key). Per batch, the journal records the
rows it carried *before* the request goes out (state ``sent``) and the outcome of each row once
the answer is merged (state ``done``). A run that dies leaves ``sent`` batches whose fate is
unknown: the next run re-sends those rows and reports their duplicates as probably created by
the earlier attempt. Rows of ``done`` batches are not sent again; their earlier outcome is
merged into the new report, marked as such.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import orjson

from ..errors import (
    STORAGE_EXCEPTIONS,
    LockedError,
    StorageError,
    is_disk_full,
    storage_error,
    storage_errors,
)
from ..reasons import ReasonCode, recorded_reason
from ..stage_data import IMPORTED, NOT_SENT, BatchOutcome, RowFate, Tally
from . import ensure_private_dir

if TYPE_CHECKING:
    # numpy is imported where rows are settled: `foxreach runs` lists runs without it.
    import numpy as np

#: Row kinds whose per-row detail a rerun does not need (imported rows are only counted).
_NOT_DETAILS = (IMPORTED, NOT_SENT)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    destination TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,             -- 'running' or 'done'
    updated_at REAL NOT NULL,
    summary TEXT,                     -- JSON counts of the run that finished it
    PRIMARY KEY (destination, content_hash)
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    rows TEXT NOT NULL,               -- JSON list of the spreadsheet rows the request carried
    state TEXT NOT NULL,              -- 'sent' (no answer recorded yet) or 'done'
    outcome TEXT,                     -- JSON {counts, rows: {row: [kind, email, code, params]}}
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_by_file ON batches (destination, content_hash);
CREATE TABLE IF NOT EXISTS opt_out_updates (
    destination TEXT NOT NULL,
    content_hash TEXT NOT NULL,       -- the file whose row opted out
    email_key TEXT NOT NULL,          -- trimmed, lowercased
    email TEXT NOT NULL,
    status TEXT NOT NULL,             -- unsubscribed or bounced
    row INTEGER NOT NULL,             -- the spreadsheet row that opted out
    state TEXT NOT NULL,              -- 'pending' or 'done'
    outcome TEXT,                     -- JSON {outcome, before, reason} once done
    updated_at REAL NOT NULL,
    PRIMARY KEY (destination, content_hash, email_key)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    name TEXT NOT NULL,               -- the file as the user named it
    path TEXT,                        -- its absolute path then (NULL for stdin)
    started_at REAL NOT NULL,
    ended_at REAL,
    status TEXT NOT NULL,             -- running, finished, reproduced, stopped, interrupted
    summary TEXT,                     -- JSON counts of the file at the end of the run
    options TEXT                      -- JSON of the options the file was read and mapped with
);
"""

#: How a run of one file ended (``runs.status``).
RUNNING, FINISHED, REPRODUCED, STOPPED, INTERRUPTED = (
    "running",
    "finished",
    "reproduced",
    "stopped",
    "interrupted",
)


# An opt-out status as a number in SQL: unsubscribed wins over bounced.
_RANK = "(CASE {} WHEN 'unsubscribed' THEN 2 WHEN 'bounced' THEN 1 ELSE 0 END)"


@dataclass(frozen=True)
class OptOutRecord:
    """One opt-out update as the journal keeps it."""

    key: str
    email: str
    status: str
    row: int
    done: bool
    outcome: dict[str, Any]  # {outcome, before, reason} once done


@dataclass(frozen=True)
class RunRecord:
    """One run of one file, as ``foxreach runs`` lists it."""

    id: int
    destination: str
    content_hash: str
    name: str
    path: str | None
    started_at: float
    ended_at: float | None
    status: str
    summary: Tally | None  # the file's counts when the run ended (None: it has not)
    options: dict[str, Any]


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file's content, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def key_fingerprint(api_key: str) -> str:
    """A short, one-way fingerprint of the key: safe to store and show."""
    return hashlib.sha256(("foxreach:" + api_key).encode()).hexdigest()[:16]


def destination_id(base_url: str, api_key: str) -> str:
    """Where a run imports to: base URL and key fingerprint, never the key itself."""
    return f"{base_url.rstrip('/')}#{key_fingerprint(api_key)}"


def _no_rows() -> np.ndarray:
    import numpy as np

    return np.empty(0, dtype=np.int64)


@dataclass
class FileHistory:
    """What the journal knows of one file at one destination."""

    done: bool = False
    finished_at: float | None = None
    summary: Tally = field(default_factory=Tally)  # of the run that finished it
    # Batches the server answered: their counts, and the rows it did not import (duplicates,
    # errors, unresolved); imported rows are only counted, so a large file costs little.
    answered: list[BatchOutcome] = field(default_factory=list)
    # Rows whose fate is known, never to be sent again (sorted int64: 8 bytes a row).
    settled: np.ndarray = field(default_factory=_no_rows)
    uncertain: set[int] = field(default_factory=set)  # sent, answer unknown: resend, flagged


def _fate(value: list[Any]) -> RowFate:
    """A row's fate as stored: ``[kind, email, code, params]``, or ``[kind, email, reason]``
    as a journal written before reasons had codes keeps it."""
    if len(value) == 3:
        why = recorded_reason(value[2])
        return value[0], value[1], why.code, why.params
    return value[0], value[1], ReasonCode.parse(value[2]), tuple(value[3])


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _guarded(
    method: Callable[Concatenate[Journal, _P], _T],
) -> Callable[Concatenate[Journal, _P], _T]:
    """Run a journal method inside the storage boundary (disk full, folder removed, ...)."""

    @functools.wraps(method)
    def wrapper(self: Journal, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with self._guard():
            try:
                return method(self, *args, **kwargs)
            except STORAGE_EXCEPTIONS as exc:
                # The disk is full: give the reserve's room back and write again (the failed
                # statement was rolled back), so the answers in hand are still recorded.
                if not (is_disk_full(exc) and self._release_reserve(exc)):
                    raise
            return method(self, *args, **kwargs)

    return wrapper


#: The least and the most room the journal keeps in reserve (see :func:`reserve_bytes`).
MIN_RESERVE = 1 << 20
MAX_RESERVE = 32 << 20
#: What recording one answered row may take on disk: its outcome entry (~50 bytes of JSON),
#: SQLite's pages, and the same pages again in the write-ahead log before a checkpoint.
RESERVE_PER_ROW = 150


def reserve_bytes(in_flight: int, batch_size: int) -> int:
    """The room to keep for recording the answers of every request in flight and the run's
    end once the disk is full: ``in_flight`` batches of ``batch_size`` rows, within
    :data:`MIN_RESERVE` and :data:`MAX_RESERVE`."""
    need = in_flight * batch_size * RESERVE_PER_ROW
    return max(MIN_RESERVE, min(MAX_RESERVE, need))


class Reserve:
    """A preallocated file in the state directory whose room the journal takes back when
    its disk is full (docs/journal.md, "A full disk").

    ``take`` allocates it (before anything is sent: a disk too full for it stops the run
    first); ``release`` deletes it, once; ``close`` deletes it at the end of the run.
    """

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size
        self.held = False

    def take(self) -> None:
        """Allocate the file (raises OSError, e.g. ENOSPC)."""
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            try:
                os.posix_fallocate(fd, 0, self.size)
            except (AttributeError, OSError) as exc:  # no fallocate here: write the bytes
                if isinstance(exc, OSError) and exc.errno not in _NO_FALLOCATE:
                    raise
                block = bytes(1 << 20)
                done = 0
                while done < self.size:
                    done += os.write(fd, block[: self.size - done])
            os.fsync(fd)
        finally:
            os.close(fd)
        self.held = True

    def release(self) -> bool:
        """Delete the file; True when it was held (so its room is free now)."""
        held, self.held = self.held, False
        with contextlib.suppress(OSError):
            self.path.unlink()
        return held


#: What ``posix_fallocate`` raises where the file system cannot preallocate.
_NO_FALLOCATE = (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS)


#: What a damaged record raises while it is decoded (bad JSON, a field of the wrong shape).
_DAMAGE = (ValueError, KeyError, TypeError, IndexError, AttributeError)


#: How long a journal write waits for another process's transaction before the run's
#: ``--lock-timeout`` applies: transactions last milliseconds, so runs on different files
#: share one journal side by side.
BUSY_WAIT = 3.0
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


@contextmanager
def _journal_errors(path: Path) -> Iterator[None]:
    """OS and SQLite errors, and records that cannot be decoded, as one sentence each."""
    with storage_errors(path, option="state_dir", action="used"):
        try:
            yield
        except sqlite3.OperationalError as exc:
            # The extended code's low byte is the primary code (SQLITE_BUSY_SNAPSHOT...).
            if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) not in _BUSY_CODES:
                raise
            raise LockedError(
                f"The import journal {path} is held by another process; wait for it to "
                "finish, or give --lock-timeout more seconds."
            ) from None
        except _DAMAGE as exc:
            raise StorageError(
                f"{path} holds a damaged record ({type(exc).__name__}: {exc}); move the file "
                "away to start a new import history (what was imported is not sent again only "
                "while it is there).",
                option="state_dir",
            ) from None


_RUN_COLUMNS = (
    "id, destination, content_hash, name, path, started_at, ended_at, status, summary, options"
)


def _record(row: tuple[Any, ...]) -> RunRecord:
    return RunRecord(
        id=row[0],
        destination=row[1],
        content_hash=row[2],
        name=row[3],
        path=row[4],
        started_at=row[5],
        ended_at=row[6],
        status=row[7],
        summary=Tally.from_json(json.loads(row[8])) if row[8] else None,
        options=_json_object(row[9]),
    )


def _json_object(text: str | None) -> dict[str, Any]:
    """A stored JSON object (``{}`` for none); anything else is a damaged record."""
    if not text:
        return {}
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("a stored record is not a JSON object")
    return data


class Journal:
    """The resume journal of one state directory. Used from one thread."""

    @classmethod
    def read_only(cls, state_dir: str | Path) -> Journal | None:
        """The journal opened for reading, changing nothing (None when there is none yet)."""
        self = cls.__new__(cls)
        self.dir = Path(state_dir)
        self.path = self.dir / "journal.sqlite"
        self._reserve, self.short_of_room = None, None
        if not self.path.exists():
            try:
                os.stat(self.path)
            except OSError as exc:  # exists() is False for a link that loops: not "no history"
                if exc.errno == errno.ELOOP:
                    raise storage_error(exc, self.path, option="state_dir", action="read") from None
            return None
        with storage_errors(self.path, option="state_dir", action="read"):
            self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        if "runs" not in tables:  # written by a foxreach that kept no run history
            self.db.close()
            return None
        return self

    def __init__(
        self, state_dir: str | Path, *, lock_timeout: float = 0.0, reserve: Reserve | None = None
    ) -> None:
        """Open (or create) the journal; a write waits :data:`BUSY_WAIT` plus
        ``lock_timeout`` seconds for another process's transaction, then
        raises ``LockedError``. ``reserve`` is allocated now and released when a write
        finds the disk full (:attr:`short_of_room` then says so)."""
        self.dir = Path(state_dir)
        self.path = self.dir / "journal.sqlite"
        self._reserve: Reserve | None = None
        #: Set once a write found the disk full and used the reserve's room: the journal
        #: still records, but the run must stop sending.
        self.short_of_room: StorageError | None = None
        # SQLite creates the database and its -wal/-shm files with the process umask: make
        # them owner-only while they come into being.
        old_umask = os.umask(0o077)
        try:
            with self._guard():
                ensure_private_dir(self.dir)
                self.db = sqlite3.connect(
                    self.path, timeout=BUSY_WAIT + lock_timeout, isolation_level=None
                )
                self.db.execute("PRAGMA journal_mode=WAL")
                # a confirmed batch must survive power loss
                self.db.execute("PRAGMA synchronous=FULL")
                self.db.executescript(_SCHEMA)
        finally:
            os.umask(old_umask)
        if reserve is not None:
            try:
                with storage_errors(reserve.path, option="state_dir"):
                    reserve.take()
            except StorageError:
                reserve.release()  # what was allocated of it
                self.db.close()
                raise
            self._reserve = reserve

    def _release_reserve(self, exc: BaseException) -> bool:
        """Free the reserve's room after ``exc`` (a full disk); False when there is none."""
        if self._reserve is None or not self._reserve.release():
            return False
        self.short_of_room = storage_error(exc, self.path, option="state_dir")
        return True

    def _guard(self) -> AbstractContextManager[None]:
        """The storage boundary for every database access: one sentence naming the file."""
        return _journal_errors(self.path)

    def close(self) -> None:
        """Close the database (and give the reserve's room back)."""
        if self._reserve is not None:
            self._reserve.release()
        self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------
    @_guarded
    def history(self, destination: str, content_hash: str) -> FileHistory:
        """Everything recorded of a file at a destination."""
        import numpy as np

        hist = FileHistory()
        row = self.db.execute(
            "SELECT status, updated_at, summary FROM files WHERE destination=? AND content_hash=?",
            (destination, content_hash),
        ).fetchone()
        if row is not None:
            hist.done = row[0] == "done"
            hist.finished_at = row[1] if hist.done else None
            if hist.done and row[2]:
                hist.summary = Tally.from_json(json.loads(row[2]))
        settled: list[np.ndarray] = []
        for rows, outcome in self.db.execute(
            "SELECT rows, outcome FROM batches WHERE destination=? AND content_hash=?",
            (destination, content_hash),
        ):
            sent = orjson.loads(rows)
            if outcome is None:  # sent, no answer recorded: the run died while it was out
                hist.uncertain.update(sent)
                continue
            data = orjson.loads(outcome)
            known: dict[str, list[Any]] = data["rows"]
            answered = [int(r) for r, v in known.items() if v[0] != NOT_SENT]
            settled.append(np.asarray(answered, dtype=np.int64))
            details = {int(r): _fate(v) for r, v in known.items() if v[0] not in _NOT_DETAILS}
            counts = Tally.from_json(data["counts"])  # named keys, or the previous version's list
            hist.answered.append(BatchOutcome(counts=counts, rows=details))
            if len(known) < len(sent):
                hist.uncertain.update(r for r in sent if str(r) not in known)
        if settled:
            hist.settled = np.unique(np.concatenate(settled))
        if hist.uncertain and len(hist.settled):
            done = np.isin(np.fromiter(hist.uncertain, dtype=np.int64), hist.settled)
            hist.uncertain = {r for r, d in zip(hist.uncertain, done.tolist()) if not d}
        return hist

    @_guarded
    def runs(self, limit: int | None = None) -> list[RunRecord]:
        """The runs recorded, newest first."""
        sql = f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY started_at DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_record(row) for row in self.db.execute(sql)]

    @_guarded
    def run(self, run_id: int) -> RunRecord | None:
        """One recorded run, or None."""
        row = self.db.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id=?", (run_id,)).fetchone()
        return _record(row) if row is not None else None

    # -- writing ---------------------------------------------------------------------------
    @_guarded
    def run_started(
        self,
        destination: str,
        content_hash: str,
        name: str,
        path: str | None,
        options: dict[str, Any],
    ) -> int:
        """Record that a run starts on a file, read with ``options``; returns the run's id."""
        cur = self.db.execute(
            "INSERT INTO runs "
            "(destination, content_hash, name, path, started_at, status, options) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (destination, content_hash, name, path, time.time(), RUNNING, json.dumps(options)),
        )
        return int(cur.lastrowid or 0)

    @_guarded
    def run_ended(self, run_id: int, status: str, summary: Tally) -> None:
        """Record how a run of a file ended, with the file's counts."""
        self.db.execute(
            "UPDATE runs SET ended_at=?, status=?, summary=? WHERE id=?",
            (time.time(), status, json.dumps(summary.to_json()), run_id),
        )

    @_guarded
    def start_file(self, destination: str, content_hash: str, name: str) -> None:
        """Note that a run is working on a file."""
        self.db.execute(
            "INSERT INTO files VALUES (?, ?, ?, 'running', ?, NULL) "
            "ON CONFLICT(destination, content_hash) DO UPDATE SET "
            "status='running', name=excluded.name, updated_at=excluded.updated_at",
            (destination, content_hash, name, time.time()),
        )

    @_guarded
    def forget_file(self, destination: str, content_hash: str) -> None:
        """Drop everything known of a file (``--force``)."""
        with self.db:
            self.db.execute("BEGIN")
            for table in ("files", "batches", "opt_out_updates"):
                self.db.execute(
                    f"DELETE FROM {table} WHERE destination=? AND content_hash=?",
                    (destination, content_hash),
                )

    @_guarded
    def batch_sent(self, destination: str, content_hash: str, rows: list[int]) -> int:
        """Record, before the request goes out, the rows it is about to carry; returns the
        batch's journal id."""
        cur = self.db.execute(
            "INSERT INTO batches (destination, content_hash, rows, state, outcome, updated_at) "
            "VALUES (?, ?, ?, 'sent', NULL, ?)",
            (destination, content_hash, orjson.dumps(rows).decode(), time.time()),
        )
        return int(cur.lastrowid or 0)

    @_guarded
    def batch_done(self, batch_id: int, outcome: BatchOutcome) -> None:
        """Record what the server answered for a batch. Rows of the batch without an entry
        in ``outcome.rows`` stay uncertain for the next run."""
        # orjson: row numbers become string keys and tuples arrays, as json.loads reads them
        # back; ~10x cheaper than json.dumps on a 1000-row outcome, once per batch.
        data = orjson.dumps(
            {"counts": outcome.counts.to_json(), "rows": outcome.rows},
            option=orjson.OPT_NON_STR_KEYS,
        ).decode()
        self.db.execute(
            "UPDATE batches SET state='done', outcome=?, updated_at=? WHERE id=?",
            (data, time.time(), batch_id),
        )

    @_guarded
    def rows_excluded(self, destination: str, content_hash: str, rows: dict[int, RowFate]) -> None:
        """Record rows of a file that a hygiene rule left out (never sent), with their
        reasons: stored as a batch already ``done`` whose counts are zero and whose rows are
        all of kind ``excluded``, so that :meth:`history` settles them and brings their
        reasons back like any answered row's."""
        outcome = orjson.dumps(
            {"counts": Tally().to_json(), "rows": rows}, option=orjson.OPT_NON_STR_KEYS
        ).decode()
        self.db.execute(
            "INSERT INTO batches (destination, content_hash, rows, state, outcome, updated_at) "
            "VALUES (?, ?, ?, 'done', ?, ?)",
            (destination, content_hash, orjson.dumps(list(rows)).decode(), outcome, time.time()),
        )

    @_guarded
    def opt_out_queued(
        self, destination: str, content_hash: str, key: str, email: str, status: str, row: int
    ) -> None:
        """Record, before anything is sent for it, that the lead with ``key`` must be opted
        out (``status``). A stronger status replaces a weaker one, pending or done (it is
        then pending again); a weaker or equal one changes nothing."""
        self.db.execute(
            "INSERT INTO opt_out_updates VALUES (?, ?, ?, ?, ?, ?, 'pending', NULL, ?) "
            "ON CONFLICT(destination, content_hash, email_key) DO UPDATE SET "
            "email=excluded.email, status=excluded.status, row=excluded.row, "
            "state='pending', outcome=NULL, updated_at=excluded.updated_at "
            f"WHERE {_RANK.format('excluded.status')} > {_RANK.format('opt_out_updates.status')}",
            (destination, content_hash, key, email, status, row, time.time()),
        )

    @_guarded
    def opt_out_done(
        self, destination: str, content_hash: str, key: str, status: str, outcome: dict[str, Any]
    ) -> None:
        """Record what became of the update of ``key`` to ``status`` (unless a stronger
        status was queued meanwhile)."""
        self.db.execute(
            "UPDATE opt_out_updates SET state='done', outcome=?, updated_at=? "
            "WHERE destination=? AND content_hash=? AND email_key=? AND status=?",
            (json.dumps(outcome), time.time(), destination, content_hash, key, status),
        )

    @_guarded
    def opt_out_updates(self, destination: str, content_hash: str) -> list[OptOutRecord]:
        """The opt-out updates recorded for a file, pending and done, in row order."""
        try:
            rows = self.db.execute(
                "SELECT email_key, email, status, row, state, outcome FROM opt_out_updates "
                "WHERE destination=? AND content_hash=? ORDER BY row",
                (destination, content_hash),
            ).fetchall()
        except sqlite3.OperationalError:
            if self.db.execute(  # a journal written before opt-out updates, read only
                "SELECT 1 FROM sqlite_master WHERE name='opt_out_updates'"
            ).fetchone():
                raise
            return []
        return [
            OptOutRecord(key, email, status, row, state == "done", _json_object(outcome))
            for key, email, status, row, state, outcome in rows
        ]

    @_guarded
    def finish_file(self, destination: str, content_hash: str, summary: Tally) -> None:
        """Mark a file fully accounted for at this destination, with its counts."""
        self.db.execute(
            "UPDATE files SET status='done', updated_at=?, summary=? "
            "WHERE destination=? AND content_hash=?",
            (time.time(), json.dumps(summary.to_json()), destination, content_hash),
        )
