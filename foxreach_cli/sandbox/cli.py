"""``foxreach sandbox ...``: a Typer sub-app the main CLI mounts as ``sandbox``.

Also runnable alone: ``python -m foxreach_cli.sandbox serve --port 0``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from .config import SandboxConfig, SandboxConfigError, WindowMode, default_db_path

DEFAULT_PORT = 8765

app = typer.Typer(
    help="Run a local FoxReach-compatible server for trying imports without an account.",
    no_args_is_help=True,
)


@app.callback()
def _group() -> None:
    """Run a local FoxReach-compatible server for trying imports without an account."""


@app.command("serve")
def serve_command(
    host: Annotated[
        str, typer.Option(help="Interface to listen on; keep it on loopback.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = (
        DEFAULT_PORT
    ),
    db: Annotated[
        str | None,
        typer.Option(
            help="SQLite file for the leads, or ':memory:' for a throw-away store.",
            show_default=str(default_db_path()),
        ),
    ] = None,
    rate_limit: Annotated[
        int, typer.Option(help="Requests allowed per API key in each window.")
    ] = 100,
    window: Annotated[float, typer.Option(help="Rate-limit window in seconds.")] = 60.0,
    window_mode: Annotated[
        str,
        typer.Option(
            help="'fixed' (windows aligned to the clock) or 'sliding' (any span of --window)."
        ),
    ] = "fixed",
    contact_limit: Annotated[
        int | None,
        typer.Option(
            help="Plan limit of active leads per workspace; imports beyond it get 402.",
            show_default="unlimited",
        ),
    ] = None,
    latency: Annotated[float, typer.Option(help="Seconds to wait before each answer.")] = 0.0,
    fail_rate: Annotated[
        float, typer.Option(help="Share (0..1) of imports answered 500 without storing.")
    ] = 0.0,
    drop_rate: Annotated[
        float,
        typer.Option(help="Share (0..1) of imports stored, then cut off without a response."),
    ] = 0.0,
    seed: Annotated[
        int | None, typer.Option(help="Seed for the fault sequence, to make runs repeatable.")
    ] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request to stderr.")] = True,
) -> None:
    """Serve the FoxReach API (leads endpoints) locally until Ctrl-C."""
    try:
        config = SandboxConfig(
            db=db if db is not None else str(default_db_path()),
            rate_limit=rate_limit,
            window=window,
            window_mode=_window_mode(window_mode),
            contact_limit=contact_limit,
            latency=latency,
            fail_rate=fail_rate,
            drop_rate=drop_rate,
            seed=seed,
            host=host,
            port=port,
        )
    except SandboxConfigError as exc:
        _fail(str(exc))
    # Imported only when serving: FastAPI and uvicorn would slow every other command down.
    from .server import SANDBOX_KEY, SandboxStartupError, serve

    def announce(base_url: str) -> None:
        where = config.db if config.db == ":memory:" else str(Path(config.db).expanduser())
        typer.echo(f"FoxReach sandbox listening on {base_url} (leads in {where})")
        typer.echo("Point the importer at it with:")
        typer.echo(f"  export FOXREACH_BASE_URL={base_url} FOXREACH_API_KEY={SANDBOX_KEY}")
        typer.echo("Any key starting with otr_ works; each key is its own workspace.")

    try:
        serve(config, on_ready=announce, access_log=access_log)
    except SandboxStartupError as exc:
        _fail(exc.describe())
    except KeyboardInterrupt:
        # uvicorn shuts down gracefully, then re-raises the Ctrl-C: that is a normal stop.
        pass


def _window_mode(value: str) -> WindowMode:
    if value == "fixed":
        return "fixed"
    if value == "sliding":
        return "sliding"
    _fail(f"--window-mode must be 'fixed' or 'sliding', got {value!r}.")


def _fail(message: str) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(2)
