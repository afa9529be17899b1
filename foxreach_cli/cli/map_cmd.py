"""``foxreach map``: show how a file's columns map to lead fields, and save the mapping."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from ..import_config import build_read_options
from . import options as opt
from .errors import user_errors


def map_command(
    file: Annotated[str, typer.Argument(help="CSV/TSV/TXT/XLSX file ('-' for stdin).")],
    write: Annotated[
        str | None, typer.Option("--write", help="Save the mapping to this TOML file.")
    ] = None,
    sheet: opt.Sheet = None,
    encoding: opt.Encoding = None,
    delimiter: opt.Delimiter = None,
    header_row: opt.HeaderRow = None,
    maps: opt.Maps = None,
    mapping_file: opt.MappingFile = None,
    unmapped: opt.UnmappedColumns = opt.DEFAULT_UNMAPPED,
    consent_required: opt.ConsentRequired = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="More detail on failures.")
    ] = False,
) -> None:
    """Show how FILE's columns map to lead fields, and optionally save the mapping."""
    from ..errors import UsageError
    from ..mapping import build_mapping, mapping_rows
    from ..mapping_file import load_mapping_file, write_mapping_file
    from ..readers.base import display_name
    from ..rejected_file import adopt_rejected_file
    from ..render import mapping_table

    with user_errors(verbose):
        opts = build_read_options(
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            header_row=header_row,
            maps=maps or [],
            mapping_file=mapping_file,
            unmapped=unmapped.value,
            consent_required=consent_required,
        )
        saved = load_mapping_file(opts.mapping_file) if opts.mapping_file else None
        out = Console(highlight=False, soft_wrap=True)
        with ExitStack() as stack:
            # --sheet all: one mapping per sheet of leads (the first closes last: it owns
            # the temporary copy of stdin).
            sources = opts.open_all(file, stdin=sys.stdin.buffer)
            for opened in sources:
                stack.enter_context(opened)
            if write and len(sources) > 1:
                raise UsageError(
                    "--write saves one mapping, but --sheet all maps "
                    f"{len(sources)} sheets; pass --sheet NAME with --write."
                )
            for opened in sources:
                src, used = adopt_rejected_file(opened, saved)
                mapping = build_mapping(
                    src.info,
                    overrides=opts.maps,
                    mapping_file=used,
                    unmapped=opts.unmapped,
                    consent_required=opts.consent_required,
                )
                first = next(iter(src.chunks()), None)
                samples = [_sample(first.frame[c.column]) if first else "" for c in mapping.columns]
                title = f"Mapping of {display_name(src.info.file)}"
                out.print(mapping_table(mapping_rows(mapping), title=title, samples=samples))
                # The reader's decisions (header row, sheet, merged cells, number formats),
                # then the mapping's (status and opt-out columns).
                choice = src.info.header_choice
                for note in (
                    *([choice.describe()] if choice is not None else []),
                    *src.info.notes,
                    *mapping.notes,
                ):
                    out.print(note, markup=False)
                if write:
                    write_mapping_file(write, mapping, src.info)
                    out.print(f"Saved to {write}; reuse it with --mapping {write}.")


def _sample(column: pd.Series) -> str:
    """The first non-empty value of a column of the first chunk ("" when none)."""
    values = column.dropna().astype(str).str.strip()
    values = values[values != ""]
    return str(values.iloc[0]) if len(values) else ""
