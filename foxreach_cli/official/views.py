"""How the official commands print: JSON as foxreach-cli 0.2.0 prints it (the SDK's objects
as dicts with its snake_case keys, indented by 2), tables, detail views and page footers."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

#: A table column: header -> attribute name, or a function of the row.
Columns = Mapping[str, str | Callable[[Any], object]]


def out() -> Console:
    """Standard output (made per call: tests capture stdout)."""
    return Console(highlight=False, soft_wrap=True)


def as_plain(obj: Any) -> Any:
    """An SDK dataclass (or a list of them) as plain data, anything else as it is."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, list):
        return [as_plain(item) for item in obj]
    return obj


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout, the official CLI's layout (values it cannot encode
    as their ``str``)."""
    print(json.dumps(as_plain(data), indent=2, default=str))


def page_json(result: Any) -> None:
    """A list page as ``{"data": [...], "meta": {...}}``, as the official CLI prints it."""
    print_json({"data": as_plain(list(result.data)), "meta": as_plain(result.meta)})


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def print_table(rows: Sequence[Any], columns: Columns) -> None:
    """Rows as a table, one column per header; ids whole on one line (they are copied into
    the next command), other long values folded, never cut."""
    cells = []
    for row in rows:
        values = []
        for getter in columns.values():
            value = getter(row) if callable(getter) else getattr(row, getter, None)
            values.append(_cell(value))
        cells.append(values)
    table = Table(show_header=True, header_style="bold cyan")
    for n, header in enumerate(columns):
        if header == "ID":
            longest = max((len(values[n]) for values in cells), default=0)
            table.add_column(header, no_wrap=True, min_width=max(longest, len(header)))
        else:
            table.add_column(header, overflow="fold")
    for values in cells:
        table.add_row(*(escape(v) for v in values))
    out().print(table)


def print_detail(obj: Any, fields: Sequence[str]) -> None:
    """One object as "Label  value" lines (``-`` for an absent value)."""
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column("Field", style="bold")
    table.add_column("Value")
    for name in fields:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        label = name.replace("_", " ").title()
        table.add_row(label, escape(str(value)) if value is not None else "-")
    out().print(table)


def print_meta(meta: Any) -> None:
    """The page footer: page, pages and total."""
    if meta is not None and hasattr(meta, "total"):
        out().print(f"\n[dim]Page {meta.page}/{meta.total_pages} ({meta.total} total)[/dim]")


def success(message: str) -> None:
    """A line saying what was done."""
    out().print(f"[green]{escape(message)}[/green]")


def line(text: str) -> None:
    """A plain line of output, printed as it is."""
    print(text)


def split_ids(text: str) -> list[str]:
    """``a, b,,c`` -> ``["a", "b", "c"]`` (the official CLI's comma-separated id options)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def confirm(question: str, yes: bool) -> None:
    """Go on only if ``--yes`` was given or the user answers yes (as the official CLI's
    confirmation prompt); otherwise say nothing was done and exit 2."""
    import typer

    if yes:
        return
    try:
        agreed = typer.confirm(question, default=False)
    except typer.Abort:  # no answer (end of input, Ctrl-C at the prompt)
        agreed = False
    if not agreed:
        Console(stderr=True, highlight=False).print("Not confirmed; nothing was changed.")
        raise typer.Exit(2)


def show_page(result: Any, columns: Columns, *, as_json: bool, nothing: str) -> None:
    """A list command's answer: the page as JSON, or its rows as a table with the paging
    line, or ``nothing`` when the page holds no row."""
    if as_json:
        page_json(result)
    elif not result.data:
        line(nothing)
    else:
        print_table(result.data, columns)
        print_meta(result.meta)


def show_done(obj: Any, message: str, *, as_json: bool) -> None:
    """A create or update command's answer: the object as JSON, or one line saying what was
    done."""
    if as_json:
        print_json(obj)
    else:
        success(message)


def show_one(obj: Any, fields: Sequence[str], *, as_json: bool) -> None:
    """A get command's answer: the object as JSON, or its ``fields`` one per line."""
    if as_json:
        print_json(obj)
    else:
        print_detail(obj, fields)
