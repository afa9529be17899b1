"""The one exception tree of foxreach, and the one boundary where OS errors join it.

    FoxReachImportError                 root: everything the user should see as one sentence
    ├── UsageError                      bad option or option value                  (exit 2)
    ├── InputError                      a file that cannot be read or used          (exit 2)
    │   ├── EmptyFileError
    │   ├── NoEmailColumnError
    │   └── MappingDriftError           headers changed since the mapping file      (exit 2)
    ├── StorageError                    an output or state path cannot be written   (exit 2/7)
    ├── LockedError                     another run holds the same work's lock      (exit 6)
    └── ApiError                        the API refused or failed; carries .status
        ├── AuthError                   403/401: key missing, invalid or read-only  (exit 3)
        ├── PlanLimitError              402: plan contact limit                     (exit 4)
        ├── TransientError              429/5xx/timeout/dropped: retried            (exit 5 at last)
        └── RequestRejectedError        422: the request was refused as a whole

What is worth retrying is one class, :class:`TransientError`: ``send.Sender`` retries on that
type, never on a message. The CLI maps classes to exit codes in one table
(``cli.errors.EXIT_CODES``); an error raised after the run sent leads carries ``sent`` and is
exit 7 where it would be 2 (2/7 above). An error about one option carries its config field
name in ``option``; the library never names a command-line flag, the CLI does
(``cli.errors.FLAGS``). OS, SQLite and file-lock errors become :class:`StorageError` in one
place, :func:`storage_errors`, as httpx maps httpcore's errors.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .rate_budget import RateInfo


class FoxReachImportError(Exception):
    """Root of every error foxreach reports to a user as one clear sentence."""

    #: Set when the run had already sent leads when this was raised (an output or the journal
    #: failing at the end): "nothing was sent" is then false, and the CLI exits 7, not 2.
    sent: bool = False

    def __init__(self, message: str, *, hint: str | None = None, option: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # The ImportConfig field this error is about; the message then reads after its name
        # ("batch_size must be ..."), and the CLI puts the flag there ("--batch-size must be").
        self.option = option

    def describe(self, label: str | None = None) -> str:
        """The sentence for a person, with ``label`` (e.g. a flag) naming the option."""
        text = self.message if not self.hint else f"{self.message} {self.hint}"
        if self.option is None:
            return text
        return f"{label or self.option} {text}"

    def __str__(self) -> str:
        return self.describe()


class UsageError(FoxReachImportError):
    """An option or option value the tool cannot work with."""


class InputError(FoxReachImportError):
    """An input file that cannot be read, decoded, or used as a lead list."""


class EmptyFileError(InputError):
    """A 0-byte input file (a header-only file is not an error)."""


class NoEmailColumnError(InputError):
    """No column of the file can be the lead's email."""


class MappingDriftError(InputError):
    """The file's headers differ from the ones the mapping file was made from."""


class StorageError(FoxReachImportError):
    """A file or folder the run writes (an output, the state directory) cannot be used."""

    #: Set when the cause was a full disk (or quota): room must be made before a rerun.
    disk_full: bool = False

    def after_sending(self, imported: int, *, journal: str) -> StorageError:
        """This error once leads were sent: with what the run had already done, and what a
        rerun will do. ``journal``: 'kept' when the journal recorded every answer (a rerun
        sends nothing twice), 'lost' when a write of it failed, 'none' without one."""
        leads = "1 lead was" if imported == 1 else f"{imported:,} leads were"
        when = "once there is room" if self.disk_full else "once it can be written"
        if journal == "kept":
            then = f"run the same command again {when}: nothing is sent twice."
        elif journal == "lost":
            then = (
                "the journal could not record every answer, so a rerun may send some again "
                "and report them as duplicates."
            )
        else:
            then = "this run kept no journal, so a rerun sends them again as duplicates."
        hint = f"{leads} already imported; {then}"
        late = StorageError(
            self.message, hint=f"{self.hint} {hint}" if self.hint else hint, option=self.option
        )
        late.disk_full, late.sent = self.disk_full, True
        return late


class LockedError(FoxReachImportError):
    """Another foxreach run holds the lock of the same work."""


class ApiError(FoxReachImportError):
    """The FoxReach API refused a request or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class AuthError(ApiError):
    """403 (or 401): the key is missing, invalid, or lacks the write scope."""


class PlanLimitError(ApiError):
    """402: the workspace's plan contact limit would be exceeded; nothing of the request stored."""


class RequestRejectedError(ApiError):
    """422: the whole request was refused for malformed JSON or bad field types."""


class TransientError(ApiError):
    """429, 5xx, timeouts and dropped connections: worth retrying with backoff."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        ambiguous: bool = False,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, status=status, hint=hint)
        self.retry_after = retry_after
        # True when the request may have been processed (sent, then no answer).
        self.ambiguous = ambiguous


# -- the boundary for OS, SQLite and file-lock errors ------------------------------------------

#: Plain words for the OS errors a user can meet while writing; others use ``strerror``.
_OS_REASONS = {
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    # mkdir(exist_ok=True) of a folder whose name a file already has
    errno.EEXIST: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.ELOOP: "it is a symbolic link that points back to itself",
}


#: SQLite's primary result code for "database or disk is full" (its ``write`` met ENOSPC).
SQLITE_FULL = 13


def rate_of(exc: BaseException) -> RateInfo | None:
    """The ``X-RateLimit-*`` headers that ``client.py`` attached to an error, if any."""
    return getattr(exc, "rate", None)


def round_trip_of(exc: BaseException) -> float | None:
    """The round trip of the answer behind an error raised by the client (``None``: no answer)."""
    return getattr(exc, "round_trip", None)


def is_disk_full(exc: BaseException) -> bool:
    """Whether an OS or SQLite error means the disk (or the quota) is full."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(exc, sqlite3.Error):
        # The extended code's low byte is the primary code.
        return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF == SQLITE_FULL
    return False


def os_reason(exc: BaseException) -> str:
    """The reason of an OS or SQLite error in a few words, never a class name alone."""
    if isinstance(exc, OSError):
        return _OS_REASONS.get(exc.errno or 0) or exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, sqlite3.Error):
        if is_disk_full(exc):
            return _OS_REASONS[errno.ENOSPC]
        return f"database error: {exc}"
    return str(exc) or type(exc).__name__


def storage_error(
    exc: BaseException,
    path: str | Path | None,
    *,
    option: str | None = None,
    action: str = "written",
) -> StorageError:
    """The :class:`StorageError` for an OS/SQLite error met while using ``path``."""
    where = path if path is not None else getattr(exc, "filename", None)
    subject = f"{where} cannot be {action}" if where is not None else f"A file cannot be {action}"
    error = StorageError(f"{subject}: {os_reason(exc)}.", option=option)
    error.disk_full = is_disk_full(exc)
    return error


#: What the boundary translates: the OS, SQLite, and filelock (whose errors are OSErrors).
STORAGE_EXCEPTIONS: tuple[type[BaseException], ...] = (OSError, sqlite3.Error)


@contextmanager
def storage_errors(
    path: str | Path | None, *, option: str | None = None, action: str = "written"
) -> Iterator[None]:
    """Translate OS and SQLite errors raised inside the block into one :class:`StorageError`
    that names ``path`` (and the option it came from) and the OS's reason."""
    try:
        yield
    except STORAGE_EXCEPTIONS as exc:
        raise storage_error(exc, path, option=option, action=action) from exc
