"""README is the user's contract: its option tables and the two commands must match the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from foxreach_cli.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


# Typer ships its own copy of click's classes: tell options and groups apart by their shape.
def _is_option(param: object) -> bool:
    return getattr(param, "param_type_name", "") == "option"


def _command(path: list[str]):
    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return cmd


def _cli_options(path: list[str]) -> set[str]:
    opts: set[str] = set()
    for param in _command(path).params:
        if _is_option(param):
            opts.update(o for o in param.opts + param.secondary_opts if o.startswith("--"))
    assert opts, "no options found: the introspection is broken"
    return opts - {"--help"}


def _readme_options(heading: str) -> set[str]:
    section = README.split(heading, 1)[1].split("\n#", 1)[0]
    found: set[str] = set()
    for cell in re.findall(r"^\| (`.+?`) \| ", section, re.M):
        for opt in re.findall(r"`(--[a-z-]+)", cell):
            found.add(opt)
        found.update(f"--no-{m}" for m in re.findall(r"`--([a-z-]+)/--no-", cell))
    return found


@pytest.mark.parametrize(
    "path, heading",
    [(["import"], "### `foxreach import` options"), (["map"], "### `foxreach map` options")],
)
def test_every_option_is_documented_and_every_documented_option_exists(path, heading):
    assert _readme_options(heading) == _cli_options(path)


def test_every_command_and_option_has_help_text():
    seen: list[str] = []

    def walk(cmd, name: str) -> None:
        assert cmd.help or cmd.short_help, f"{name} has no help"
        for param in cmd.params:
            if _is_option(param):
                seen.append(f"{name} {param.opts[0]}")
                assert param.help, f"{name} {param.opts} has no help"
        for sub_name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{name} {sub_name}")

    walk(typer.main.get_command(app), "foxreach")
    assert "foxreach import --dry-run" in seen and "foxreach sandbox serve --port" in seen


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```sh\n(.+?)\n```", README, re.S)
    test_command = next(c for c in commands if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install, run_tests = test_command.split("&& .venv/bin/pytest")[0], ".venv/bin/pytest"
    assert ".venv/bin/pip install -q -e '.[test]'" in install
    assert ".venv/bin/pip install --quiet -e '.[test]' && .venv/bin/pytest" in ci
    assert run_tests in ci


def test_the_exit_code_table_matches_the_cli():
    from foxreach_cli.cli import EXIT_CODES, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_REJECTED

    documented = {
        int(c)
        for c in re.findall(
            r"^\| (\d+) \| ", README.split("## Exit codes")[1].split("\n## ")[0], re.M
        )
    }
    assert documented == {0, EXIT_REJECTED, EXIT_INTERNAL, EXIT_INTERRUPTED} | {
        code for _, code in EXIT_CODES
    }
