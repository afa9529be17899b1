"""The options of one run, parsed and checked once: :func:`build_config` turns what the user
gave into a frozen :class:`ImportConfig` (or :class:`ReadOptions` for ``map``), and every stage
trusts it.

Errors name the config field in ``option`` (``batch_size``), never a command-line flag; the
CLI puts the flag in their place.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from .client import check_api_key, check_base_url
from .credentials import Credentials, resolve_credentials
from .errors import UsageError
from .mapping import Target, parse_map_options
from .models import LEAD_STATUSES, MAX_BATCH, SERVER_LIST_CAP
from .read import Source, open_source
from .send import default_concurrency
from .state import default_state_dir
from .validate import LeadDefaults

Unmapped = Literal["custom", "ignore"]
_NAMED_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class ReadOptions:
    """How to read and map the input files (shared by ``import`` and ``map``)."""

    encoding: str | None = None  # a codec name Python knows, explicit about byte order
    delimiter: str | None = None  # one character
    sheet: str | None = None  # a sheet name or a 1-based number
    header_row: int | None = None  # the row of the column names (None: found)
    maps: Mapping[str, Target] = field(default_factory=dict)  # --map overrides
    mapping_file: str | None = None
    unmapped: Unmapped = "custom"

    def open(self, path: str, *, stdin: BinaryIO | None, chunk_rows: int = 50_000) -> Source:
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
    # sending
    restore: bool = True
    batch_size: int = MAX_BATCH  # already lowered for --exact-report
    rate_limit: int = 100
    rate_window: float = 60.0
    concurrency: int = 100
    timeout: float = 30.0
    max_retries: int = 5
    # outputs
    report_path: str | None = None
    rejected_path: str | None = None
    log_file: str | None = None
    # unattended runs
    resume: bool = True  # read and write the resume journal (never in a dry run)
    state_dir: Path = field(default_factory=default_state_dir)
    lock_timeout: float = 0.0
    move_done: str | None = None
    force: bool = False
    # Rebuild the report of an import from the journal and the file (``foxreach runs show``):
    # nothing is sent and the journal is only read.
    replay: bool = False

    @property
    def live(self) -> bool:
        """Whether this run sends anything (it then needs the state directory)."""
        return not self.dry_run and not self.replay


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
    unmapped: str = "custom",
) -> ReadOptions:
    """Parse and check the reading and mapping options."""
    if header_row is not None and header_row < 1:
        raise UsageError(f"must be a row number from 1 up, not {header_row}.", option="header_row")
    if unmapped not in ("custom", "ignore"):
        raise UsageError(f"'{unmapped}' is not valid; use custom or ignore.", option="unmapped")
    return ReadOptions(
        encoding=parse_encoding(encoding),
        delimiter=parse_delimiter(delimiter),
        sheet=sheet,
        header_row=header_row,
        maps=parse_map_options(maps),
        mapping_file=mapping_file,
        unmapped=unmapped,  # type: ignore[arg-type]
    )


def build_config(
    files: Sequence[str],
    *,
    read: ReadOptions | None = None,
    dry_run: bool = False,
    sandbox: bool = False,
    api_key: str | None = None,
    base_url: str | None = None,
    env_file: str | None = None,
    limit: int | None = None,
    allow_new_columns: bool = False,
    tags: Sequence[str] = (),
    source: str = "csv_import",
    status: str | None = None,
    restore: bool = True,
    batch_size: int = MAX_BATCH,
    exact_report: bool = False,
    rate_limit: int = 100,
    rate_window: float = 60.0,
    concurrency: int | None = None,
    timeout: float = 30.0,
    max_retries: int = 5,
    report_path: str | None = None,
    rejected_path: str | None = None,
    log_file: str | None = None,
    resume: bool | None = None,
    state_dir: str | Path | None = None,
    lock_timeout: float = 0.0,
    move_done: str | None = None,
    force: bool = False,
) -> ImportConfig:
    """The one place where a run's options are checked and normalised.

    A live run (neither ``dry_run`` nor ``sandbox``) resolves its credentials here, so a
    missing key stops the run before any file is read.
    """
    if not 1 <= batch_size <= MAX_BATCH:
        raise UsageError(f"must be between 1 and {MAX_BATCH}.", option="batch_size")
    if rate_limit < 1:
        raise UsageError("must be at least 1 request per minute.", option="rate_limit")
    if not (math.isfinite(rate_window) and rate_window > 0):
        raise UsageError("must be a positive number of seconds.", option="rate_window")
    if not (math.isfinite(timeout) and timeout > 0):
        raise UsageError("must be a positive number of seconds.", option="timeout")
    if concurrency is not None and concurrency < 1:
        raise UsageError("must be at least 1.", option="concurrency")
    if math.isnan(lock_timeout) or lock_timeout < 0:
        raise UsageError(f"must be 0 or more seconds, got {lock_timeout:g}.", option="lock_timeout")
    if limit is not None and limit < 0:
        raise UsageError("must be 0 or more rows.", option="limit")
    clean_source = source.strip()
    if not clean_source:
        raise UsageError("must not be empty; give a name such as csv_import.", option="source")
    clean_status = status.strip().lower() if status is not None else None
    if clean_status is not None and clean_status not in LEAD_STATUSES:
        raise UsageError(f"must be one of {', '.join(LEAD_STATUSES)}.", option="status")
    clean_tags = tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))

    credentials = None
    if not dry_run and not sandbox:
        credentials = resolve_credentials(api_key=api_key, base_url=base_url, env_file=env_file)
        if not credentials.api_key:
            raise UsageError(
                "is not set: pass it, set FOXREACH_API_KEY (or put it in .env), or save one "
                "with 'foxreach config set-key' or 'foxreach config init'; --dry-run and "
                "--sandbox need no key.",
                option="api_key",
            )
        check_api_key(credentials.api_key)
        credentials = Credentials(
            base_url=check_base_url(credentials.base_url), api_key=credentials.api_key
        )
    return ImportConfig(
        files=tuple(files),
        read=read or ReadOptions(),
        dry_run=dry_run,
        sandbox=sandbox,
        credentials=credentials,
        limit=limit,
        allow_new_columns=allow_new_columns,
        defaults=LeadDefaults(source=clean_source, status=clean_status, tags=clean_tags),
        restore=restore,
        batch_size=min(batch_size, SERVER_LIST_CAP) if exact_report else batch_size,
        rate_limit=rate_limit,
        rate_window=rate_window,
        concurrency=concurrency if concurrency is not None else default_concurrency(rate_limit),
        timeout=timeout,
        max_retries=max_retries,
        report_path=report_path,
        rejected_path=rejected_path,
        log_file=log_file,
        # The journal: on for real workspaces, off for --sandbox unless asked, never dry.
        resume=not dry_run and (resume if resume is not None else not sandbox),
        state_dir=Path(state_dir) if state_dir else default_state_dir(),
        lock_timeout=lock_timeout,
        move_done=move_done,
        force=force,
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
        unmapped=record.get("unmapped") or "custom",
    )
    defaults = LeadDefaults(
        source=record.get("source") or "csv_import",
        status=record.get("status"),
        tags=tuple(record.get("tags") or ()),
    )
    return ImportConfig(
        files=(path,),
        read=read,
        credentials=credentials,
        defaults=defaults,
        limit=record.get("limit"),
        state_dir=state_dir,
        report_path=report_path,
        rejected_path=rejected_path,
        replay=True,
    )
