"""The thin command-line shell: options -> config -> run -> render -> exit code.

Exit codes live in one table, ``EXIT_CODES``, keyed by exception class; ``FLAGS`` names the
command-line flag of each config field an error can be about.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console

from . import __version__
from .client import check_api_key, check_base_url, mask_key
from .config import build_config, build_read_options
from .credentials import (
    API_KEY_ENV,
    BASE_URL_ENV,
    Credentials,
    resolve_credentials_explained,
    write_config_value,
    write_env_value,
)
from .errors import (
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
from .models import LEAD_STATUSES, MAX_BATCH
from .outputs import LogFile, open_log
from .pipeline import RunResult, run_import
from .progress import FanOut, LogProgress, Progress, RichProgress
from .render import final_line, one_line, render_report
from .runtime import GC_THRESHOLD, tune_gc
from .state import default_state_dir

if TYPE_CHECKING:
    from .sandbox.server import RunningSandbox

#: The key an embedded sandbox run uses when none is given (any otr_ key works there).
SANDBOX_KEY = "otr_sandbox"
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
    "run_file": "--file",
    "report_path": "--report",
    "source": "--source",
    "state_dir": "--state-dir",
    "status": "--status",
    "timeout": "--timeout",
    "unmapped": "--unmapped",
    "write_mapping": "--write",
}

app = typer.Typer(
    name="foxreach",
    help="Bulk-import sales leads from CSV and XLSX files into a FoxReach workspace.",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks with locals could show the API key: never.
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Unmapped(StrEnum):
    custom = "custom"
    ignore = "ignore"


class FailOn(StrEnum):
    errors = "errors"
    duplicates = "duplicates"
    never = "never"


# Options that `import` and `map` share: declared once so that both read and map a file alike.
SheetOption = Annotated[
    str | None, typer.Option("--sheet", help="XLSX sheet name or 1-based number.")
]
EncodingOption = Annotated[
    str | None, typer.Option("--encoding", help="Text encoding (default: detected).")
]
DelimiterOption = Annotated[
    str | None,
    typer.Option("--delimiter", help="Field delimiter, e.g. ';' or 'tab' (default: detected)."),
]
HeaderRowOption = Annotated[
    int | None,
    typer.Option(
        "--header-row",
        help="Row number of the column names (default: found past any notes above them).",
        min=1,
        show_default=False,
    ),
]
MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Column=field (repeatable); field is a lead field, "
        "customFields.<key>, tags or ignore.",
    ),
]
MappingFileOption = Annotated[
    str | None, typer.Option("--mapping", help="Mapping TOML file from 'foxreach map --write'.")
]
UnmappedOption = Annotated[
    Unmapped,
    typer.Option("--unmapped", help="Unrecognised columns become customFields, or are ignored."),
]


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code of an error."""
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return EXIT_INTERNAL


def _describe(exc: FoxReachImportError) -> str:
    """An error's sentence, with the flag of the option it is about."""
    return exc.describe(FLAGS.get(exc.option or ""))


def _err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def _user_errors(verbose: bool) -> Iterator[None]:
    """Turn every failure into one sentence on stderr and its exit code; never a traceback."""
    try:
        yield
    except FoxReachImportError as exc:
        _err_console().print(f"[red]Error:[/] {_describe(exc)}", markup=True)
        raise typer.Exit(exit_code_for(exc)) from None
    except STORAGE_EXCEPTIONS as exc:
        # A writer outside the storage boundary: still one sentence naming the file.
        error = storage_error(exc, None)
        _err_console().print(f"[red]Error:[/] {_describe(error)}", markup=True)
        raise typer.Exit(exit_code_for(error)) from None
    except KeyboardInterrupt:
        _err_console().print("Interrupted.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # a bug: say so plainly, detail only on request
        if verbose:
            traceback.print_exc()
        _err_console().print(
            f"[red]Unexpected error:[/] {exc.__class__.__name__}. "
            "Run again with --verbose for details, and please report it."
        )
        raise typer.Exit(EXIT_INTERNAL) from None


def _exit_code(result: RunResult, fail_on: FailOn) -> int:
    if result.interrupted:
        return EXIT_INTERRUPTED
    if result.fatal is not None:
        return exit_code_for(result.fatal)
    if result.refused:  # the other files were imported; the refused ones need a person
        return EXIT_REFUSED
    r = result.report
    if fail_on is FailOn.errors and r.errors:
        return EXIT_REJECTED
    if fail_on is FailOn.duplicates and (r.errors or r.duplicates):
        return EXIT_REJECTED
    return EXIT_OK


def _version(value: bool) -> None:
    if value:
        print(f"foxreach {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Bulk-import sales leads from CSV and XLSX files into a FoxReach workspace."""


@app.command("import")
def import_command(
    files: Annotated[
        list[str],
        typer.Argument(
            help="CSV/TSV/TXT/XLSX files or folders; '-' reads stdin.", show_default=False
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read, map, validate and dedup; send nothing.")
    ] = False,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox", help="Import into the embedded local sandbox; no account needed."
        ),
    ] = False,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="API key (otr_...); default: $FOXREACH_API_KEY, .env, ~/.foxreach/config.json.",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="API base URL; default: $FOXREACH_BASE_URL, .env, ~/.foxreach/config.json, "
            "or https://api.foxreach.io/api/v1.",
            show_default=False,
        ),
    ] = None,
    env_file: Annotated[
        str | None,
        typer.Option(
            "--env-file",
            help="Read FOXREACH_* settings from this file (default .env).",
            show_default=False,
        ),
    ] = None,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    header_row: HeaderRowOption = None,
    maps: MapOption = None,
    mapping_file: MappingFileOption = None,
    allow_new_columns: Annotated[
        bool,
        typer.Option(
            "--allow-new-columns", help="Accept columns added since the --mapping file was written."
        ),
    ] = False,
    unmapped: UnmappedOption = Unmapped.custom,
    tags: Annotated[
        list[str] | None, typer.Option("--tag", help="Tag added to every lead (repeatable).")
    ] = None,
    source: Annotated[str, typer.Option("--source", help="Lead source.")] = "csv_import",
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="Status for leads without one: " + ", ".join(LEAD_STATUSES) + "."
        ),
    ] = None,
    no_restore: Annotated[
        bool,
        typer.Option(
            "--no-restore", help="Count soft-deleted matches as duplicates; don't restore."
        ),
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help=f"Leads per request (1-{MAX_BATCH}).")
    ] = MAX_BATCH,
    rate_limit: Annotated[
        int, typer.Option("--rate-limit", help="Requests per minute this run may use.")
    ] = 100,
    rate_window: Annotated[
        float,
        typer.Option(
            "--rate-window",
            help="Length in seconds of the API's rate window "
            "(60; smaller only for sandboxes and tests).",
        ),
    ] = 60.0,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            help="Requests in flight at once "
            "[default: the --rate-limit, at most 100: a whole window's budget at once].",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", help="Seconds to wait for each answer before retrying."),
    ] = 30.0,
    exact_report: Annotated[
        bool,
        typer.Option(
            "--exact-report", help="Batches of at most 100, so every duplicate and error is named."
        ),
    ] = False,
    report: Annotated[
        str | None, typer.Option("--report", help="Write the final report as JSON to this file.")
    ] = None,
    rejected: Annotated[
        str | None,
        typer.Option(
            "--rejected",
            help="Write every row not imported (original columns + row, reason) to this CSV.",
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print only the final report as JSON on stdout.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the one-line summary and errors.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="More detail, including on failures.")
    ] = False,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on",
            help="Exit 1 when rows were rejected: errors, duplicates (or errors), never.",
        ),
    ] = FailOn.errors,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Process only the first N data rows.", min=0)
    ] = None,
    resume: Annotated[
        bool | None,
        typer.Option(
            "--resume/--no-resume",
            help="Send only what earlier runs of the same file "
            "did not get answered (default: on; off for --sandbox).",
            show_default=False,
        ),
    ] = None,
    state_dir: Annotated[
        str | None,
        typer.Option(
            "--state-dir",
            help="Where the resume journal, locks and shared rate budget "
            "live (default: the user's state directory).",
            show_default=False,
        ),
    ] = None,
    lock_timeout: Annotated[
        float,
        typer.Option(
            "--lock-timeout",
            help="Seconds to wait for another run working on the same file; then exit 6.",
        ),
    ] = 0.0,
    move_done: Annotated[
        str | None,
        typer.Option(
            "--move-done",
            help="Move each file fully accounted for into this folder (never on a failed run).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Import files already imported before again.")
    ] = False,
    log_file: Annotated[
        str | None,
        typer.Option(
            "--log-file",
            help="Append timestamped progress and summary lines here.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import leads from FILE(s) into FoxReach (or the sandbox, or nowhere with --dry-run)."""
    with _user_errors(verbose), ExitStack() as stack:
        cfg = build_config(
            files,
            read=build_read_options(
                encoding=encoding,
                delimiter=delimiter,
                sheet=sheet,
                header_row=header_row,
                maps=maps or [],
                mapping_file=mapping_file,
                unmapped=unmapped.value,
            ),
            dry_run=dry_run,
            sandbox=sandbox,
            api_key=api_key,
            base_url=base_url,
            env_file=env_file,
            limit=limit,
            allow_new_columns=allow_new_columns,
            tags=tags or [],
            source=source,
            status=status,
            restore=not no_restore,
            batch_size=batch_size,
            exact_report=exact_report,
            rate_limit=rate_limit,
            rate_window=rate_window,
            concurrency=concurrency,
            timeout=timeout,
            report_path=report,
            rejected_path=rejected,
            log_file=log_file,
            resume=resume,
            state_dir=state_dir,
            lock_timeout=lock_timeout,
            move_done=move_done,
            force=force,
        )
        log = stack.enter_context(open_log(cfg.log_file))
        progress = _progress(json_out or quiet, log)
        if sandbox and not dry_run:
            running = stack.enter_context(_embedded_sandbox())
            creds = Credentials(
                base_url=running.base_url,
                api_key=api_key or SANDBOX_KEY,
                destination=f"sandbox:{running.config.db}",
            )
            cfg = replace(cfg, credentials=creds)
        try:
            result = run_import(cfg, progress=progress, stdin=sys.stdin.buffer)
        except FoxReachImportError as exc:
            if log is not None:
                _log_line(log, f"error: {_describe(exc)}")
            raise
        _render(
            result,
            json_out=json_out,
            quiet=quiet,
            verbose=verbose,
            report_path=report,
            rejected=rejected,
            log=log,
        )
        raise typer.Exit(_exit_code(result, fail_on))


def _render(
    result: RunResult,
    *,
    json_out: bool,
    quiet: bool,
    verbose: bool,
    report_path: str | None,
    rejected: str | None,
    log: LogFile | None,
) -> None:
    """Show a finished run: the report (rich, one line, or JSON) and the log file's lines.

    The rich report ends with one line: the outcome in words, then where the details are.
    """
    rep = result.report
    fatal = _describe(result.fatal) if result.fatal is not None else None
    if log is not None:
        _log_line(log, one_line(rep))
        if fatal is not None:
            _log_line(log, f"error: {fatal}")
        for path in result.moved:
            _log_line(log, f"moved to {path}")
    out = Console(highlight=False, soft_wrap=True)
    if json_out:
        sys.stdout.write(rep.to_json() + "\n")
        return
    if quiet:
        out.print(one_line(rep), markup=False)
    else:
        render_report(out, rep, show_mapping=rep.dry_run or verbose)
        out.print(final_line(rep, report_path=report_path, rejected_path=rejected), markup=False)
    if fatal is not None:
        _err_console().print(f"[red]Error:[/] {fatal}")


@contextmanager
def _embedded_sandbox() -> Iterator[RunningSandbox]:
    """The local sandbox on a free loopback port for this run, kept in its default database."""
    # Imported here: FastAPI and uvicorn cost half a second that other runs need not pay.
    from .sandbox.config import SandboxConfig
    from .sandbox.server import SandboxStartupError, run_in_thread

    try:
        with run_in_thread(SandboxConfig()) as running:
            yield running
    except SandboxStartupError as exc:
        raise UsageError(f"The local sandbox could not start: {exc}") from None


def _log_line(stream: LogFile, text: str) -> None:
    stream.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")
    stream.flush()


def _progress(silent: bool, log: LogFile | None) -> Progress:
    """The display: silent, a rich bar on a terminal, or plain lines; plus the log file."""
    if silent:
        progress = Progress()
    elif sys.stderr.isatty():
        progress = RichProgress(_err_console())
    else:
        progress = LogProgress(sys.stderr)
    if log is not None:
        progress = FanOut(progress, LogProgress(log, interval=30.0))  # type: ignore[arg-type]
    return progress


@app.command("map")
def map_command(
    file: Annotated[str, typer.Argument(help="CSV/TSV/TXT/XLSX file ('-' for stdin).")],
    write: Annotated[
        str | None, typer.Option("--write", help="Save the mapping to this TOML file.")
    ] = None,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    header_row: HeaderRowOption = None,
    maps: MapOption = None,
    mapping_file: MappingFileOption = None,
    unmapped: UnmappedOption = Unmapped.custom,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="More detail on failures.")
    ] = False,
) -> None:
    """Show how FILE's columns map to lead fields, and optionally save the mapping."""
    from .mapping import build_mapping, mapping_rows
    from .mapping_file import load_mapping_file, write_mapping_file
    from .readers.base import display_name
    from .render import mapping_table

    with _user_errors(verbose):
        opts = build_read_options(
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            header_row=header_row,
            maps=maps or [],
            mapping_file=mapping_file,
            unmapped=unmapped.value,
        )
        saved = load_mapping_file(opts.mapping_file) if opts.mapping_file else None
        with opts.open(file, stdin=sys.stdin.buffer) as src:
            mapping = build_mapping(
                src.info, overrides=opts.maps, mapping_file=saved, unmapped=opts.unmapped
            )
            first = next(iter(src.chunks()), None)
            samples = [_sample(first.frame[c.column]) if first else "" for c in mapping.columns]
            out = Console(highlight=False, soft_wrap=True)
            title = f"Mapping of {display_name(file)}"
            out.print(mapping_table(mapping_rows(mapping), title=title, samples=samples))
            for note in src.info.notes:  # the reader's decisions: type by content, formats
                out.print(note, markup=False)
            if write:
                write_mapping_file(write, mapping, src.info)
                out.print(f"Saved to {write}; reuse it with --mapping {write}.")


def _sample(column: pd.Series) -> str:
    """The first non-empty value of a column of the first chunk ("" when none)."""
    values = column.dropna().astype(str).str.strip()
    values = values[values != ""]
    return str(values.iloc[0]) if len(values) else ""


runs_app = typer.Typer(
    help="The imports recorded in the state directory, newest first.",
    invoke_without_command=True,
)
app.add_typer(runs_app, name="runs")
StateDirOption = Annotated[
    str | None,
    typer.Option(
        "--state-dir",
        help="Where the journal lives (default: the user's state directory).",
        show_default=False,
    ),
]


@runs_app.callback(invoke_without_command=True)
def runs_list(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print the runs as JSON.")] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Show at most N runs.", min=1)
    ] = None,
    state_dir: StateDirOption = None,
) -> None:
    """List the imports recorded in the state directory, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from .render import runs_table
    from .runs import list_runs

    with _user_errors(False):
        runs = list_runs(Path(state_dir) if state_dir else default_state_dir(), limit=limit)
        if json_out:
            sys.stdout.write(json.dumps([r.to_dict() for r in runs], indent=2) + "\n")
        elif not runs:
            Console(highlight=False).print("No imports recorded yet.")
        else:
            Console(highlight=False, soft_wrap=True).print(runs_table(runs))


@runs_app.command("show")
def runs_show(
    run_id: Annotated[int, typer.Argument(help="The run's ID, as 'foxreach runs' lists it.")],
    report: Annotated[
        str | None, typer.Option("--report", help="Write the report as JSON to this file.")
    ] = None,
    rejected: Annotated[
        str | None,
        typer.Option("--rejected", help="Write every row not imported to this CSV."),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            help="Where the imported file is now, if it moved (e.g. by --move-done).",
            show_default=False,
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print only the report as JSON on stdout.")
    ] = False,
    state_dir: StateDirOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail.")] = False,
) -> None:
    """Print one past import's report, rebuilt from the journal and the file."""
    from .runs import replay_run

    with _user_errors(verbose):
        result = replay_run(
            Path(state_dir) if state_dir else default_state_dir(),
            run_id,
            file=file,
            report_path=report,
            rejected_path=rejected,
        )
        _render(
            result,
            json_out=json_out,
            quiet=False,
            verbose=verbose,
            report_path=report,
            rejected=rejected,
            log=None,
        )


config_app = typer.Typer(
    help="Show and save the API key and base URL foxreach uses.", no_args_is_help=True
)
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="As for import.", show_default=False)
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="As for import.", show_default=False)
    ] = None,
    env_file: Annotated[
        str | None, typer.Option("--env-file", help="As for import.", show_default=False)
    ] = None,
    state_dir: Annotated[
        str | None, typer.Option("--state-dir", help="As for import.", show_default=False)
    ] = None,
) -> None:
    """Show the base URL, the API key (masked) and where each came from."""
    with _user_errors(False):
        creds, origins = resolve_credentials_explained(
            api_key=api_key, base_url=base_url, env_file=env_file
        )
        out = Console(highlight=False, soft_wrap=True)
        key = mask_key(creds.api_key) if creds.api_key else "(none)"
        out.print(f"base URL:  {creds.base_url}  [dim]({origins['base_url']})[/]")
        out.print(f"API key:   {key}  [dim]({origins['api_key']})[/]")
        out.print(f"state dir: {state_dir or default_state_dir()}")
        out.print(
            "[dim]Precedence: flags, then environment variables, then the .env file, "
            "then ~/.foxreach/config.json.[/]"
        )


@config_app.command("init")
def config_init(
    env_file: Annotated[
        str, typer.Option("--env-file", help="The file to write the key to.")
    ] = ".env",
) -> None:
    """Ask for the API key (hidden) and save it to .env, readable by you only."""
    with _user_errors(False):
        key = _key_to_save(typer.prompt("FoxReach API key", hide_input=True))
        write_env_value(Path(env_file), API_KEY_ENV, key)
        Console(highlight=False).print(
            f"Saved {mask_key(key)} to {env_file} (owner-only). "
            "foxreach reads it from there when run in this directory."
        )


@config_app.command("set-key")
def config_set_key(
    key_arg: Annotated[
        str | None,
        typer.Argument(
            metavar="[KEY]", help="The API key (otr_...); asked for (hidden) when not given."
        ),
    ] = None,
    key_opt: Annotated[
        str | None,
        typer.Option(
            "--key", help="The API key, as the official CLI takes it.", show_default=False
        ),
    ] = None,
) -> None:
    """Save the API key to ~/.foxreach/config.json (owner-only), as the official CLI does."""
    with _user_errors(False):
        if key_arg and key_opt and key_arg != key_opt:
            raise UsageError("Give the key once: as KEY or with --key; nothing was written.")
        key = _key_to_save(key_arg or key_opt or typer.prompt("API key", hide_input=True))
        path = write_config_value(API_KEY_ENV, key)
        out = Console(highlight=False, soft_wrap=True)
        out.print(f"API key saved: {mask_key(key)} in {path} (owner-only).", markup=False)
        _note_override("api_key", out)


def _key_to_save(typed: str) -> str:
    """A key given to ``config init`` or ``set-key``, trimmed, refused unless it looks like a
    FoxReach key that can be sent in a header."""
    key = typed.strip()
    if not key.startswith("otr_"):
        raise UsageError("FoxReach API keys start with otr_; nothing was written.")
    return check_api_key(key)


@config_app.command("set-url")
def config_set_url(
    url: Annotated[
        str, typer.Argument(help="The API base URL, e.g. https://api.foxreach.io/api/v1.")
    ],
) -> None:
    """Save the API base URL to ~/.foxreach/config.json, as the official CLI does."""
    with _user_errors(False):
        url = check_base_url(url)
        path = write_config_value(BASE_URL_ENV, url)
        out = Console(highlight=False, soft_wrap=True)
        out.print(f"Base URL set to {url} in {path}.", markup=False)
        _note_override("base_url", out)


def _note_override(setting: str, out: Console) -> None:
    """Say so when a flagless run would not use the value just saved (an environment variable
    or .env in this directory comes first)."""
    try:
        _, origins = resolve_credentials_explained(api_key=None, base_url=None, env_file=None)
    except FoxReachImportError:
        return  # a broken .env is reported by the commands that use it
    origin = origins[setting]
    if origin.startswith("$") or origin == ".env file":
        out.print(f"Note: {origin} is set here and comes first.", markup=False)


def _mount_sandbox() -> None:
    from .sandbox.cli import app as sandbox_app

    app.add_typer(
        sandbox_app, name="sandbox", help="Run a local FoxReach-compatible sandbox server."
    )


_mount_sandbox()


def main() -> None:
    """Console-script entry point."""
    # The sandbox server collects less often; the importer must not (see runtime).
    tune_gc(GC_THRESHOLD if sys.argv[1:2] == ["sandbox"] else None)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
