"""Bad days: folder entries that are not files, damaged journals and config files, and base
URLs that would leak the key each get one sentence, never a crash (exit 70) or silence."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.client import check_base_url
from foxreach_cli.credentials import config_file_path
from foxreach_cli.errors import UsageError

runner = CliRunner()


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    """A drop folder holding one good file and every kind of entry that is not a file."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a-good.csv").write_text("email\na@example.com\n", encoding="utf-8")
    (folder / "b-dangling.csv").symlink_to(folder / "gone.csv")
    (folder / "c-loop.csv").symlink_to(folder / "c-loop.csv")
    os.mkfifo(folder / "d-fifo.csv")
    (folder / "e-folder.csv").mkdir()
    (folder / "notes.md").write_text("not a lead file", encoding="utf-8")
    return folder


def test_every_folder_entry_that_is_not_a_file_is_listed_with_its_reason(drop: Path) -> None:
    result = runner.invoke(app, ["import", str(drop), "--dry-run", "--json"])
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert {Path(f["file"]).name: f["refused"] for f in report["files"]} == {
        "a-good.csv": None,
        "b-dangling.csv": f"{drop / 'b-dangling.csv'} is a symbolic link to "
        f"{drop / 'gone.csv'}, which does not exist.",
        "c-loop.csv": f"{drop / 'c-loop.csv'} is a symbolic link that points back to itself.",
        "d-fifo.csv": f"{drop / 'd-fifo.csv'} is a named pipe, not a regular file.",
        "e-folder.csv": f"{drop / 'e-folder.csv'} is a folder, not a file (folders inside a "
        "folder are not read).",
    }
    assert (report["rowsRead"], report["valid"]) == (1, 1)


def test_a_folder_of_only_bad_entries_is_refused_entry_by_entry(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "x.csv").mkdir()
    result = runner.invoke(app, ["import", str(folder), "--dry-run", "--json"])
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert [f["refused"] for f in report["files"]] == [
        f"{folder / 'x.csv'} is a folder, not a file (folders inside a folder are not read)."
    ]
    assert report["rowsRead"] == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://api.example.com/api/v1?x=1#frag",
            "The base URL 'https://api.example.com/api/v1?x=1#frag' must not carry a query "
            "or a fragment. Check --base-url / FOXREACH_BASE_URL (it ends in /api/v1).",
        ),
        (
            "https://api.example.com/api/v1#frag",
            "The base URL 'https://api.example.com/api/v1#frag' must not carry a query or a "
            "fragment. Check --base-url / FOXREACH_BASE_URL (it ends in /api/v1).",
        ),
        (
            "http://evil.localhost/api/v1",
            "Refusing plain http:// to evil.localhost: the API key would travel unencrypted. "
            "Use https:// (plain http is allowed only for localhost).",
        ),
    ],
)
def test_a_base_url_that_could_leak_the_key_is_refused(url: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        check_base_url(url)
    assert str(info.value) == message


def test_set_url_refuses_a_query_and_saves_nothing() -> None:
    result = runner.invoke(app, ["config", "set-url", "https://api.example.com/api/v1?x=1"])
    assert result.exit_code == 2
    assert not config_file_path().exists()


def test_plain_http_to_localhost_and_loopback_addresses_is_still_accepted() -> None:
    assert check_base_url("http://localhost:8000/api/v1/") == "http://localhost:8000/api/v1"
    assert check_base_url("http://127.0.0.1:9/api/v1") == "http://127.0.0.1:9/api/v1"
    assert check_base_url("http://[::1]:9/api/v1") == "http://[::1]:9/api/v1"


def test_a_config_file_with_a_byte_order_mark_is_read() -> None:
    path = config_file_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"api_key": "otr_0123456789abcdef1234"}).encode())
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "otr_…1234" in result.stdout


def test_set_key_on_a_config_file_that_is_a_symlink_loop_is_one_sentence() -> None:
    path = config_file_path()
    path.parent.mkdir(parents=True)
    path.symlink_to(path)
    result = runner.invoke(app, ["config", "set-key", "otr_loop1234"])
    assert result.exit_code == 2, result.output
    # set-key reads the file first, to keep its other entries.
    assert result.stderr == (
        f"Error: The config file {path} cannot be read: it is a symbolic link that points "
        "back to itself.\n"
    )


def test_reading_a_config_file_that_is_a_symlink_loop_is_one_sentence() -> None:
    path = config_file_path()
    path.parent.mkdir(parents=True)
    path.symlink_to(path)
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"Error: The config file {path} cannot be read: it is a symbolic link that points "
        "back to itself.\n"
    )


@pytest.mark.parametrize(
    ("column", "value"),
    [("summary", "{not json"), ("summary", "[1, 2]"), ("summary", '{"created": "many"}'),
     ("options", "{truncated")],
)  # fmt: skip
def test_runs_on_a_journal_with_a_damaged_record_is_one_sentence(
    tmp_path: Path, column: str, value: str
) -> None:
    from foxreach_cli.stage_data import Tally
    from foxreach_cli.state.journal import Journal

    state = tmp_path / "state"
    with Journal(state) as journal:
        run_id = journal.run_started("dest", "hash", "leads.csv", None, {})
        journal.run_ended(run_id, "finished", Tally(created=1))
    db = sqlite3.connect(state / "journal.sqlite")
    db.execute(f"UPDATE runs SET {column}=?", (value,))
    db.commit()
    db.close()
    for args in (["runs"], ["runs", "--json"], ["runs", "show", str(run_id)]):
        result = runner.invoke(app, [*args, "--state-dir", str(state)])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith(
            f"Error: --state-dir {state / 'journal.sqlite'} holds a damaged record ("
        ), result.stderr
        assert result.stderr.endswith(
            "); move the file away to start a new import history (what was imported is not "
            "sent again only while it is there).\n"
        )


@pytest.mark.parametrize(
    "content",
    [b"SQLite format 3\x00" + b"\x00" * 50, b"this is not a database at all\n" * 100],
    ids=["truncated", "foreign"],
)
def test_runs_on_a_journal_that_is_not_a_database_is_one_sentence(
    tmp_path: Path, content: bytes
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "journal.sqlite").write_bytes(content)
    for args in (["runs"], ["runs", "show", "1"]):
        result = runner.invoke(app, [*args, "--state-dir", str(state)])
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"Error: --state-dir {state / 'journal.sqlite'} cannot be read: database error: "
            "file is not a database.\n"
        )


def test_an_empty_journal_file_is_an_empty_history(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "journal.sqlite").write_bytes(b"")
    result = runner.invoke(app, ["runs", "--state-dir", str(state)])
    assert (result.exit_code, result.stdout) == (0, "No imports recorded yet.\n")


def test_a_journal_held_by_another_process_honours_lock_timeout_and_exits_6(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from foxreach_cli.state import journal
    from foxreach_cli.state.journal import Journal

    # The wait is BUSY_WAIT (3 s) plus --lock-timeout; a shorter BUSY_WAIT shows the same sum.
    monkeypatch.setattr(journal, "BUSY_WAIT", 0.5)
    state = tmp_path / "state"
    Journal(state).close()
    holder = sqlite3.connect(state / "journal.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process's long transaction
    leads = tmp_path / "leads.csv"
    leads.write_text("email\na@example.com\n", encoding="utf-8")
    started = time.monotonic()
    try:
        result = runner.invoke(
            app,
            ["import", str(leads), "--api-key", "otr_test", "--base-url",
             "http://127.0.0.1:9/api/v1", "--state-dir", str(state), "--lock-timeout", "0.5"],
        )  # fmt: skip
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    elapsed = time.monotonic() - started
    assert result.exit_code == 6, result.output
    assert result.stderr == (
        f"Error: The import journal {state / 'journal.sqlite'} is held by another process; "
        "wait for it to finish, or give --lock-timeout more seconds.\n"
    )
    assert journal.BUSY_WAIT + 0.5 <= elapsed < journal.BUSY_WAIT + 0.5 + 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["config", "set-key"],
         "No API key given on standard input; pass it as an argument or with --key."),
        (["config", "init"],
         "No API key given on standard input; run 'foxreach config init' in a terminal to "
         "type it, or pipe it in."),
    ],
)  # fmt: skip
@pytest.mark.parametrize("stdin", ["", "\n", "  \n"], ids=["empty", "blank-line", "spaces"])
def test_saving_a_key_from_empty_standard_input_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str, stdin: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {message}\n"
    assert not config_file_path().exists() and not (tmp_path / ".env").exists()


def test_a_key_piped_to_set_key_is_saved_without_a_prompt() -> None:
    result = runner.invoke(app, ["config", "set-key"], input="otr_piped0123456789\n")
    assert result.exit_code == 0, result.output
    assert json.loads(config_file_path().read_text()) == {"api_key": "otr_piped0123456789"}
    assert "otr_piped0123456789" not in result.output


def test_sandbox_with_an_unwritable_data_directory_hints_at_sandbox_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    leads = tmp_path / "leads.csv"
    leads.write_text("email\na@example.com\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(leads), "--sandbox"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        "Error: The local sandbox could not start: Cannot open the sandbox database at "
        f"{blocker / 'foxreach' / 'sandbox.db'}: "
    )
    assert result.stderr.endswith("; choose another with --sandbox-db.\n")
    # ... and the hint works: a database elsewhere, or none kept at all.
    for db in (str(tmp_path / "sandbox.db"), ":memory:"):
        again = runner.invoke(app, ["import", str(leads), "--sandbox", "--sandbox-db", db,
                                    "--json"])  # fmt: skip
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["created"] == 1
    assert (tmp_path / "sandbox.db").exists()


def test_sandbox_db_without_sandbox_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "x.csv", "--dry-run", "--sandbox-db", ":memory:"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --sandbox-db is for --sandbox runs; add --sandbox or drop it.\n"
    )
