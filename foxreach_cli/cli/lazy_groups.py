"""The root command's click group, which adds the official CLI's command groups
(:data:`foxreach_cli.official.GROUPS`) only when one of them is asked for: ``foxreach import``
never imports their modules (nor, through them, the SDK)."""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

from ..official import GROUPS


class LazyGroups(TyperGroup):
    """A Typer group whose official subgroups are loaded by name, on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        """Our own commands, then the official groups."""
        names = list(super().list_commands(ctx))
        return names + [name for name in GROUPS if name not in names]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The list of commands of ``foxreach --help``: an official group not loaded yet is
        listed with its line from GROUPS (loading it would import the SDK and httpx)."""
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command ``cmd_name``, loading an official group's module when it is one."""
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in GROUPS:
            return command
        module_name, help_text = GROUPS[cmd_name]
        if getattr(self, "_listing", False):  # its line in a list, not the group itself
            return typer.core.TyperCommand(name=cmd_name, help=help_text)
        module = importlib.import_module(f"..official.{module_name}", __package__)
        command = typer.main.get_command(module.app)
        command.name = cmd_name
        command.help = command.help or help_text
        self.commands[cmd_name] = command  # built once per process
        return command
