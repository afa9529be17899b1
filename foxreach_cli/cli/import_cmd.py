"""``foxreach import``: options -> config -> run -> render -> exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import typer

from ..credentials import Credentials
from ..errors import FoxReachImportError, UsageError
from ..import_config import (
    CredentialOptions,
    HygieneOptions,
    ImportConfig,
    Outputs,
    RunMode,
    StateOptions,
    build_config,
    build_read_options,
    parse_hygiene,
    parse_lead_defaults,
    parse_send_policy,
    parse_state,
)
from ..outputs import open_log
from ..pipeline import run_import
from ..send import SendPolicy
from ..validate import LeadDefaults
from . import options as opt
from .display import View, log_line, progress_display, show_run
from .errors import FailOn, describe, run_exit_code, user_errors
from .import_campaign import enroll_after, open_stage

if TYPE_CHECKING:
    from ..sandbox.server import RunningSandbox

#: The key an embedded sandbox run uses when none is given (any otr_ key works there).
SANDBOX_KEY = "otr_sandbox"


def import_command(
    files: opt.Files,
    dry_run: opt.DryRun = False,
    sandbox: opt.Sandbox = False,
    sandbox_db: opt.SandboxDb = None,
    campaign: opt.Campaign = None,
    api_key: opt.ApiKey = None,
    base_url: opt.BaseUrl = None,
    env_file: opt.EnvFile = None,
    sheet: opt.Sheet = None,
    encoding: opt.Encoding = None,
    delimiter: opt.Delimiter = None,
    header_row: opt.HeaderRow = None,
    maps: opt.Maps = None,
    mapping_file: opt.MappingFile = None,
    allow_new_columns: opt.AllowNewColumns = False,
    unmapped: opt.UnmappedColumns = opt.DEFAULT_UNMAPPED,
    consent_required: opt.ConsentRequired = False,
    tags: opt.Tags = None,
    source: opt.Source = LeadDefaults.source,
    status: opt.Status = None,
    no_restore: opt.NoRestore = not SendPolicy.restore,
    batch_size: opt.BatchSize = SendPolicy.batch_size,
    rate_limit: opt.RateLimit = SendPolicy.rate_limit,
    rate_window: opt.RateWindow = SendPolicy.rate_window,
    concurrency: opt.Concurrency = None,
    timeout: opt.Timeout = SendPolicy.timeout,
    exact_report: opt.ExactReport = False,
    exclude: opt.Exclude = None,
    check_domains: opt.CheckDomains = HygieneOptions.check_domains,
    resolver: opt.Resolver = HygieneOptions.resolver,
    skip_role: opt.SkipRole = HygieneOptions.skip_role,
    skip_disposable: opt.SkipDisposable = HygieneOptions.skip_disposable,
    ignore_verdicts: opt.IgnoreVerdicts = HygieneOptions.ignore_verdicts,
    report: opt.Report = None,
    rejected: opt.Rejected = None,
    json_out: opt.JsonOut = False,
    quiet: opt.Quiet = False,
    verbose: opt.Verbose = False,
    fail_on: opt.FailOnOption = FailOn.errors,
    limit: opt.Limit = None,
    resume: opt.Resume = StateOptions.resume,
    state_dir: opt.StateDir = None,
    lock_timeout: opt.LockTimeout = StateOptions.lock_timeout,
    move_done: opt.MoveDone = StateOptions.move_done,
    force: opt.Force = StateOptions.force,
    log_file: opt.LogFile = None,
) -> None:
    """Import leads from FILE(s) into FoxReach (or the sandbox, or nowhere with --dry-run)."""
    with user_errors(verbose):
        if sandbox_db is not None and not sandbox:
            raise UsageError("--sandbox-db is for --sandbox runs; add --sandbox or drop it.")
        # One argument per config part, each parsed and checked once by its own function.
        # fmt: off
        cfg = build_config(
            files,
            mode=RunMode(
                dry_run=dry_run, sandbox=sandbox, limit=limit, allow_new_columns=allow_new_columns
            ),
            read=build_read_options(
                encoding=encoding, delimiter=delimiter, sheet=sheet, header_row=header_row,
                maps=maps or (), mapping_file=mapping_file, unmapped=unmapped.value,
                consent_required=consent_required,
            ),
            send=parse_send_policy(
                batch_size=batch_size, exact_report=exact_report, rate_limit=rate_limit,
                rate_window=rate_window, concurrency=concurrency, timeout=timeout,
                restore=not no_restore,
            ),
            state=parse_state(
                resume=resume, state_dir=state_dir, lock_timeout=lock_timeout,
                move_done=move_done, force=force,
            ),
            defaults=parse_lead_defaults(source=source, status=status, tags=tags or ()),
            hygiene=parse_hygiene(
                exclude=exclude or (), check_domains=check_domains, resolver=resolver,
                skip_role=skip_role, skip_disposable=skip_disposable,
                ignore_verdicts=ignore_verdicts,
            ),
            outputs=Outputs(report_path=report, rejected_path=rejected, log_file=log_file),
            credentials=CredentialOptions(api_key=api_key, base_url=base_url, env_file=env_file),
        )
        # fmt: on
        view = View(json_out=json_out, quiet=quiet, verbose=verbose)
        raise typer.Exit(
            run_and_show(
                cfg, view, fail_on, sandbox_key=api_key, sandbox_db=sandbox_db, campaign=campaign
            )
        )


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
    ``sandbox_db`` or the sandbox's default database), show the result, and return its exit
    code."""
    with ExitStack() as stack:
        log = stack.enter_context(open_log(cfg.outputs.log_file))
        progress = progress_display(view.json_out or view.quiet, log)
        if cfg.sandbox and not cfg.dry_run:
            running = stack.enter_context(_embedded_sandbox(sandbox_db))
            creds = Credentials(
                base_url=running.base_url,
                api_key=sandbox_key or SANDBOX_KEY,
                destination=f"sandbox:{running.config.db}",
            )
            cfg = replace(cfg, credentials=creds)
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
        paths = cfg.outputs
        try:
            show_run(
                result,
                view,
                report_path=paths.report_path,
                rejected_path=paths.rejected_path,
                log=log,
            )
        except FoxReachImportError as exc:  # the log file, at the very end
            exc.sent = exc.sent or result.sent
            raise
        code = run_exit_code(result, fail_on)
        return told.show(view, code, log) if told is not None else code


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
