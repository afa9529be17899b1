"""The run's inputs, opened and mapped before anything is sent, and what the report says of
each (:class:`report.FileSummary`)."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import defaults
from .errors import InputError, UsageError
from .import_config import ImportConfig
from .mapping import Mapping, MappingFile, build_mapping, mapping_rows
from .mapping_file import check_drift, load_mapping_file
from .read import Source, expand_inputs
from .readers.base import display_name
from .rejected_file import adopt_rejected_file
from .report import FileSummary
from .stage_data import SourceInfo


@dataclass
class PreparedFile:
    """An opened input and the mapping it will be read with."""

    source: Source
    mapping: Mapping

    @property
    def name(self) -> str:
        """The file as the user named it ('-' for stdin; a sheet of --sheet all is named
        with its workbook)."""
        return self.source.info.file

    @property
    def real_path(self) -> Path | None:
        """The input's file on disk (None for stdin); a sheet's is its workbook's."""
        given = self.source.info.origin or self.source.info.file
        return None if given == "-" else Path(given).resolve()

    def summary(self) -> FileSummary:
        """What the report says of this file: how it was read and mapped."""
        info = self.source.info
        return FileSummary(
            file=info.file,
            format=info.format,
            encoding=info.encoding,
            delimiter=info.delimiter,
            sheet=info.sheet,
            mapping=mapping_rows(self.mapping),
            header_row=info.header_row,
            notes=_header_notes(info) + tuple(info.notes) + self.mapping.notes,
            warnings=self.mapping.warnings,
            consent_required=any(
                o.kind == "permission" and o.means is not None for o in self.mapping.opt_outs
            ),
        )

    def verdict_columns(self) -> list[str]:
        """The file's verification columns, as the report names them."""
        return [
            f"{display_name(self.name)}: {v.header} ({v.service})" for v in self.mapping.verdicts
        ]


def prepare_files(
    cfg: ImportConfig, stack: ExitStack, stdin: BinaryIO | None
) -> tuple[list[PreparedFile], dict[str, str]]:
    """Open every input and build its mapping, before anything is sent.

    Returns the files to import and the ones refused, with the reason. A single file that
    cannot be read or mapped stops the run here (nothing reaches the API); in a folder or a
    list of files it is refused, and the others are imported.
    """
    opts = cfg.read
    saved = load_mapping_file(opts.mapping_file) if opts.mapping_file else None
    refused: dict[str, str] = {}
    paths = expand_inputs(cfg.files, refused)
    several = len(paths) > 1 or any(f != "-" and Path(f).is_dir() for f in cfg.files)
    chunk_rows = defaults.DRY_RUN_CHUNK_ROWS if cfg.dry_run else defaults.LIVE_CHUNK_ROWS
    prepared: list[PreparedFile] = []
    for path in paths:
        try:
            sources = opts.open_all(path, stdin=stdin, chunk_rows=chunk_rows)
        except InputError as exc:
            if not several:
                raise
            refused[path] = str(exc)
            continue
        # --sheet all: each sheet of leads is an input of its own. The first source owns a
        # temporary copy of stdin: entered first, it is closed last.
        for source in sources:
            stack.enter_context(source)
        several = several or len(sources) > 1
        for source in sources:
            prepared += _prepare(source, saved, cfg, several, refused)
    return prepared, refused


def _prepare(
    source: Source,
    saved: MappingFile | None,
    cfg: ImportConfig,
    several: bool,
    refused: dict[str, str],
) -> list[PreparedFile]:
    """One opened input with its mapping; refused (in ``refused``) when it cannot be mapped
    and the run has other inputs, else the error stops the run."""
    opts = cfg.read
    try:
        # A file of rejected rows is read with the mapping saved beside it.
        source, used = adopt_rejected_file(source, saved)
        if used is not None:
            check_drift(used, source.info, allow_new_columns=cfg.allow_new_columns)
        mapping = build_mapping(
            source.info,
            overrides=opts.maps,
            mapping_file=used,
            unmapped=opts.unmapped,
            consent_required=opts.consent_required,
        )
    except (InputError, UsageError) as exc:
        if not several:
            raise
        refused[source.info.file] = exc.describe()
        return []
    return [PreparedFile(source, mapping)]


def whole_files(done: list[str], files: list[PreparedFile]) -> list[str]:
    """The files to move once done: a workbook read sheet by sheet only when every sheet
    of it is done, named as the user gave it."""
    finished = set(done)
    out: list[str] = []
    for f in files:
        origin = f.source.info.origin
        if origin is None:
            if f.name in finished:
                out.append(f.name)
        elif origin not in out and all(
            g.name in finished for g in files if g.source.info.origin == origin
        ):
            out.append(origin)
    return out


def refused_note(name: str, reason: str) -> str:
    """The progress note of an input refused in a run of several."""
    return f"{display_name(name)} refused: {reason}"


def _header_notes(info: SourceInfo) -> tuple[str, ...]:
    """What was decided about the header row, when it was not simply the first row."""
    choice = info.header_choice
    if choice is None or (choice.row == 1 and not choice.skipped and not choice.blank_above):
        return ()
    return (choice.describe(),)
