"""Work locks: two runs never import the same file to the same workspace at once.

One kernel ``flock`` lock file per work id (destination + content hash) under
``<state_dir>/locks/``, taken up front in sorted order within one deadline, so runs on
different files go side by side and a dead holder's lock is released by the OS. The reasoning:
docs/journal.md.
"""

from __future__ import annotations

import errno
import hashlib
import math
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from ..errors import LockedError, StorageError, storage_errors
from . import ensure_private_dir

#: Sub-directory of the state directory that holds the lock files.
LOCKS_DIR = "locks"

#: How often a waiting run looks at a busy lock again (seconds).
_POLL = 0.05


def lock_path(state_dir: Path, work_id: str) -> Path:
    """The lock file of ``work_id``: work ids hold ``:``, ``/`` and ``#``, so the name is a hash."""
    digest = hashlib.sha256(work_id.encode("utf-8")).hexdigest()[:32]
    return Path(state_dir) / LOCKS_DIR / f"{digest}.lock"


class WorkLocks:
    """Hold the locks of several pieces of work for the length of a ``with`` block.

    ``work_ids`` are arbitrary strings (duplicates are taken once). ``timeout`` is how long, in
    seconds, the whole set may take to acquire (0: one try each; ``inf``: wait for ever).
    ``describe`` turns a work id into words for the error message (e.g. the file's name);
    without it the id itself is shown.
    """

    def __init__(
        self,
        state_dir: Path,
        work_ids: Iterable[str],
        *,
        timeout: float = 0.0,
        describe: Callable[[str], str] | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.work_ids: list[str] = sorted(set(work_ids))
        self.timeout = timeout
        self._describe = describe or (lambda work_id: work_id)
        self._held: list[FileLock] = []
        self._entered = False

    @property
    def held(self) -> bool:
        """Whether this object currently holds all its locks."""
        return self._entered

    def acquire(self) -> None:
        """Take every lock, in sorted order, or none: raises :class:`LockedError` on timeout."""
        locks_dir = self.state_dir / LOCKS_DIR
        with storage_errors(locks_dir, option="state_dir", action="created"):
            ensure_private_dir(self.state_dir)
            locks_dir.mkdir(exist_ok=True, mode=0o700)
        deadline = time.monotonic() + self.timeout
        try:
            for work_id in self.work_ids:
                lock = FileLock(
                    lock_path(self.state_dir, work_id),
                    mode=0o600,
                    # A soft lock (a marker file) would survive a crashed holder and block every
                    # later run: fail instead on a filesystem without flock.
                    fallback_to_soft=False,
                    # Locks are per open file: two objects in one process exclude each other.
                    thread_local=False,
                )
                left = max(0.0, deadline - time.monotonic())
                try:
                    lock.acquire(timeout=-1 if math.isinf(left) else left, poll_interval=_POLL)
                except Timeout:
                    raise LockedError(
                        f"Another foxreach run is importing {self._describe(work_id)} to the same "
                        f"workspace; waited {self.timeout:g} s. "
                        "Try again later or raise --lock-timeout."
                    ) from None
                except OSError as exc:
                    if exc.errno == errno.ENOSYS:
                        raise StorageError(
                            f"{self.state_dir} is on a file system without file locking; "
                            "use a local folder.",
                            option="state_dir",
                        ) from None
                    with storage_errors(lock.lock_file, option="state_dir", action="locked"):
                        raise
                self._held.append(lock)
        except BaseException:
            self.release()
            raise
        self._entered = True

    def release(self) -> None:
        """Give back every lock held (in reverse order); safe to call twice."""
        while self._held:
            self._held.pop().release(force=True)
        self._entered = False

    def __enter__(self) -> WorkLocks:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def is_held(state_dir: Path, work_id: str) -> bool:
    """Whether some process holds the lock of ``work_id`` now (changes nothing on disk)."""
    path = lock_path(state_dir, work_id)
    if not path.exists():
        return False
    lock = FileLock(path, fallback_to_soft=False, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    except OSError:
        return False  # cannot tell; say it is not running rather than fail the listing
    lock.release(force=True)
    return False
