"""The import history as ``foxreach runs`` prints it: one row per recorded run of a file.

Apart from :mod:`.render` (which reads reports, and with them pandas) so that listing the
runs loads nothing the journal's own reading does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:
    from .runs import RunView


def runs_table(runs: list[RunView]) -> Table:
    """The import history as ``foxreach runs`` prints it."""
    table = Table(title="Imports, newest first", title_justify="left", header_style="bold")
    table.add_column("ID", justify="right")
    table.add_column("Started → ended")
    table.add_column("File @ hash")
    table.add_column("Destination")
    table.add_column("Rows", justify="right")
    table.add_column("Outcome")
    table.add_column("Status")
    for run in runs:
        d = run.to_dict()
        ended = _short_time(d["endedAt"])
        if ended[:10] == _short_time(d["startedAt"])[:10]:
            ended = ended[11:]  # the same day: the time is enough
        outcome = ", ".join(
            f"{d[key]:,} {label}"
            for key, label in _OUTCOMES
            if d[key] or key in ("created", "errors")
        ) if d["rowsRead"] is not None else ""  # fmt: skip
        table.add_row(
            str(d["id"]),
            f"{_short_time(d['startedAt'])} → {ended or '…'}",
            f"{d['file']} @{d['contentHash'][:8]}",
            d["destination"],
            f"{d['rowsRead']:,}" if d["rowsRead"] is not None else "",
            outcome,
            run.status,
        )
    return table


_OUTCOMES = [
    ("created", "created"),
    ("restored", "restored"),
    ("duplicates", "duplicates"),
    ("errors", "errors"),
    ("excluded", "excluded"),
    ("notSent", "not sent"),
]


def _short_time(iso: str | None) -> str:
    """``2026-11-30T02:15:07+00:00`` -> ``2026-11-30 02:15:07``."""
    return iso[:19].replace("T", " ") if iso else ""
