"""The one exception tree of foxreach.

    FoxReachImportError                 root: everything the user should see as one sentence
    ├── UsageError                      bad option or option value                  (exit 2)
    ├── InputError                      a file that cannot be read or used          (exit 2)
    │   ├── EmptyFileError
    │   ├── NoEmailColumnError
    │   └── MappingDriftError           headers changed since the mapping file      (exit 2)
    ├── LockedError                     another run holds the state directory       (exit 6)
    └── ApiError                        the API refused or failed; carries .status
        ├── AuthError                   403/401: key missing, invalid or read-only  (exit 3)
        ├── PlanLimitError              402: plan contact limit                     (exit 4)
        ├── TransientError              429/5xx/timeout/dropped: retried            (exit 5 at last)
        └── RequestRejectedError        422: the request was refused as a whole

Each class says whether it is transient (worth retrying) so the retry policy reads the type,
not the message. The CLI maps classes to exit codes in one table (``cli.EXIT_CODES``).
"""

from __future__ import annotations


class FoxReachImportError(Exception):
    """Root of every error foxreach reports to a user as one clear sentence."""

    transient: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


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


class LockedError(FoxReachImportError):
    """Another foxreach run holds the state directory's lock."""


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

    transient = True

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
