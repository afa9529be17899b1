"""Leads in SQLite: one table, a unique index on (workspace, email_key), a transaction per write.

A workspace is the SHA-256 hex digest of an API key (kept once in ``workspaces``; leads refer to
it by a small integer), so the key itself is never stored. Deleting
a lead sets ``deleted_at`` and keeps the row, which lets an import restore it later; the unique
index therefore covers deleted rows too and an email has at most one row per workspace.

Every write runs in ``BEGIN IMMEDIATE ... COMMIT`` under the store's lock: a request is stored
whole or not at all, also if the process dies mid-request (SQLite's journal rolls back on open).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

from .config import MEMORY_DB

SCHEMA_VERSION = 1
Outcome = Literal["created", "restored", "duplicate"]

# (camelCase field in the API, column in the table) for the plain text fields.
TEXT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("firstName", "first_name"),
    ("lastName", "last_name"),
    ("company", "company"),
    ("title", "title"),
    ("phone", "phone"),
    ("linkedinUrl", "linkedin_url"),
    ("website", "website"),
    ("notes", "notes"),
    ("source", "source"),
    ("status", "status"),
)
_TEXT_COLS = ", ".join(column for _, column in TEXT_COLUMNS)
_SELECT_COLS = (
    f"seq, id, email, email_key, {_TEXT_COLS}, custom_fields, tags, "
    "last_contacted_at, created_at, updated_at, deleted_at"
)
_INSERT_SQL = (
    f"INSERT INTO leads (seq, id, workspace, email, email_key, {_TEXT_COLS}, custom_fields, tags, "
    f"created_at, updated_at) VALUES ({', '.join('?' * (len(TEXT_COLUMNS) + 9))})"
)
_RESTORE_SQL = (
    "UPDATE leads SET email = ?, "
    + ", ".join(f"{column} = ?" for _, column in TEXT_COLUMNS)
    + ", custom_fields = ?, tags = ?, updated_at = ?, deleted_at = NULL WHERE seq = ?"
)
# The workspace is a small integer in `leads` (its key hash lives once, in `workspaces`), and a
# lead id embeds its seq (``cld_`` + 10 hex digits of seq + 8 random hex digits), so finding a
# lead by id uses the primary key and `id` needs no index of its own. Against random ids with a
# unique index and a 64-character workspace column, this made a 1000-lead import ~3x cheaper.
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS workspaces (
    wid INTEGER PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS leads (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    workspace INTEGER NOT NULL REFERENCES workspaces (wid),
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    {", ".join(f"{column} TEXT" for _, column in TEXT_COLUMNS)},
    custom_fields TEXT NOT NULL DEFAULT '{{}}',
    tags TEXT NOT NULL DEFAULT '[]',
    last_contacted_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS leads_workspace_email ON leads (workspace, email_key);
"""


_ID_RE = re.compile(r"cld_([0-9a-f]{10})[0-9a-f]{8}")


def _seq_of(lead_id: str) -> int:
    """The seq embedded in a lead id; -1 (matches nothing) for ids the sandbox did not make."""
    match = _ID_RE.fullmatch(lead_id)
    return int(match.group(1), 16) if match else -1


class ContactLimitExceeded(Exception):
    """Storing the request would take the workspace past its plan's contact limit."""

    def __init__(self, limit: int, active: int, incoming: int) -> None:
        super().__init__(
            f"Plan contact limit of {limit} would be exceeded: the workspace has {active} "
            f"active leads and this request would add {incoming}."
        )
        self.limit = limit
        self.active = active
        self.incoming = incoming


class LeadExists(Exception):
    """An active lead with this email already exists in the workspace."""


class Candidate(NamedTuple):
    """One import row that passed the row checks and is the first of its email in the request.

    (A NamedTuple, not a frozen dataclass: 1000 of them are built per request; docs/sandbox.md.)
    """

    email_key: str
    email: str
    lead: dict[str, Any]


def _fast_dumps() -> Callable[[Any], str]:
    """``json.dumps`` with default settings, minus its per-call setup (which dominates on the
    small customFields objects, one per inserted row; docs/sandbox.md); plain ``json.dumps``
    without the C encoder."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.dumps
    encoder = json.JSONEncoder()
    encode = make(
        None,  # no circular-reference markers: values come straight from json.loads
        encoder.default,
        json.encoder.encode_basestring_ascii,
        None,  # no indent
        ": ",
        ", ",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    return lambda obj: "".join(encode(obj, 0))


_dumps = _fast_dumps()


def workspace_of(api_key: str) -> str:
    """The workspace id of an API key: its SHA-256 hex digest."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def email_key(email: str) -> str:
    """The dedup key of an email: trimmed and lower-cased."""
    return email.strip().lower()


def now_iso() -> str:
    """UTC time in the API's timestamp format, e.g. ``2025-01-15T10:30:00``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


class Store:
    """The sandbox's leads. Thread-safe: one connection, serialised by a lock.

    Methods used by the app take ``workspace`` = :func:`workspace_of` (api key); the direct
    reads meant for tests (:meth:`leads`, :meth:`count_active`) take the API key itself.
    """

    def __init__(self, path: str, *, synchronous: str = "NORMAL") -> None:
        """Open (and create if needed) the database at ``path`` or ``":memory:"``.

        Raises ``sqlite3.Error`` or ``OSError`` when the file cannot be opened or is not a
        sandbox database.
        """
        if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
        if path != MEMORY_DB:
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            path = str(Path(path).expanduser())
        self.path = path
        self._lock = threading.Lock()
        self._wids: dict[str, int] = {}
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly
        # one request.
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=10.0
        )
        self._conn.row_factory = sqlite3.Row
        try:
            if path != MEMORY_DB:
                self._conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL: in WAL mode a commit survives a killed process (only an OS crash can lose
            # the last commits); FULL fsyncs every commit and cost a third of the store's
            # throughput (bench_sandbox.py --store-only: 52 vs 34 imports/s of 1000 leads).
            self._conn.execute(f"PRAGMA synchronous={synchronous}")
            self._conn.execute("PRAGMA cache_size=-65536")  # 64 MB: the email index stays hot
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise sqlite3.DatabaseError(
                    f"schema version {version} is not the sandbox's ({SCHEMA_VERSION})"
                )
            self._conn.executescript(_SCHEMA)
            self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            self._conn.close()
            raise

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""
        with self._lock:
            self._conn.close()

    def _wid(self, workspace: str, *, create: bool) -> int | None:
        """A workspace's integer id (caller holds the lock); None if unknown and not ``create``."""
        wid = self._wids.get(workspace)
        if wid is not None:
            return wid
        row = self._conn.execute(
            "SELECT wid FROM workspaces WHERE key_hash = ?", (workspace,)
        ).fetchone()
        if row is None:
            if not create:
                return None
            # Its own tiny autocommit transaction: a workspace may exist with no leads. OR IGNORE:
            # another sandbox process on the same file may have just added it.
            self._conn.execute(
                "INSERT OR IGNORE INTO workspaces (key_hash) VALUES (?)", (workspace,)
            )
            row = self._conn.execute(
                "SELECT wid FROM workspaces WHERE key_hash = ?", (workspace,)
            ).fetchone()
        wid = int(row[0])
        self._wids[workspace] = wid
        return wid

    @contextmanager
    def _transaction(self, workspace: str) -> Iterator[tuple[sqlite3.Connection, int]]:
        with self._lock:
            wid = self._wid(workspace, create=True)
            assert wid is not None
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn, wid
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- writes used by the app ---------------------------------------------------------------

    def apply_import(
        self,
        workspace: str,
        candidates: Sequence[Candidate],
        *,
        restore: bool,
        contact_limit: int | None,
    ) -> list[Outcome]:
        """Store the candidates of one import request; return each one's outcome, in order.

        An active lead with the same key, or a deleted one when ``restore`` is false, makes a
        duplicate. Restores merge: present fields overwrite, customFields merge key-wise, tags
        union. Raises :class:`ContactLimitExceeded` (nothing stored) when active leads plus
        created plus restored would exceed ``contact_limit``.
        """
        now = now_iso()
        with self._transaction(workspace) as (conn, wid):
            existing = _rows_by_key(conn, wid, [c.email_key for c in candidates])
            outcomes: list[Outcome] = []
            new: list[Candidate] = []
            restores: list[tuple[Any, ...]] = []
            for cand in candidates:
                row = existing.get(cand.email_key)
                if row is None:
                    new.append(cand)
                    outcomes.append("created")
                elif row["deleted_at"] is None or not restore:
                    outcomes.append("duplicate")
                else:
                    restores.append(_restore_values(row, cand, now))
                    outcomes.append("restored")
            _check_limit(conn, wid, len(new) + len(restores), contact_limit)
            if new:
                conn.executemany(_INSERT_SQL, _insert_values(conn, wid, new, now))
            if restores:
                conn.executemany(_RESTORE_SQL, restores)
        return outcomes

    def create_lead(
        self, workspace: str, email: str, lead: dict[str, Any], *, contact_limit: int | None
    ) -> dict[str, Any]:
        """Create one lead (or restore a deleted one with that email, merging); return it.

        Raises :class:`LeadExists` when an active lead has the email, and
        :class:`ContactLimitExceeded` when the plan is full.
        """
        cand = Candidate(email_key(email), email, lead)
        now = now_iso()
        with self._transaction(workspace) as (conn, wid):
            row = _rows_by_key(conn, wid, [cand.email_key]).get(cand.email_key)
            if row is not None and row["deleted_at"] is None:
                raise LeadExists(email)
            _check_limit(conn, wid, 1, contact_limit)
            if row is None:
                conn.executemany(_INSERT_SQL, _insert_values(conn, wid, [cand], now))
            else:
                conn.execute(_RESTORE_SQL, _restore_values(row, cand, now))
            created = _rows_by_key(conn, wid, [cand.email_key])[cand.email_key]
        return _lead_json(created)

    def update_lead(
        self, workspace: str, lead_id: str, fields: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Set the given fields of an active lead (``PATCH /leads/{id}``); return it, or None
        when the workspace has no such active lead.

        ``fields`` are create fields already type-checked: given text fields are replaced,
        ``customFields`` and ``tags`` replaced whole. Raises :class:`LeadExists` when a new
        email belongs to another lead of the workspace (deleted ones included: the email
        index covers them).
        """
        now = now_iso()
        seq = _seq_of(lead_id)
        with self._transaction(workspace) as (conn, wid):
            row = conn.execute(
                f"SELECT {_SELECT_COLS} FROM leads "
                "WHERE seq = ? AND id = ? AND workspace = ? AND deleted_at IS NULL",
                (seq, lead_id, wid),
            ).fetchone()
            if row is None:
                return None
            sets: dict[str, Any] = {
                column: fields[name] for name, column in TEXT_COLUMNS if name in fields
            }
            if "email" in fields:
                key = email_key(fields["email"])
                other = _rows_by_key(conn, wid, [key]).get(key)
                if other is not None and other["seq"] != seq:
                    raise LeadExists(fields["email"])
                sets["email"], sets["email_key"] = fields["email"], key
            if "customFields" in fields:
                sets["custom_fields"] = json.dumps(fields["customFields"])
            if "tags" in fields:
                sets["tags"] = json.dumps(_unique(fields["tags"]))
            sets["updated_at"] = now
            assignments = ", ".join(f"{column} = ?" for column in sets)
            conn.execute(f"UPDATE leads SET {assignments} WHERE seq = ?", (*sets.values(), seq))
            updated = conn.execute(
                f"SELECT {_SELECT_COLS} FROM leads WHERE seq = ?", (seq,)
            ).fetchone()
        return _lead_json(updated)

    def delete_lead(self, workspace: str, lead_id: str) -> bool:
        """Soft-delete an active lead; False when the workspace has no such active lead."""
        now = now_iso()
        with self._transaction(workspace) as (conn, wid):
            cur = conn.execute(
                "UPDATE leads SET deleted_at = ?, updated_at = ? "
                "WHERE seq = ? AND id = ? AND workspace = ? AND deleted_at IS NULL",
                (now, now, _seq_of(lead_id), lead_id, wid),
            )
            return cur.rowcount == 1

    # -- reads used by the app ----------------------------------------------------------------

    def get_lead(self, workspace: str, lead_id: str) -> dict[str, Any] | None:
        """The active lead with this id in this workspace, or None."""
        with self._lock:
            wid = self._wid(workspace, create=False)
            row = self._conn.execute(
                f"SELECT {_SELECT_COLS} FROM leads "
                "WHERE seq = ? AND id = ? AND workspace = ? AND deleted_at IS NULL",
                (_seq_of(lead_id), lead_id, wid),
            ).fetchone()
        return None if row is None else _lead_json(row)

    def list_leads(
        self,
        workspace: str,
        *,
        page: int,
        page_size: int,
        search: str | None = None,
        status: str | None = None,
        email: str | None = None,
        tags: Sequence[str] = (),
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of active leads in insertion order, and the total that match.

        ``search`` is a case-insensitive substring of email, first/last name or company;
        ``email`` an exact case-insensitive match; ``tags`` keeps leads having any of them.
        """
        where = ["workspace = ?", "deleted_at IS NULL"]
        params: list[Any] = []
        if status:
            where.append("status = ?")
            params.append(status)
        if email:
            where.append("email_key = ?")
            params.append(email_key(email))
        if search:
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(
                "(email LIKE ? ESCAPE '\\' OR first_name LIKE ? ESCAPE '\\' "
                "OR last_name LIKE ? ESCAPE '\\' OR company LIKE ? ESCAPE '\\')"
            )
            params.extend([f"%{escaped}%"] * 4)
        if tags:
            where.append(
                "EXISTS (SELECT 1 FROM json_each(leads.tags) AS t "
                "WHERE t.value IN (SELECT value FROM json_each(?)))"
            )
            params.append(json.dumps(list(tags)))
        clause = " AND ".join(where)
        with self._lock:
            wid = self._wid(workspace, create=False)
            args = [wid, *params]
            total = self._conn.execute(f"SELECT count(*) FROM leads WHERE {clause}", args)
            total_count = int(total.fetchone()[0])
            rows = self._conn.execute(
                f"SELECT {_SELECT_COLS} FROM leads WHERE {clause} ORDER BY seq LIMIT ? OFFSET ?",
                [*args, page_size, (page - 1) * page_size],
            ).fetchall()
        return [_lead_json(row) for row in rows], total_count

    # -- direct reads for tests (by API key) -------------------------------------------------

    def leads(self, api_key: str) -> list[dict[str, Any]]:
        """Every lead of the key's workspace, deleted ones included (with ``deletedAt``)."""
        with self._lock:
            wid = self._wid(workspace_of(api_key), create=False)
            rows = self._conn.execute(
                f"SELECT {_SELECT_COLS} FROM leads WHERE workspace = ? ORDER BY seq", (wid,)
            ).fetchall()
        return [_lead_json(row, with_deleted=True) for row in rows]

    def count_active(self, api_key: str) -> int:
        """How many active (not deleted) leads the key's workspace has."""
        with self._lock:
            wid = self._wid(workspace_of(api_key), create=False)
            return 0 if wid is None else _count_active(self._conn, wid)


# -- helpers (the caller holds the store's lock) --------------------------------------------


def _count_active(conn: sqlite3.Connection, wid: int) -> int:
    cur = conn.execute(
        "SELECT count(*) FROM leads WHERE workspace = ? AND deleted_at IS NULL", (wid,)
    )
    return int(cur.fetchone()[0])


def _check_limit(conn: sqlite3.Connection, wid: int, incoming: int, limit: int | None) -> None:
    if limit is None or incoming == 0:
        return
    active = _count_active(conn, wid)
    if active + incoming > limit:
        raise ContactLimitExceeded(limit, active, incoming)


def _rows_by_key(conn: sqlite3.Connection, wid: int, keys: Sequence[str]) -> dict[str, Any]:
    if not keys:
        return {}
    # One statement for the whole batch: the keys travel as a single JSON parameter.
    rows = conn.execute(
        f"SELECT {_SELECT_COLS} FROM leads WHERE workspace = ? "
        "AND email_key IN (SELECT value FROM json_each(?))",
        (wid, json.dumps(keys)),
    ).fetchall()
    return {row["email_key"]: row for row in rows}


def _insert_values(
    conn: sqlite3.Connection, wid: int, cands: Sequence[Candidate], now: str
) -> list[tuple[Any, ...]]:
    """Rows for INSERT. Inside the write transaction, so max(seq) + 1... is ours alone."""
    first = int(conn.execute("SELECT coalesce(max(seq), 0) FROM leads").fetchone()[0]) + 1
    salt = os.urandom(4 * len(cands)).hex()  # 8 random hex chars per id, one syscall
    dumps = _dumps
    tags_cache: dict[tuple[str, ...], str] = {}  # most rows of a file share their tags
    out = []
    for n, cand in enumerate(cands):
        get = cand.lead.get
        custom = get("customFields")
        tags = tuple(get("tags") or ())
        tags_json = tags_cache.get(tags)
        if tags_json is None:
            tags_json = tags_cache[tags] = dumps(_unique(tags))
        seq = first + n
        out.append(
            (
                seq,
                f"cld_{seq:010x}{salt[8 * n : 8 * n + 8]}",
                wid,
                cand.email,
                cand.email_key,
                get("firstName"),
                get("lastName"),
                get("company"),
                get("title"),
                get("phone"),
                get("linkedinUrl"),
                get("website"),
                get("notes"),
                get("source") or "api",
                get("status") or "active",
                dumps(custom) if custom else "{}",
                tags_json,
                now,
                now,
            )
        )
    return out


def _restore_values(row: sqlite3.Row, cand: Candidate, now: str) -> tuple[Any, ...]:
    lead = cand.lead
    texts = [
        row[column] if lead.get(field) is None else lead[field] for field, column in TEXT_COLUMNS
    ]
    custom = {**json.loads(row["custom_fields"]), **(lead.get("customFields") or {})}
    tags = _unique([*json.loads(row["tags"]), *(lead.get("tags") or [])])
    return (cand.email, *texts, json.dumps(custom), json.dumps(tags), now, row["seq"])


def _lead_json(row: sqlite3.Row, *, with_deleted: bool = False) -> dict[str, Any]:
    """A row as the API's lead object (field order as on the create-lead page)."""
    lead: dict[str, Any] = {
        "id": row["id"],
        "email": row["email"],
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "company": row["company"],
        "title": row["title"],
        "phone": row["phone"],
        "linkedinUrl": row["linkedin_url"],
        "website": row["website"],
        "customFields": json.loads(row["custom_fields"]),
        "tags": json.loads(row["tags"]),
        "notes": row["notes"],
        "source": row["source"],
        "status": row["status"],
        "lastContactedAt": row["last_contacted_at"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }
    if with_deleted:
        lead["deletedAt"] = row["deleted_at"]
    return lead
