"""Every command path, argument and option of the official foxreach-cli 0.2.0 exists in ours,
with the same kind (flag or value), type, choices and requiredness.

The official tree is tests/data/official_cli_tree.json, written by tests/tools/official_tree.py
from the wheel in a separate virtualenv (both packages are named foxreach_cli)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer

from foxreach_cli.cli import app

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "official_cli_tree.json"
OFFICIAL: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))


def _kind(type_name: str) -> str:
    """click's and typer's (vendored click's) names for the same parameter type."""
    return {"int": "integer", "str": "text", "string": "text"}.get(type_name, type_name)


def _ours(path: str) -> Any:
    """Our click command at ``path`` (space-separated), or None."""
    command: Any = typer.main.get_command(app)
    ctx = typer.Context(command)
    for name in path.split():
        if not hasattr(command, "list_commands") or name not in command.list_commands(ctx):
            return None
        command = command.get_command(ctx, name)
        ctx = typer.Context(command, parent=ctx)
    return command


def test_the_fixture_holds_the_whole_official_tree() -> None:
    groups = {path for path, entry in OFFICIAL.items() if entry["group"] and path}
    assert groups == {
        "leads", "campaigns", "sequences", "templates", "accounts", "inbox", "analytics",
        "webhooks", "config",
    }  # fmt: skip
    assert len(OFFICIAL) == 56


@pytest.mark.parametrize("path", sorted(OFFICIAL))
def test_every_official_command_exists_with_its_parameters(path: str) -> None:
    theirs = OFFICIAL[path]
    ours = _ours(path)
    assert ours is not None, f"'foxreach {path}' is missing"
    assert hasattr(ours, "list_commands") == theirs["group"]
    our_args = [p for p in ours.params if p.param_type_name == "argument"]
    their_args = [p for p in theirs["params"] if p["kind"] == "argument"]
    assert len(our_args) >= len(their_args), f"'foxreach {path}' lacks arguments"
    by_flag = {}
    for param in ours.params:
        if param.param_type_name == "option":
            for flag in [*param.opts, *param.secondary_opts]:
                by_flag[flag] = param
    for option in (p for p in theirs["params"] if p["kind"] == "option"):
        flags = option["opts"] + option["secondary_opts"]
        for flag in flags:
            assert flag in by_flag, f"'foxreach {path}' lacks {flag}"
        param = by_flag[flags[0]]
        assert sorted(param.secondary_opts) == option["secondary_opts"], (path, flags)
        assert bool(param.is_flag) == option["is_flag"], (path, flags)
        if option["required"]:
            assert param.required, (path, flags)
        if "choices" in option:
            assert sorted(param.type.choices) == sorted(option["choices"]), (path, flags)
        elif not option["is_flag"] and flags != ["--version"]:
            assert _kind(param.type.name) == _kind(option["type"]), (path, flags)


def test_leads_list_takes_email_as_later_official_versions_do() -> None:
    command = _ours("leads list")
    assert any("--email" in p.opts for p in command.params)
