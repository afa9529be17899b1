"""One import run from the command line: its log file, progress display, the embedded sandbox
for ``--sandbox``, the campaign of ``--campaign``, the finished report on screen, and the exit
code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from ..credentials import Credentials
from ..errors import FoxReachImportError, UsageError
from ..gc_tuning import run_starting
from ..import_config import ImportConfig
from ..outputs import LogFile, open_log
from ..pipeline import RunResult, run_import
from .display import log_line, progress_display, show_run
from .errors import FailOn, describe, run_exit_code
from .import_campaign import enroll_after, open_stage
from .option_groups import View

if TYPE_CHECKING:
    from ..sandbox.server import RunningSandbox

#: The key an embedded sandbox run uses when none is given (any otr_ key works there).
SANDBOX_KEY = "otr_sandbox"


def run_and_show(
    cfg: ImportConfig,
    view: View,
    fail_on: FailOn,
    *,
    sandbox_key: str | None,
    sandbox_db: str | None = None,
    campaign: str | None = None,
) -> int:
    """Run one import with its log and display (in the embedded sandbox for ``--sandbox``, in
    ``sandbox_db`` or the sandbox's default database; then, with ``campaign``, enrol its leads
    in that campaign), show the result, and return its exit code."""
    # pandas, numpy and httpx are loaded now (this module imports the pipeline): the
    # collector never walks them again (see gc_tuning).
    run_starting()
    with ExitStack() as stack:
        log = stack.enter_context(open_log(cfg.outputs.log_file))
        progress = progress_display(view.json_out or view.quiet, log)
        if cfg.sandbox and not cfg.dry_run:
            running = stack.enter_context(_embedded_sandbox(sandbox_db))
            cfg = replace(cfg, credentials=_sandbox_credentials(running, sandbox_key))
        stage = None
        if campaign is not None:  # checked before anything is sent
            cfg, stage = open_stage(cfg, campaign)
            if stage is not None:
                stack.callback(stage.close)
        enroll = stage.enrollment.batch_answered if stage is not None else None
        try:
            result = run_import(cfg, progress=progress, stdin=sys.stdin.buffer, on_batch=enroll)
        except FoxReachImportError as exc:
            if log is not None:
                log_line(log, f"error: {describe(exc)}")
            raise
        told = enroll_after(stage, campaign, cfg, result) if campaign is not None else None
        _show(result, view, cfg, log)
        code = run_exit_code(result, fail_on)
        return told.show(view, code, log) if told is not None else code


def _show(result: RunResult, view: View, cfg: ImportConfig, log: LogFile | None) -> None:
    """The finished run on screen and in the log; the log failing at the very end is an error
    after sending when the run sent leads."""
    try:
        show_run(
            result,
            view,
            report_path=cfg.outputs.report_path,
            rejected_path=cfg.outputs.rejected_path,
            log=log,
        )
    except FoxReachImportError as exc:
        exc.sent = exc.sent or result.sent
        raise


def _sandbox_credentials(running: RunningSandbox, key: str | None) -> Credentials:
    """Where an embedded sandbox run sends, and with which key (any otr_ key works there)."""
    return Credentials(
        base_url=running.base_url,
        api_key=key or SANDBOX_KEY,
        destination=f"sandbox:{running.config.db}",
    )


@contextmanager
def _embedded_sandbox(db: str | None) -> Iterator[RunningSandbox]:
    """The local sandbox on a free loopback port for this run, kept in ``db`` (default: the
    database of ``foxreach sandbox serve``)."""
    # Imported here: FastAPI and uvicorn cost half a second that other runs need not pay.
    from ..sandbox.config import SandboxConfig, SandboxConfigError
    from ..sandbox.server import SandboxStartupError, run_in_thread

    try:
        config = SandboxConfig() if db is None else SandboxConfig(db=db)
    except SandboxConfigError:
        raise UsageError("--sandbox-db must be a file path or ':memory:'.") from None
    try:
        with run_in_thread(config) as running:
            yield running
    except SandboxStartupError as exc:
        message = exc.describe("--sandbox-db")
        raise UsageError(f"The local sandbox could not start: {message}") from None
