"""Work locks: two runs on the same work never import at once; a dead holder blocks nobody."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from foxreach_cli.errors import LockedError, UsageError
from foxreach_cli.import_config import parse_state
from foxreach_cli.state.locks import LOCKS_DIR, WorkLocks, lock_path

WORK = "https://api.foxreach.io/api/v1#0123456789abcdef:9f86d081884c7d65"
OTHER = "https://api.foxreach.io/api/v1#0123456789abcdef:60303ae22b998861"
REPO = Path(__file__).resolve().parents[2]


def test_second_run_on_same_work_is_refused_then_succeeds_after_release(tmp_path: Path) -> None:
    first = WorkLocks(tmp_path, [WORK])
    with first:
        with (
            pytest.raises(LockedError) as info,
            WorkLocks(tmp_path, [WORK], describe=lambda _: "leads.csv"),
        ):
            pytest.fail("the second run got the lock")
        assert str(info.value) == (
            "Another foxreach run is importing leads.csv to the same workspace; waited 0 s. "
            "Try again later or raise --lock-timeout."
        )
    assert not first.held
    with WorkLocks(tmp_path, [WORK]) as second:
        assert second.held


def test_different_work_does_not_block(tmp_path: Path) -> None:
    with WorkLocks(tmp_path, [WORK]), WorkLocks(tmp_path, [OTHER]) as other:
        assert other.held


def test_all_or_nothing_a_refused_run_keeps_none_of_its_locks(tmp_path: Path) -> None:
    first, last = sorted([WORK, OTHER])
    with WorkLocks(tmp_path, [last]):
        # The run takes `first`, then finds `last` busy: it must give `first` back (checked
        # while the refused object is still alive, so no garbage collection hides a leak).
        refused = WorkLocks(tmp_path, [last, first])
        with pytest.raises(LockedError):
            refused.acquire()
        assert not refused.held
        with WorkLocks(tmp_path, [first]) as alone:
            assert alone.held
        del refused


def test_message_names_the_work_that_is_busy(tmp_path: Path) -> None:
    names = {WORK: "a.csv", OTHER: "b.csv"}
    with (
        WorkLocks(tmp_path, [WORK]),
        pytest.raises(LockedError, match=r"importing a\.csv to"),
        WorkLocks(tmp_path, [OTHER, WORK], describe=names.__getitem__),
    ):
        pass


def test_lock_files_are_private_and_named_by_a_hash(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with WorkLocks(state, [WORK, WORK]) as locks:
        assert locks.work_ids == [WORK]
        path = lock_path(state, WORK)
        assert path.parent == state / LOCKS_DIR
        assert path.exists()
        assert not set(path.name) & set(":/#")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE((state / LOCKS_DIR).stat().st_mode) == 0o700


def test_negative_lock_timeout_is_refused_by_the_config() -> None:
    with pytest.raises(UsageError) as caught:
        parse_state(lock_timeout=-1)
    assert caught.value.describe("--lock-timeout") == (
        "--lock-timeout must be 0 or more seconds, got -1."
    )
