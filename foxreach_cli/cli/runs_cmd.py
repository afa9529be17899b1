"""``foxreach runs``: the imports recorded in the state directory, and one of them again."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..state import default_state_dir
from .errors import out_console, user_errors
from .option_groups import View

app = typer.Typer(
    help="The imports recorded in the state directory, newest first.",
    invoke_without_command=True,
)
StateDir = Annotated[
    str | None,
    typer.Option(
        "--state-dir",
        help="Where the journal lives (default: the user's state directory).",
        show_default=False,
    ),
]


@app.callback(invoke_without_command=True)
def runs_list(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print the runs as JSON.")] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Show at most N runs.", min=1)
    ] = None,
    state_dir: StateDir = None,
) -> None:
    """List the imports recorded in the state directory, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from ..runs import list_runs
    from ..runs_table import runs_table

    with user_errors(False):
        runs = list_runs(Path(state_dir) if state_dir else default_state_dir(), limit=limit)
        if json_out:
            sys.stdout.write(json.dumps([r.to_dict() for r in runs], indent=2) + "\n")
        elif not runs:
            out_console().print("No imports recorded yet.")
        else:
            out_console().print(runs_table(runs))


@app.command("show")
def runs_show(
    run_id: Annotated[int, typer.Argument(help="The run's ID, as 'foxreach runs' lists it.")],
    report: Annotated[
        str | None, typer.Option("--report", help="Write the report as JSON to this file.")
    ] = None,
    rejected: Annotated[
        str | None,
        typer.Option("--rejected", help="Write every row not imported to this CSV."),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            help="Where the imported file is now, if it moved (e.g. by --move-done).",
            show_default=False,
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print only the report as JSON on stdout.")
    ] = False,
    state_dir: StateDir = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail.")] = False,
) -> None:
    """Print one past import's report, rebuilt from the journal and the file."""
    from ..runs import replay_run
    from .display import show_run

    with user_errors(verbose):
        result = replay_run(
            Path(state_dir) if state_dir else default_state_dir(),
            run_id,
            file=file,
            report_path=report,
            rejected_path=rejected,
        )
        view = View(json_out=json_out, verbose=verbose)
        show_run(result, view, report_path=report, rejected_path=rejected, log=None)
