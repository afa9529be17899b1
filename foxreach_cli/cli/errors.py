"""The CLI's error boundary: every failure becomes one sentence on stderr and its exit code.

Exit codes live here: ``EXIT_CODES`` maps exception classes to codes, ``EXIT_MEANINGS`` says
what each code means (README's table and ``import --help`` show exactly these words), and
``EXIT_PRECEDENCE`` picks one code when several apply. ``FLAGS`` names the command-line flag
of each config field an error can be about.
"""

from __future__ import annotations

import textwrap
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

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
    from rich.console import Console

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
#: Stopped or refused something after this run sent leads: what would be 2 before sending.
EXIT_AFTER_SENDING = 7
#: What each code means, in the words of README's table and ``foxreach import --help``.
EXIT_MEANINGS: dict[int, str] = {
    0: "Every row accounted for; none failed by --fail-on.",
    1: "Some rows were rejected per --fail-on (default: any errors).",
    2: "Nothing was sent: bad usage, unreadable input, or an output or state path that "
    "cannot be written stopped the run first; or a file was refused in a run that sent "
    "nothing else (a dry run never sends).",
    3: "The API refused the key (403/401): missing, invalid, or without write scope.",
    4: "The workspace's plan contact limit was reached (402).",
    5: "Server or network failure after retries.",
    6: "Another run holds the lock of the same work (the same file to the same workspace) "
    "or the journal.",
    7: "Stopped or refused something after leads were sent: a file or folder entry refused "
    "while others were imported, an output, disk or journal failure after sending, or adding "
    "the imported leads to the --campaign failed.",
    70: "An internal error (a bug): please report it with the --verbose output.",
    130: "Interrupted (Ctrl-C): in-flight requests finished and the report was printed.",
}
#: When several codes apply, the first of these wins: an interruption, then what the API or
#: another run said (they tell the operator what to do), then "after sending" over "nothing
#: sent", and rejected rows last.
EXIT_PRECEDENCE = (EXIT_INTERRUPTED, 3, 4, 5, 6, EXIT_AFTER_SENDING, EXIT_REFUSED, EXIT_REJECTED)

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
    "exclude": "--exclude",
    "resolver": "--resolver",
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
    "retry_backoff": "--retry-backoff",
    "source": "--source",
    "state_dir": "--state-dir",
    "status": "--status",
    "timeout": "--timeout",
    "unmapped": "--unmapped",
    "write_mapping": "--write",
}


def exit_help() -> str:
    """The exit codes as ``foxreach import --help`` lists them (click keeps a ``\\b`` block as
    it is, so the lines are wrapped here)."""
    lines = [
        textwrap.fill(text, 76, initial_indent=f"{code:>3}  ", subsequent_indent=" " * 5)
        for code, text in EXIT_MEANINGS.items()
    ]
    order = ", ".join(map(str, EXIT_PRECEDENCE))
    return "\n".join(
        ["\b", "Exit codes:", *lines, "", f"When several apply, the first of {order} wins."]
    )


class FailOn(StrEnum):
    """Which rejected rows make an import exit 1 (``--fail-on``)."""

    errors = "errors"
    duplicates = "duplicates"
    never = "never"


def exit_code_for(exc: BaseException, *, sent: bool = False) -> int:
    """The documented exit code of an error; one that would be 2 is 7 when leads had been
    sent (``sent``, or the error's own ``sent`` flag)."""
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            if code == EXIT_REFUSED and (sent or getattr(exc, "sent", False)):
                return EXIT_AFTER_SENDING
            return code
    return EXIT_INTERNAL


def run_exit_code(result: RunResult, fail_on: FailOn) -> int:
    """The exit code of a finished import: of every code that applies (how it ended, refused
    files, rejected rows), the first in ``EXIT_PRECEDENCE``."""
    codes = set()
    if result.interrupted:
        codes.add(EXIT_INTERRUPTED)
    if result.fatal is not None:
        codes.add(exit_code_for(result.fatal, sent=result.sent))
    if result.refused:  # the refused files need a person, whether or not others were sent
        codes.add(EXIT_AFTER_SENDING if result.sent else EXIT_REFUSED)
    r = result.report.tally
    if (fail_on is FailOn.errors and r.errors) or (
        fail_on is FailOn.duplicates and (r.errors or r.duplicates)
    ):
        codes.add(EXIT_REJECTED)
    return next((code for code in EXIT_PRECEDENCE if code in codes), EXIT_OK)


def describe(exc: FoxReachImportError) -> str:
    """An error's sentence, with the flag of the option it is about."""
    return exc.describe(FLAGS.get(exc.option or ""))


def err_console() -> Console:
    """Where errors and the progress display go."""
    from rich.console import Console  # rich's import costs --help a tenth of its budget

    return Console(stderr=True, highlight=False, soft_wrap=True)


def out_console() -> Console:
    """Where a command prints its answer (standard output)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


@contextmanager
def user_errors(verbose: bool) -> Iterator[None]:
    """Turn every failure into one sentence on stderr and its exit code; never a traceback."""
    from rich.markup import escape

    try:
        yield
    except FoxReachImportError as exc:
        # escape: a message quotes file names and TOML tables ("[columns]"), not markup.
        err_console().print(f"[red]Error:[/] {escape(describe(exc))}", markup=True)
        raise typer.Exit(exit_code_for(exc)) from None
    except STORAGE_EXCEPTIONS as exc:
        # A writer outside the storage boundary: still one sentence naming the file.
        error = storage_error(exc, None)
        err_console().print(f"[red]Error:[/] {escape(describe(error))}", markup=True)
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
