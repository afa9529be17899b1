"""The ``foxreach`` command: its groups, each in its own module, mounted on one Typer app.

Every command must answer ``--help`` at once, so a command module imports at its top only
typer, rich and the light modules the options need (:mod:`.options`, :mod:`.option_groups`,
:mod:`foxreach_cli.defaults`); whatever a command needs to run (pandas, httpx, the pipeline,
the sandbox server) it imports in its body. tests/e2e/test_startup.py holds them to it.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .. import __version__
from ..gc_tuning import GC_THRESHOLD, arm, tune_gc
from . import config_cmd, runs_cmd, sandbox_cmd
from .errors import exit_help
from .import_cmd import import_command
from .lazy_groups import LazyGroups
from .map_cmd import map_command
from .official_notice import NOTICE, official_cli_installed, wants_quiet

app = typer.Typer(
    name="foxreach",
    help="Bulk-import sales leads from CSV and XLSX files into a FoxReach workspace.",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks with locals could show the API key: never.
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # The official CLI's groups (leads, campaigns, ...) load when named: see lazy_groups.
    cls=LazyGroups,
)


def _version(value: bool) -> None:
    if value:
        print(f"foxreach {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Bulk-import sales leads from CSV and XLSX files into a FoxReach workspace."""


app.command("import", epilog=exit_help())(import_command)
app.command("map")(map_command)
app.add_typer(runs_cmd.app, name="runs")
app.add_typer(config_cmd.app, name="config")
sandbox_cmd.mount(app)


def main() -> None:
    """Console-script entry point."""
    # The sandbox server collects less often (see gc_tuning); an import tunes the collector
    # once it has loaded the pipeline (cli.import_run).
    if sys.argv[1:2] == ["sandbox"]:
        tune_gc(GC_THRESHOLD)
    else:
        arm()
    if not wants_quiet(sys.argv[1:]) and official_cli_installed():
        print(NOTICE, file=sys.stderr)
    app()
