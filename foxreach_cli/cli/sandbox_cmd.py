"""``foxreach sandbox``: the sandbox's own CLI (:mod:`foxreach_cli.sandbox.cli`), mounted."""

from __future__ import annotations

import typer


def mount(app: typer.Typer) -> None:
    """Add the sandbox's commands to the main CLI as ``foxreach sandbox``."""
    from ..sandbox.cli import app as sandbox_app

    app.add_typer(
        sandbox_app, name="sandbox", help="Run a local FoxReach-compatible sandbox server."
    )
