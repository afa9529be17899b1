"""The journal's reserve: room in the state directory given back when its disk is full, so
the answers in hand and the run's end are still recorded (docs/journal.md, "A full disk")."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from foxreach_cli.errors import SQLITE_FULL, StorageError, is_disk_full, os_reason
from foxreach_cli.stage_data import BatchOutcome, Tally
from foxreach_cli.state.journal import MAX_RESERVE, MIN_RESERVE, Journal, Reserve, reserve_bytes


def disk_full() -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = SQLITE_FULL  # type: ignore[attr-defined]
    return error


class FullUntilReleased:
    """A connection whose writes fail with SQLITE_FULL while ``reserve`` exists."""

    def __init__(self, real: sqlite3.Connection, reserve: Path) -> None:
        self.real = real
        self.reserve = reserve

    def execute(self, sql: str, *params: Any) -> Any:
        if sql.startswith(("INSERT", "UPDATE")) and self.reserve.exists():
            raise disk_full()
        return self.real.execute(sql, *params)

    def close(self) -> None:
        self.real.close()


def test_sqlite_full_reads_as_a_full_disk() -> None:
    assert is_disk_full(disk_full())
    assert os_reason(disk_full()) == "the disk is full"
    assert not is_disk_full(sqlite3.OperationalError("disk I/O error"))


def test_the_reserve_is_sized_by_the_requests_in_flight_within_bounds() -> None:
    assert reserve_bytes(1, 10) == MIN_RESERVE
    assert reserve_bytes(10, 1000) == 10 * 1000 * 150
    assert reserve_bytes(1000, 1000) == MAX_RESERVE


def test_a_full_disk_gives_the_reserve_back_and_the_answer_is_recorded(tmp_path: Path) -> None:
    reserve = Reserve(tmp_path / "work.reserve", MIN_RESERVE)
    journal = Journal(tmp_path / "state", reserve=reserve)
    assert reserve.path.stat().st_size == MIN_RESERVE  # allocated when the journal opened
    batch = journal.batch_sent("dest", "hash", [2, 3])
    journal.db = FullUntilReleased(journal.db, reserve.path)  # type: ignore[assignment]
    journal.batch_done(batch, BatchOutcome(Tally(created=2)))
    assert not reserve.path.exists()
    assert journal.short_of_room is not None
    assert journal.short_of_room.describe("--state-dir") == (
        f"--state-dir {tmp_path / 'state' / 'journal.sqlite'} cannot be written: the disk is full."
    )
    history = journal.history("dest", "hash")
    assert history.answered[0].counts.created == 2  # recorded on the reserve's room
    journal.close()


def test_without_a_reserve_left_a_full_disk_is_one_sentence(tmp_path: Path) -> None:
    reserve = Reserve(tmp_path / "work.reserve", MIN_RESERVE)
    journal = Journal(tmp_path / "state", reserve=reserve)
    real = journal.db

    class AlwaysFull(FullUntilReleased):
        def execute(self, sql: str, *params: Any) -> Any:
            if sql.startswith(("INSERT", "UPDATE")):
                raise disk_full()
            return self.real.execute(sql, *params)

    journal.db = AlwaysFull(real, reserve.path)  # type: ignore[assignment]
    with pytest.raises(StorageError) as caught:
        journal.batch_sent("dest", "hash", [2])
    assert caught.value.disk_full
    assert caught.value.describe("--state-dir").endswith("cannot be used: the disk is full.")
    journal.close()


def test_closing_the_journal_removes_its_reserve(tmp_path: Path) -> None:
    reserve = Reserve(tmp_path / "work.reserve", MIN_RESERVE)
    with Journal(tmp_path / "state", reserve=reserve):
        assert reserve.path.exists()
    assert not reserve.path.exists()
