"""``foxreach map``: show how a file's columns map to lead fields, and save the mapping."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import TYPE_CHECKING, Annotated

import typer

from . import options as opt
from .errors import out_console, user_errors
from .option_groups import ReadArgs, grouped

if TYPE_CHECKING:
    import pandas as pd


@grouped
def map_command(
    file: Annotated[str, typer.Argument(help="CSV/TSV/TXT/XLSX file ('-' for stdin).")],
    read: ReadArgs,
    write: Annotated[
        str | None, typer.Option("--write", help="Save the mapping to this TOML file.")
    ] = None,
    verbose: opt.Verbose = False,
) -> None:
    """Show how FILE's columns map to lead fields, and optionally save the mapping."""
    from ..errors import UsageError
    from ..mapping import build_mapping, mapping_rows
    from ..mapping_file import load_mapping_file, write_mapping_file
    from ..readers.base import display_name
    from ..rejected_file import adopt_rejected_file
    from ..render import mapping_table

    with user_errors(verbose):
        opts = read.parse()
        saved = load_mapping_file(opts.mapping_file) if opts.mapping_file else None
        out = out_console()
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
