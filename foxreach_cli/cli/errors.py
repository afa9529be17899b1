"""The CLI's error boundary: every failure becomes one sentence on stderr and its exit code.

Exit codes live in one table, ``EXIT_CODES``, keyed by exception class; ``FLAGS`` names the
command-line flag of each config field an error can be about.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from ..errors import (
    STORAGE_EXCEPTIONS,
    ApiError,
    AuthError,
    FoxReachImportError,
    InputError,
    LockedError,
    PlanLimitError,
    StorageError,
    TransientError,
    UsageError,
    storage_error,
)

if TYPE_CHECKING:
    from ..pipeline import RunResult

#: Exit code per error class; the first matching class (in order) wins.
EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (UsageError, 2),
    (InputError, 2),
    (StorageError, 2),
    (AuthError, 3),
    (PlanLimitError, 4),
    (TransientError, 5),
    (ApiError, 5),
    (LockedError, 6),
    (FoxReachImportError, 2),
]
EXIT_OK, EXIT_REJECTED, EXIT_REFUSED, EXIT_INTERRUPTED, EXIT_INTERNAL = 0, 1, 2, 130, 70
#: The flag of each config field (``FoxReachImportError.option``) a message can be about; a
#: setting with no flag gets the words that name it.
FLAGS = {
    "api_key": "--api-key",
    "batch_size": "--batch-size",
    "concurrency": "--concurrency",
    "config_file": "The config file",
    "delimiter": "--delimiter",
    "encoding": "--encoding",
    "env_file": "--env-file",
    "header_row": "--header-row",
    "limit": "--limit",
    "lock_timeout": "--lock-timeout",
    "log_file": "--log-file",
    "maps": "--map",
    "move_done": "--move-done",
    "rate_limit": "--rate-limit",
    "rate_window": "--rate-window",
    "rejected_path": "--rejected",
    "report_path": "--report",
    "source": "--source",
    "state_dir": "--state-dir",
    "status": "--status",
    "timeout": "--timeout",
    "unmapped": "--unmapped",
    "write_mapping": "--write",
}


class FailOn(StrEnum):
    """Which rejected rows make an import exit 1 (``--fail-on``)."""

    errors = "errors"
    duplicates = "duplicates"
    never = "never"


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code of an error."""
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return EXIT_INTERNAL


def run_exit_code(result: RunResult, fail_on: FailOn) -> int:
    """The exit code of a finished import: how it ended, then its rejected rows."""
    if result.interrupted:
        return EXIT_INTERRUPTED
    if result.fatal is not None:
        return exit_code_for(result.fatal)
    if result.refused:  # the other files were imported; the refused ones need a person
        return EXIT_REFUSED
    r = result.report.tally
    if fail_on is FailOn.errors and r.errors:
        return EXIT_REJECTED
    if fail_on is FailOn.duplicates and (r.errors or r.duplicates):
        return EXIT_REJECTED
    return EXIT_OK


def describe(exc: FoxReachImportError) -> str:
    """An error's sentence, with the flag of the option it is about."""
    return exc.describe(FLAGS.get(exc.option or ""))


def err_console() -> Console:
    """Where errors and the progress display go."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def user_errors(verbose: bool) -> Iterator[None]:
    """Turn every failure into one sentence on stderr and its exit code; never a traceback."""
    try:
        yield
    except FoxReachImportError as exc:
        err_console().print(f"[red]Error:[/] {describe(exc)}", markup=True)
        raise typer.Exit(exit_code_for(exc)) from None
    except STORAGE_EXCEPTIONS as exc:
        # A writer outside the storage boundary: still one sentence naming the file.
        error = storage_error(exc, None)
        err_console().print(f"[red]Error:[/] {describe(error)}", markup=True)
        raise typer.Exit(exit_code_for(error)) from None
    except KeyboardInterrupt:
        err_console().print("Interrupted.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # a bug: say so plainly, detail only on request
        if verbose:
            traceback.print_exc()
        err_console().print(
            f"[red]Unexpected error:[/] {exc.__class__.__name__}. "
            "Run again with --verbose for details, and please report it."
        )
        raise typer.Exit(EXIT_INTERNAL) from None
