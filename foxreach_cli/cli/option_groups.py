"""The options of ``import`` and ``map`` gathered into groups, one per part of the run's config.

A group is a frozen dataclass whose fields are the options (their ``Annotated`` aliases from
:mod:`.options`, their defaults from :mod:`foxreach_cli.defaults`); :meth:`parse` checks them
and returns the config part. A command takes whole groups::

    @grouped
    def map_command(file: opt.File, read: ReadArgs, ...) -> None: ...

:func:`grouped` shows typer the groups' fields as the command's own options and hands the
command each group built from them, so an option shared by two commands (the reading
options of ``import`` and ``map``) is declared once. The config is imported only when a
group is parsed: ``--help`` loads none of it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

from .. import defaults
from ..errors import UsageError
from . import options as opt

if TYPE_CHECKING:
    from ..import_config import (
        CredentialOptions,
        HygieneOptions,
        Outputs,
        ReadOptions,
        RunMode,
        StateOptions,
    )
    from ..send import SendPolicy
    from ..validate import LeadDefaults

R = TypeVar("R")


def grouped(command: Callable[..., R]) -> Callable[..., R]:
    """``command`` with each parameter whose type is a dataclass (a group) replaced, in the
    signature typer reads, by the group's fields; the call builds the group from them."""
    hints = get_type_hints(command, include_extras=True)
    groups: dict[str, type[Any]] = {}
    params: list[inspect.Parameter] = []
    for param in inspect.signature(command).parameters.values():
        kind = hints[param.name]
        if not dataclasses.is_dataclass(kind):
            params.append(param.replace(annotation=kind, kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        assert isinstance(kind, type)
        groups[param.name] = kind
        field_types = get_type_hints(kind, include_extras=True)
        params += [
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=field_types[f.name],
                default=f.default,
            )
            for f in dataclasses.fields(kind)
        ]

    @functools.wraps(command)
    def with_groups(**given: Any) -> R:
        for name, kind in groups.items():
            given[name] = kind(**{f.name: given.pop(f.name) for f in dataclasses.fields(kind)})
        return command(**given)

    signature = inspect.Signature(params)
    with_groups.__signature__ = signature  # type: ignore[attr-defined]
    with_groups.__annotations__ = {p.name: p.annotation for p in params}
    return with_groups


@dataclass(frozen=True)
class ReadArgs:
    """How to read and map a file (``import`` and ``map``)."""

    sheet: opt.Sheet = None
    encoding: opt.Encoding = None
    delimiter: opt.Delimiter = None
    header_row: opt.HeaderRow = None
    maps: opt.Maps = None
    mapping_file: opt.MappingFile = None
    unmapped: opt.UnmappedColumns = defaults.UNMAPPED
    consent_required: opt.ConsentRequired = False

    def parse(self) -> ReadOptions:
        """The checked reading options."""
        from ..import_config import build_read_options

        return build_read_options(
            encoding=self.encoding,
            delimiter=self.delimiter,
            sheet=self.sheet,
            header_row=self.header_row,
            maps=self.maps or (),
            mapping_file=self.mapping_file,
            unmapped=self.unmapped,
            consent_required=self.consent_required,
        )


@dataclass(frozen=True)
class RunArgs:
    """What kind of run: dry, into the sandbox, or live; how much of each file."""

    dry_run: opt.DryRun = False
    sandbox: opt.Sandbox = False
    sandbox_db: opt.SandboxDb = None
    limit: opt.Limit = None
    allow_new_columns: opt.AllowNewColumns = False

    def parse(self) -> RunMode:
        """The run's mode (``--sandbox-db`` without ``--sandbox`` is a usage error)."""
        from ..import_config import RunMode

        if self.sandbox_db is not None and not self.sandbox:
            raise UsageError("--sandbox-db is for --sandbox runs; add --sandbox or drop it.")
        return RunMode(
            dry_run=self.dry_run,
            sandbox=self.sandbox,
            limit=self.limit,
            allow_new_columns=self.allow_new_columns,
        )


@dataclass(frozen=True)
class CredentialArgs:
    """Where a live run's key and base URL come from, when given as flags."""

    api_key: opt.ApiKey = None
    base_url: opt.BaseUrl = None
    env_file: opt.EnvFile = None

    def parse(self) -> CredentialOptions:
        """The flags, as the config takes them (resolved by ``build_config``)."""
        from ..import_config import CredentialOptions

        return CredentialOptions(
            api_key=self.api_key, base_url=self.base_url, env_file=self.env_file
        )


@dataclass(frozen=True)
class LeadArgs:
    """The values applied to every lead."""

    tags: opt.Tags = None
    source: opt.Source = defaults.SOURCE
    status: opt.Status = None

    def parse(self) -> LeadDefaults:
        """The checked lead defaults."""
        from ..import_config import parse_lead_defaults

        return parse_lead_defaults(source=self.source, status=self.status, tags=self.tags or ())


@dataclass(frozen=True)
class SendArgs:
    """How a live run sends."""

    no_restore: opt.NoRestore = not defaults.RESTORE
    batch_size: opt.BatchSize = defaults.BATCH_SIZE
    rate_limit: opt.RateLimit = defaults.RATE_LIMIT
    rate_window: opt.RateWindow = defaults.RATE_WINDOW
    concurrency: opt.Concurrency = None
    timeout: opt.Timeout = defaults.TIMEOUT
    retry_backoff: opt.RetryBackoff = defaults.RETRY_BACKOFF
    exact_report: opt.ExactReport = False

    def parse(self) -> SendPolicy:
        """The checked send policy."""
        from ..import_config import parse_send_policy

        return parse_send_policy(
            batch_size=self.batch_size,
            exact_report=self.exact_report,
            rate_limit=self.rate_limit,
            rate_window=self.rate_window,
            concurrency=self.concurrency,
            timeout=self.timeout,
            retry_backoff=self.retry_backoff,
            restore=not self.no_restore,
        )


@dataclass(frozen=True)
class HygieneArgs:
    """The list hygiene rules asked for (docs/hygiene.md)."""

    exclude: opt.Exclude = None
    check_domains: opt.CheckDomains = False
    resolver: opt.Resolver = None
    skip_role: opt.SkipRole = False
    skip_disposable: opt.SkipDisposable = False
    ignore_verdicts: opt.IgnoreVerdicts = False

    def parse(self) -> HygieneOptions:
        """The checked hygiene options."""
        from ..import_config import parse_hygiene

        return parse_hygiene(
            exclude=self.exclude or (),
            check_domains=self.check_domains,
            resolver=self.resolver,
            skip_role=self.skip_role,
            skip_disposable=self.skip_disposable,
            ignore_verdicts=self.ignore_verdicts,
        )


@dataclass(frozen=True)
class OutputArgs:
    """The files a run writes besides the journal."""

    report: opt.Report = None
    rejected: opt.Rejected = None
    log_file: opt.LogFile = None

    def parse(self) -> Outputs:
        """The outputs (proved writable when the run starts)."""
        from ..import_config import Outputs

        return Outputs(report_path=self.report, rejected_path=self.rejected, log_file=self.log_file)


@dataclass(frozen=True)
class StateArgs:
    """Unattended runs: the resume journal, locks, finished files."""

    resume: opt.Resume = None
    state_dir: opt.StateDir = None
    lock_timeout: opt.LockTimeout = defaults.LOCK_TIMEOUT
    move_done: opt.MoveDone = None
    force: opt.Force = False

    def parse(self) -> StateOptions:
        """The checked state options."""
        from ..import_config import parse_state

        return parse_state(
            resume=self.resume,
            state_dir=self.state_dir,
            lock_timeout=self.lock_timeout,
            move_done=self.move_done,
            force=self.force,
        )


@dataclass(frozen=True)
class View:
    """How much a command prints: ``--json``, ``--quiet``, ``--verbose``."""

    json_out: opt.JsonOut = False
    quiet: opt.Quiet = False
    verbose: opt.Verbose = False
