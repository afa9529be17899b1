"""The sandbox's campaigns, sequences, templates and webhooks, and which leads and accounts a
campaign has, in SQLite beside the leads (same file, own tables and connection; for
``:memory:`` a memory database of its own). Leads themselves stay in :mod:`.store`.

Objects are kept as the API's JSON (camelCase) in one table, by kind; a campaign's leads in a
table of (workspace, campaign, lead). A workspace is the hash :func:`.store.workspace_of` gives.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .config import MEMORY_DB
from .store import now_iso

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outreach_objects (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    workspace TEXT NOT NULL,
    id TEXT NOT NULL,
    parent TEXT,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS outreach_objects_id ON outreach_objects (workspace, kind, id);
CREATE TABLE IF NOT EXISTS campaign_members (
    workspace TEXT NOT NULL,
    campaign TEXT NOT NULL,
    kind TEXT NOT NULL,
    member TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (workspace, campaign, kind, member)
);
"""
#: Id prefix per kind of object.
PREFIXES = {"campaign": "cmp_", "sequence": "seq_", "template": "tpl_", "webhook": "wh_"}


def new_id(kind: str) -> str:
    """A fresh id for an object of ``kind`` (prefix + 16 random hex digits)."""
    return PREFIXES[kind] + os.urandom(8).hex()


class OutreachStore:
    """Campaign-side objects of every workspace. Thread-safe: one connection, one lock."""

    def __init__(self, path: str) -> None:
        """Open (and create) the tables in the database at ``path`` or ``":memory:"``."""
        if path != MEMORY_DB:
            path = str(Path(path).expanduser())
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=10.0
        )
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.executescript(_SCHEMA)
        except BaseException:
            self._conn.close()
            raise

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- objects ----------------------------------------------------------------------------

    def create(
        self, kind: str, workspace: str, body: dict[str, Any], parent: str | None = None
    ) -> dict[str, Any]:
        """Store a new object (``body`` without id and timestamps); return it as stored."""
        now = now_iso()
        obj = {"id": new_id(kind), **body, "createdAt": now, "updatedAt": now}
        with self._write() as conn:
            conn.execute(
                "INSERT INTO outreach_objects (kind, workspace, id, parent, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (kind, workspace, obj["id"], parent, json.dumps(obj)),
            )
        return obj

    def get(self, kind: str, workspace: str, obj_id: str) -> dict[str, Any] | None:
        """The object, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT body FROM outreach_objects WHERE workspace = ? AND kind = ? AND id = ?",
                (workspace, kind, obj_id),
            ).fetchone()
        return None if row is None else dict(json.loads(row["body"]))

    def update(
        self, kind: str, workspace: str, obj_id: str, fields: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Merge ``fields`` into the object; return it, or None when there is none."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT body FROM outreach_objects WHERE workspace = ? AND kind = ? AND id = ?",
                (workspace, kind, obj_id),
            ).fetchone()
            if row is None:
                return None
            obj = {**json.loads(row["body"]), **fields, "updatedAt": now_iso()}
            conn.execute(
                "UPDATE outreach_objects SET body = ? WHERE workspace = ? AND kind = ? AND id = ?",
                (json.dumps(obj), workspace, kind, obj_id),
            )
        return dict(obj)

    def delete(self, kind: str, workspace: str, obj_id: str) -> bool:
        """Remove the object (and a campaign's members and sequences); False if absent."""
        with self._write() as conn:
            cur = conn.execute(
                "DELETE FROM outreach_objects WHERE workspace = ? AND kind = ? AND id = ?",
                (workspace, kind, obj_id),
            )
            if kind == "campaign":
                conn.execute(
                    "DELETE FROM campaign_members WHERE workspace = ? AND campaign = ?",
                    (workspace, obj_id),
                )
                conn.execute(
                    "DELETE FROM outreach_objects WHERE workspace = ? AND parent = ?",
                    (workspace, obj_id),
                )
            return cur.rowcount == 1

    def list_objects(
        self,
        kind: str,
        workspace: str,
        *,
        page: int = 1,
        page_size: int = 100,
        parent: str | None = None,
        status: str | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of objects of ``kind`` in creation order, and how many there are."""
        where = "workspace = ? AND kind = ?"
        args: list[Any] = [workspace, kind]
        if parent is not None:
            where += " AND parent = ?"
            args.append(parent)
        if status is not None:
            where += " AND json_extract(body, '$.status') = ?"
            args.append(status)
        with self._lock:
            total = int(
                self._conn.execute(
                    f"SELECT count(*) FROM outreach_objects WHERE {where}", args
                ).fetchone()[0]
            )
            rows = self._conn.execute(
                f"SELECT body FROM outreach_objects WHERE {where} ORDER BY seq LIMIT ? OFFSET ?",
                [*args, page_size, (page - 1) * page_size],
            ).fetchall()
        return [json.loads(row["body"]) for row in rows], total

    # -- a campaign's leads and accounts ------------------------------------------------------

    def add_members(
        self, workspace: str, campaign: str, kind: str, members: Iterable[str]
    ) -> tuple[int, int]:
        """Add leads (``kind`` "lead") or accounts to a campaign; (added, already members)."""
        now = now_iso()
        added = already = 0
        with self._write() as conn:
            for member in dict.fromkeys(members):
                cur = conn.execute(
                    "INSERT OR IGNORE INTO campaign_members VALUES (?, ?, ?, ?, ?)",
                    (workspace, campaign, kind, member, now),
                )
                if cur.rowcount == 1:
                    added += 1
                else:
                    already += 1
        return added, already

    def remove_member(self, workspace: str, campaign: str, kind: str, member: str) -> bool:
        """Take a lead or account out of a campaign; False when it was not in it."""
        with self._write() as conn:
            cur = conn.execute(
                "DELETE FROM campaign_members "
                "WHERE workspace = ? AND campaign = ? AND kind = ? AND member = ?",
                (workspace, campaign, kind, member),
            )
            return cur.rowcount == 1

    def members(self, workspace: str, campaign: str, kind: str = "lead") -> list[str]:
        """The ids of a campaign's leads (or accounts), in the order they were added."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT member FROM campaign_members "
                "WHERE workspace = ? AND campaign = ? AND kind = ? ORDER BY rowid",
                (workspace, campaign, kind),
            ).fetchall()
        return [row[0] for row in rows]

    def member_counts(self, workspace: str, campaigns: Sequence[str]) -> dict[str, int]:
        """How many leads each of ``campaigns`` has."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT campaign, count(*) FROM campaign_members WHERE workspace = ? "
                "AND kind = 'lead' AND campaign IN (SELECT value FROM json_each(?)) "
                "GROUP BY campaign",
                (workspace, json.dumps(list(campaigns))),
            ).fetchall()
        counts = dict.fromkeys(campaigns, 0)
        counts.update({row[0]: int(row[1]) for row in rows})
        return counts
