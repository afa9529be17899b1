"""README is the user's contract: its option tables and the two commands must match the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.defaults import ENV_FILE
from foxreach_cli.import_config import ImportConfig

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


def _readme_defaults(heading: str) -> dict[str, str]:
    """Option -> the default its meaning states as a value: "(default 1000)", "(default
    `csv_import`)", "(default on; ...)". A described default ("default: detected") is no value."""
    section = README.split(heading, 1)[1].split("\n#", 1)[0]
    found: dict[str, str] = {}
    for cell, meaning in re.findall(r"^\| `(--[a-z-]+)(?:[^|\\]|\\.)*\| (.+) \|$", section, re.M):
        stated = re.search(r"\(default (`[^`]+`|[\d.]+|on|off)[;,) ]", meaning)
        if stated:
            found[cell] = stated.group(1).strip("`")
    return found


def _same(stated: str, default: object) -> bool:
    if isinstance(default, bool):
        return stated == ("on" if default else "off")
    if isinstance(default, int | float):
        return float(stated) == default
    return stated == str(getattr(default, "value", default))


def test_readme_states_the_defaults_that_import_help_shows():
    # Where the code leaves an option unset and derives its value, README states the result.
    derived = {"--env-file": ENV_FILE, "--resume": ImportConfig(files=("a.csv",)).resume}
    code: dict[str, object] = {}
    for param in _command(["import"]).params:
        if _is_option(param) and (not param.is_flag or param.secondary_opts):
            default = derived.get(param.opts[0], param.default)
            if default is not None:
                code[param.opts[0]] = default
    stated = _readme_defaults("### `foxreach import` options")
    assert sorted(stated) == sorted(code)
    wrong = {opt: (stated[opt], code[opt]) for opt in code if not _same(stated[opt], code[opt])}
    assert wrong == {}


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


def test_ci_type_checks_the_package_as_readme_says():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/mypy foxreach_cli" in ci.splitlines()
    assert "`.venv/bin/mypy foxreach_cli`" in README


def _exit_section() -> str:
    return README.split("## Exit codes")[1].split("\n## ")[0]


def test_the_exit_code_table_is_the_one_of_cli_errors_and_of_import_help():
    from foxreach_cli.cli.errors import EXIT_CODES, EXIT_MEANINGS, EXIT_PRECEDENCE

    section = _exit_section()
    readme = {
        int(code): meaning.replace("`", "")
        for code, meaning in re.findall(r"^\| (\d+) \| (.+) \|$", section, re.M)
    }
    assert readme == EXIT_MEANINGS
    # Every code an error or a run can end with is in the table.
    assert {code for _, code in EXIT_CODES} | set(EXIT_PRECEDENCE) <= set(EXIT_MEANINGS)
    order = ", ".join(map(str, EXIT_PRECEDENCE))
    assert f"When several apply, the first of {order} wins" in " ".join(section.split())

    result = CliRunner().invoke(app, ["import", "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    help_text = " ".join(result.stdout.split("Exit codes:", 1)[1].split())
    listed = " ".join(f"{code} {text}" for code, text in EXIT_MEANINGS.items())
    assert help_text == f"{listed} When several apply, the first of {order} wins."


def test_the_operator_table_says_what_to_do_for_every_code_but_a_bug():
    from foxreach_cli.cli.errors import EXIT_INTERNAL, EXIT_MEANINGS

    section = README.split("What each exit code means for an operator:")[1].split("\n## ")[0]
    listed = {int(c) for c in re.findall(r"^\| (\d+) \| ", section, re.M)}
    assert listed == set(EXIT_MEANINGS) - {EXIT_INTERNAL}


def _verdict_table() -> dict[str, list[str]]:
    """README's verdict table: service -> its cells (header, invalid, do not mail,
    disposable, imported)."""
    start = README.index("| Service | Header | Left out: invalid |")
    rows: dict[str, list[str]] = {}
    for line in README[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def _words(cell: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", cell))


def test_the_readme_verdict_table_matches_the_code_word_by_word():
    """Every service, header and word of README's table is the code's, and the other way
    round: a user reading that Apollo's Invalid is left out can rely on it."""
    from foxreach_cli.hygiene import verdicts
    from foxreach_cli.hygiene.verdicts import VerdictClass as V
    from foxreach_cli.mapping.lexicon import lexicon

    table = _verdict_table()
    services = {s.name: s for s in verdicts.SERVICES}
    assert set(table) == set(services)
    generic = {verdicts.normalise_header(h) for h in lexicon().verdict_generic_headers}
    for name, (header, invalid, dnm, disposable, imported) in table.items():
        service = services[name]
        own = {h for h in service.headers if h not in generic}
        assert {verdicts.normalise_header(h) for h in _words(header)} == own, name
        assert ("generic" in header) == bool(service.headers & generic), name
        by_class = {
            V.INVALID: invalid,
            V.DO_NOT_MAIL: dnm,
            V.DISPOSABLE: disposable,
        }
        if all(c is V.DETAIL for c in service.words.values()):
            assert not (_words(invalid) | _words(dnm) | _words(disposable)), name
            assert "never decides" in imported, name
            continue
        for cls, cell in by_class.items():
            expected = {w for w, c in service.words.items() if c is cls}
            assert {verdicts.fold(w) for w in _words(cell)} == expected, (name, cls)
        kept = {w for w, c in service.words.items() if c in (V.OK, V.RISKY, V.UNKNOWN)}
        assert {verdicts.fold(w) for w in _words(imported)} == kept, name
        # What the README says is left out is what the code leaves out.
        left_out = {w for w, c in service.words.items() if c in verdicts.EXCLUDED_CLASSES}
        assert {verdicts.fold(w) for w in _words(invalid) | _words(dnm)} == left_out, name
