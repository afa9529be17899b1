"""The options of one run, parsed and checked once, part by part: reading
(:func:`build_read_options`), lead defaults (:func:`parse_lead_defaults`), sending
(:func:`parse_send_policy`), outputs (:class:`Outputs`, checked for writing when the run
starts), state (:func:`parse_state`) and list hygiene (:func:`parse_hygiene`);
:func:`build_config` joins them into a frozen :class:`ImportConfig` that every stage trusts.
Each part's defaults come from :mod:`.defaults`.

Errors name the config field in ``option`` (``batch_size``), never a command-line flag; the
CLI puts the flag in their place.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from . import defaults
from .credentials import Credentials, resolve_credentials
from .defaults import Unmapped
from .errors import UsageError
from .mapping import Target, parse_map_options
from .read import Source, open_source, open_sources
from .send import SendPolicy
from .stage_data import LEAD_STATUSES, MAX_BATCH, SERVER_LIST_CAP
from .state import default_state_dir
from .validate import LeadDefaults

if TYPE_CHECKING:
    from .hygiene.stage import HygieneRules

_NAMED_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class ReadOptions:
    """How to read and map the input files (shared by ``import`` and ``map``)."""

    encoding: str | None = None  # a codec name Python knows, explicit about byte order
    delimiter: str | None = None  # one character
    sheet: str | None = None  # a sheet name, a 1-based number, or "all" (each sheet of leads)
    header_row: int | None = None  # the row of the column names (None: found)
    maps: Mapping[str, Target] = field(default_factory=dict)  # --map overrides
    mapping_file: str | None = None
    unmapped: Unmapped = defaults.UNMAPPED
    #: --consent-required: a no in a marketing-permission column unsubscribes.
    consent_required: bool = False

    def open(
        self, path: str, *, stdin: BinaryIO | None, chunk_rows: int = defaults.DRY_RUN_CHUNK_ROWS
    ) -> Source:
        """Open one input with these options (see :func:`read.open_source`)."""
        return open_source(
            path,
            encoding=self.encoding,
            delimiter=self.delimiter,
            sheet=self.sheet,
            header_row=self.header_row,
            stdin=stdin,
            chunk_rows=chunk_rows,
        )

    def open_all(
        self, path: str, *, stdin: BinaryIO | None, chunk_rows: int = defaults.DRY_RUN_CHUNK_ROWS
    ) -> list[Source]:
        """The inputs of one file: one, or one per sheet with ``sheet = "all"`` (see
        :func:`read.open_sources`)."""
        return open_sources(
            path,
            encoding=self.encoding,
            delimiter=self.delimiter,
            sheet=self.sheet,
            header_row=self.header_row,
            stdin=stdin,
            chunk_rows=chunk_rows,
        )


@dataclass(frozen=True)
class Outputs:
    """The files a run writes besides the journal (proved writable when the run starts)."""

    report_path: str | None = None  # --report
    rejected_path: str | None = None  # --rejected
    log_file: str | None = None  # --log-file


@dataclass(frozen=True)
class StateOptions:
    """Unattended runs: the resume journal, locks, and what happens to a finished file."""

    resume: bool | None = None  # read and write the journal (None: on, off for --sandbox)
    state_dir: Path = field(default_factory=default_state_dir)
    lock_timeout: float = defaults.LOCK_TIMEOUT  # seconds to wait for another run on the file
    move_done: str | None = None  # the folder a fully accounted-for file moves to
    force: bool = False  # import a file already imported before again


@dataclass(frozen=True)
class HygieneOptions:
    """Pre-flight list hygiene (docs/hygiene.md). The default list
    (``hygiene.default_list_path()``) applies to every run whatever these say."""

    exclude: tuple[str, ...] = ()  # --exclude FILE, in the order given
    check_domains: bool = False  # ask DNS whether each distinct domain takes mail
    resolver: str | None = None  # HOST[:PORT] (None: the system's first name server)
    domain_cache_days: float = defaults.DOMAIN_CACHE_DAYS  # how long a checked domain is trusted
    skip_role: bool = False  # leave role addresses out (default: count and name them)
    skip_disposable: bool = False  # leave disposable-domain addresses out
    ignore_verdicts: bool = False  # import rows whose source verdict says invalid/do-not-mail

    @property
    def rules(self) -> HygieneRules:
        """The options the rules themselves take (``hygiene.stage.HygieneRules``)."""
        from .hygiene.stage import HygieneRules

        return HygieneRules(
            skip_role=self.skip_role,
            skip_disposable=self.skip_disposable,
            ignore_verdicts=self.ignore_verdicts,
        )


@dataclass(frozen=True)
class CredentialOptions:
    """The flags a live run's key and base URL may come from (else the environment, .env,
    config.json: :func:`credentials.resolve_credentials`)."""

    api_key: str | None = None
    base_url: str | None = None
    env_file: str | None = None


@dataclass(frozen=True)
class RunMode:
    """What kind of run: where it sends, and how much of each file it reads."""

    dry_run: bool = False
    sandbox: bool = False
    limit: int | None = None  # only the first N data rows
    allow_new_columns: bool = False  # columns added since the --mapping file was written


@dataclass(frozen=True)
class ImportConfig:
    """Everything one import run needs, normalised and checked (see :func:`build_config`)."""

    files: tuple[str, ...]
    read: ReadOptions = field(default_factory=ReadOptions)
    dry_run: bool = False
    sandbox: bool = False
    # None for a dry run, and for --sandbox until the embedded sandbox is listening.
    credentials: Credentials | None = None
    limit: int | None = None
    allow_new_columns: bool = False
    defaults: LeadDefaults = field(default_factory=LeadDefaults)
    send: SendPolicy = field(default_factory=SendPolicy)
    outputs: Outputs = field(default_factory=Outputs)
    state: StateOptions = field(default_factory=StateOptions)
    hygiene: HygieneOptions = field(default_factory=HygieneOptions)
    # Rebuild the report of an import from the journal and the file (``foxreach runs show``):
    # nothing is sent and the journal is only read.
    replay: bool = False

    @property
    def live(self) -> bool:
        """Whether this run sends anything (it then needs the state directory)."""
        return not self.dry_run and not self.replay

    @property
    def resume(self) -> bool:
        """Whether the run reads and writes the resume journal: on for real workspaces, off
        for --sandbox unless asked, never in a dry run."""
        asked = self.state.resume
        return not self.dry_run and (asked if asked is not None else not self.sandbox)


def parse_delimiter(value: str | None) -> str | None:
    """One delimiter character, from a character or a name (tab, comma, semicolon, pipe)."""
    if value is None:
        return None
    value = _NAMED_DELIMITERS.get(value.lower(), value)
    if len(value) != 1 or value in '"\r\n':
        raise UsageError(
            f"must be one character such as , ; | or 'tab', not {value!r}.", option="delimiter"
        )
    return value


def parse_encoding(value: str | None) -> str | None:
    """A codec name Python knows, made explicit about byte order and BOM handling."""
    if value is None:
        return None
    try:
        name = codecs.lookup(value).name
    except LookupError:
        raise UsageError(
            f"{value!r} is not an encoding; use a name such as utf-8, cp1252, latin-1 or utf-16.",
            option="encoding",
        ) from None
    # BOMs are detected separately; the explicit codecs keep byte offsets computable.
    return {"utf-8-sig": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}.get(name, name)


def build_read_options(
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    maps: Sequence[str] = (),
    mapping_file: str | None = None,
    unmapped: str = defaults.UNMAPPED,
    consent_required: bool = ReadOptions.consent_required,
) -> ReadOptions:
    """Parse and check the reading and mapping options."""
    if header_row is not None and header_row < 1:
        raise UsageError(f"must be a row number from 1 up, not {header_row}.", option="header_row")
    if unmapped not in Unmapped.__members__:
        choices = " or ".join(Unmapped)
        raise UsageError(f"'{unmapped}' is not valid; use {choices}.", option="unmapped")
    return ReadOptions(
        encoding=parse_encoding(encoding),
        delimiter=parse_delimiter(delimiter),
        sheet=sheet,
        header_row=header_row,
        maps=parse_map_options(maps),
        mapping_file=mapping_file,
        unmapped=Unmapped(unmapped),
        consent_required=consent_required,
    )


def parse_lead_defaults(
    *, source: str = LeadDefaults.source, status: str | None = None, tags: Sequence[str] = ()
) -> LeadDefaults:
    """Check and normalise ``--source``, ``--status`` and ``--tag``: source trimmed and not
    empty, status one of the API's, tags trimmed and unique."""
    clean_source = source.strip()
    if not clean_source:
        raise UsageError(
            f"must not be empty; give a name such as {LeadDefaults.source}.", option="source"
        )
    clean_status = status.strip().lower() if status is not None else None
    if clean_status is not None and clean_status not in LEAD_STATUSES:
        raise UsageError(f"must be one of {', '.join(LEAD_STATUSES)}.", option="status")
    clean_tags = tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))
    return LeadDefaults(source=clean_source, status=clean_status, tags=clean_tags)


def parse_send_policy(
    *,
    batch_size: int = SendPolicy.batch_size,
    exact_report: bool = False,
    rate_limit: int = SendPolicy.rate_limit,
    rate_window: float = SendPolicy.rate_window,
    concurrency: int | None = None,
    timeout: float = SendPolicy.timeout,
    retry_backoff: float = SendPolicy.backoff_base,
    restore: bool = SendPolicy.restore,
) -> SendPolicy:
    """Check the sending options; ``--exact-report`` lowers the batch size to what the API
    names in full, and no ``concurrency`` means :func:`defaults.default_concurrency` of the
    rate."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise UsageError(f"must be between 1 and {MAX_BATCH}.", option="batch_size")
    if rate_limit < 1:
        raise UsageError("must be at least 1 request per minute.", option="rate_limit")
    if not (math.isfinite(rate_window) and rate_window > 0):
        raise UsageError("must be a positive number of seconds.", option="rate_window")
    if not (math.isfinite(timeout) and timeout > 0):
        raise UsageError("must be a positive number of seconds.", option="timeout")
    if not (math.isfinite(retry_backoff) and retry_backoff > 0):
        raise UsageError("must be a positive number of seconds.", option="retry_backoff")
    if concurrency is not None and concurrency < 1:
        raise UsageError("must be at least 1.", option="concurrency")
    return SendPolicy(
        batch_size=min(batch_size, SERVER_LIST_CAP) if exact_report else batch_size,
        rate_limit=rate_limit,
        rate_window=rate_window,
        concurrency=(
            concurrency if concurrency is not None else defaults.default_concurrency(rate_limit)
        ),
        timeout=timeout,
        backoff_base=retry_backoff,
        restore=restore,
    )


def parse_state(
    *,
    resume: bool | None = StateOptions.resume,
    state_dir: str | Path | None = None,
    lock_timeout: float = StateOptions.lock_timeout,
    move_done: str | None = StateOptions.move_done,
    force: bool = StateOptions.force,
) -> StateOptions:
    """Check the unattended-run options; no ``state_dir`` means the user's state directory."""
    if math.isnan(lock_timeout) or lock_timeout < 0:
        raise UsageError(f"must be 0 or more seconds, got {lock_timeout:g}.", option="lock_timeout")
    return StateOptions(
        resume=resume,
        state_dir=Path(state_dir) if state_dir else default_state_dir(),
        lock_timeout=lock_timeout,
        move_done=move_done,
        force=force,
    )


def parse_hygiene(
    *,
    exclude: Sequence[str] = (),
    check_domains: bool = HygieneOptions.check_domains,
    resolver: str | None = HygieneOptions.resolver,
    skip_role: bool = HygieneOptions.skip_role,
    skip_disposable: bool = HygieneOptions.skip_disposable,
    ignore_verdicts: bool = HygieneOptions.ignore_verdicts,
) -> HygieneOptions:
    """Check the hygiene options: a ``resolver`` is ``HOST[:PORT]`` and needs
    ``check_domains``; each ``exclude`` list is named once (the lists are read when the run
    starts, before anything is sent)."""
    if resolver is not None:
        from .hygiene.domains import parse_resolver

        parse_resolver(resolver)
        if not check_domains:
            raise UsageError(
                "is for --check-domains; add it or drop --resolver.", option="resolver"
            )
    for path in exclude:
        if not path.strip():
            raise UsageError("must name a file.", option="exclude")
    return HygieneOptions(
        exclude=tuple(dict.fromkeys(exclude)),
        check_domains=check_domains,
        resolver=resolver,
        skip_role=skip_role,
        skip_disposable=skip_disposable,
        ignore_verdicts=ignore_verdicts,
    )


def live_credentials(flags: CredentialOptions) -> Credentials:
    """The key and base URL of a run against a real workspace, resolved (flags, environment,
    .env, config.json) and checked."""
    from .client import check_api_key, check_base_url  # httpx: a dry run does not load it

    credentials = resolve_credentials(
        api_key=flags.api_key, base_url=flags.base_url, env_file=flags.env_file
    )
    if not credentials.api_key:
        raise UsageError(
            "is not set: pass it, set FOXREACH_API_KEY (or put it in .env), or save one "
            "with 'foxreach config set-key' or 'foxreach config init'; --dry-run and "
            "--sandbox need no key.",
            option="api_key",
        )
    check_api_key(credentials.api_key)
    return Credentials(base_url=check_base_url(credentials.base_url), api_key=credentials.api_key)


def build_config(
    files: Sequence[str],
    *,
    mode: RunMode | None = None,
    read: ReadOptions | None = None,
    defaults: LeadDefaults | None = None,
    send: SendPolicy | None = None,
    outputs: Outputs | None = None,
    state: StateOptions | None = None,
    credentials: CredentialOptions | None = None,
    hygiene: HygieneOptions | None = None,
) -> ImportConfig:
    """Join the parsed parts into one run's config; a part not given takes its defaults.

    A live run (neither dry nor ``--sandbox``) resolves its credentials here, last, so a
    missing key stops the run before any file is read but after every option was checked.
    """
    mode = mode or RunMode()
    if mode.limit is not None and mode.limit < 0:
        raise UsageError("must be 0 or more rows.", option="limit")
    live = not mode.dry_run and not mode.sandbox
    return ImportConfig(
        files=tuple(files),
        read=read or ReadOptions(),
        dry_run=mode.dry_run,
        sandbox=mode.sandbox,
        credentials=live_credentials(credentials or CredentialOptions()) if live else None,
        limit=mode.limit,
        allow_new_columns=mode.allow_new_columns,
        defaults=defaults or LeadDefaults(),
        send=send or SendPolicy(),
        outputs=outputs or Outputs(),
        state=state or StateOptions(),
        hygiene=hygiene or HygieneOptions(),
    )


def reading_record(cfg: ImportConfig) -> dict[str, Any]:
    """The options that decide how a file is read, mapped and validated, as plain JSON, so
    that ``foxreach runs show`` reads it again the same way (:func:`replay_config`)."""
    r, d = cfg.read, cfg.defaults
    return {
        "encoding": r.encoding,
        "delimiter": r.delimiter,
        "sheet": r.sheet,
        "headerRow": r.header_row,
        "maps": {column: str(target) for column, target in r.maps.items()},
        "mappingFile": r.mapping_file,
        "unmapped": r.unmapped,
        "source": d.source,
        "status": d.status,
        "tags": list(d.tags),
        "limit": cfg.limit,
    }


def replay_config(
    path: str,
    record: Mapping[str, Any],
    *,
    credentials: Credentials,
    state_dir: Path,
    report_path: str | None = None,
    rejected_path: str | None = None,
) -> ImportConfig:
    """The config that reads ``path`` as a recorded run did, to rebuild its report."""
    read = ReadOptions(
        encoding=record.get("encoding"),
        delimiter=record.get("delimiter"),
        sheet=record.get("sheet"),
        header_row=record.get("headerRow"),
        maps={c: Target.parse(t) for c, t in (record.get("maps") or {}).items()},
        mapping_file=record.get("mappingFile"),
        unmapped=Unmapped(record.get("unmapped") or defaults.UNMAPPED),
    )
    lead = LeadDefaults(
        source=record.get("source") or LeadDefaults.source,
        status=record.get("status"),
        tags=tuple(record.get("tags") or ()),
    )
    return ImportConfig(
        files=(path,),
        read=read,
        credentials=credentials,
        defaults=lead,
        limit=record.get("limit"),
        state=StateOptions(state_dir=state_dir),
        outputs=Outputs(report_path=report_path, rejected_path=rejected_path),
        replay=True,
    )
