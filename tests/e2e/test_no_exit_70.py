"""No input, configuration file or journal content reaches exit 70: corrupt, truncated,
looping and foreign files fed to every place outside content enters (the input of ``import``,
alone and in a folder, ``--mapping``, ``--env-file``, ``~/.foxreach/config.json`` and the
journal of ``runs``, ``runs show`` and ``import``) are each exit 2 and one sentence on stderr."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.credentials import config_file_path
from tests.bad_corpus import CASES

runner = CliRunner()
KEY = "otr_abcdef0123456789"
NOWHERE = ["--api-key", KEY, "--base-url", "http://127.0.0.1:9/api/v1"]  # never reached


def _bytes(case: str) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(CASES[case][1]())


def _loop(p: Path) -> None:
    p.symlink_to(p)


#: Foreign, corrupt, truncated and looping contents, each written at a path.
FOREIGN: dict[str, Callable[[Path], None]] = {
    "png": _bytes("png_as_xlsx"),
    "zip-not-a-workbook": _bytes("zip_not_workbook"),
    "random-bytes": _bytes("garbage_csv"),
    "truncated-xlsx": _bytes("truncated_xlsx"),
    "folder": lambda p: p.mkdir(),
    "symlink-loop": _loop,
}


def one_sentence(args: list[str], *, code: int = 2, stdin: str | None = None) -> str:
    """Run foxreach; assert the documented exit and one ``Error:`` line on stderr."""
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == code, (args, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), (args, result.stderr)
    return lines[0]


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.csv"
    path.write_text("email,Name\na@example.com,Ann\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("ext", [".csv", ".xlsx", ".xls", ".ods"])
@pytest.mark.parametrize("kind", list(FOREIGN))
def test_a_foreign_input_file_is_one_sentence_alone_and_refused_in_a_folder(
    tmp_path: Path, kind: str, ext: str
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    bad = drop / f"x{ext}"
    FOREIGN[kind](bad)
    line = one_sentence(["import", str(bad), "--dry-run"])
    assert str(bad) in line
    (drop / "good.csv").write_text("email\nb@example.com\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(drop), "--dry-run", "--json"])
    assert result.exit_code == 2, result.output  # a dry run sends nothing: 2, not 7
    assert "Traceback" not in result.output and result.stderr == ""


TOML: dict[str, bytes] = {
    "corrupt": b"[columns\nEmail = ",
    "columns-not-a-table": b"columns = 5\n",
    "no-columns": b'headers = ["email"]\n',
    "entry-not-a-string": b"[columns]\nemail = 5\n",
    "entry-a-table": b"[columns]\nemail = { a = 1 }\n",
    "unknown-field": b'[columns]\nemail = "nosuch"\n',
    "headers-not-a-list": b'headers = "email"\n[columns]\nemail = "email"\n',
    "decisions-not-a-table": b'decisions = 5\n[columns]\nemail = "email"\n',
    "decision-malformed": b'[columns]\nemail = "email"\n[decisions.split_name]\ncolumns = 5\n',
    "column-not-in-file": b'[columns]\nNope = "email"\n',
    "empty": b"",
    "utf-16": '[columns]\nemail = "email"\n'.encode("utf-16"),
}


@pytest.mark.parametrize("kind", [*TOML, *FOREIGN])
def test_a_bad_mapping_file_is_one_sentence(tmp_path: Path, good: Path, kind: str) -> None:
    path = tmp_path / "m.toml"
    if kind in TOML:
        path.write_bytes(TOML[kind])
    else:
        FOREIGN[kind](path)
    line = one_sentence(["import", str(good), "--dry-run", "--mapping", str(path)])
    assert str(path) in line


def test_a_mapping_table_name_in_a_message_is_printed_not_eaten_as_markup(
    tmp_path: Path, good: Path
) -> None:
    path = tmp_path / "m.toml"
    path.write_bytes(TOML["no-columns"])
    assert one_sentence(["import", str(good), "--dry-run", "--mapping", str(path)]) == (
        f'Error: Mapping file {path} has no [columns] table of "Header" = "field" entries; '
        f"re-create it with 'foxreach map FILE --write {path}'."
    )


def test_a_mapping_file_with_a_byte_order_mark_is_read(tmp_path: Path, good: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_bytes(b'\xef\xbb\xbf[columns]\nemail = "email"\nName = "firstName"\n')
    result = runner.invoke(app, ["import", str(good), "--dry-run", "--mapping", str(path)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("kind", ["png", "random-bytes", "folder", "symlink-loop", "utf-16"])
def test_a_bad_env_file_is_one_sentence_for_import_show_and_init(
    tmp_path: Path, good: Path, kind: str
) -> None:
    path = tmp_path / "custom.env"
    if kind == "utf-16":
        path.write_bytes(f"FOXREACH_API_KEY={KEY}\n".encode("utf-16"))
    else:
        FOREIGN[kind](path)
    for args in (["import", str(good)], ["config", "show"], ["config", "init"]):
        line = one_sentence([*args, "--env-file", str(path)], stdin=f"{KEY}\n")
        assert str(path) in line
        assert KEY not in line


def test_a_folder_named_env_by_default_is_no_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").mkdir()  # a virtualenv, as many projects name it
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output


CONFIG_JSON: dict[str, bytes] = {
    "not-json": b'{"api_key": ',
    "a-list": b"[1, 2]",
    "key-not-a-string": b'{"api_key": 5}',
    "utf-16": b'{"api_key": "otr_x"}'.decode().encode("utf-16"),
    "empty": b"",
    "nested-too-deep": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("kind", [*CONFIG_JSON, "png", "random-bytes", "folder", "symlink-loop"])
def test_a_bad_config_json_is_one_sentence_for_every_command_that_reads_it(
    tmp_path: Path, good: Path, kind: str
) -> None:
    path = config_file_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind in CONFIG_JSON:
        path.write_bytes(CONFIG_JSON[kind])
    else:
        FOREIGN[kind](path)
    for args in (
        ["import", str(good)],
        ["config", "show"],
        ["config", "set-key", KEY],
        ["config", "set-url", "https://api.example.com/api/v1"],
    ):
        assert str(path) in one_sentence(args)


def _foreign_schema(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE runs (x)")
    db.commit()
    db.close()


JOURNALS: dict[str, Callable[[Path], None]] = {
    **FOREIGN,
    "truncated-sqlite": lambda p: p.write_bytes(b"SQLite format 3\x00" + bytes(50)),
    "foreign-schema": _foreign_schema,
}


@pytest.mark.parametrize("kind", list(JOURNALS))
def test_a_bad_journal_is_one_sentence_for_runs_runs_show_and_import(
    tmp_path: Path, good: Path, kind: str
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    JOURNALS[kind](state / "journal.sqlite")
    for args in (["runs"], ["runs", "show", "1"], ["import", str(good), *NOWHERE]):
        line = one_sentence([*args, "--state-dir", str(state)])
        assert str(state / "journal.sqlite") in line
