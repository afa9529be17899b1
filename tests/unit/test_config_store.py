"""The official foxreach-cli's settings file, ``~/.foxreach/config.json``: read as the last
fallback (after flags, environment and ``.env``), shown by ``config show`` with the key masked,
and written by ``config set-key`` / ``config set-url`` owner-only, atomically, keeping every
other entry. Every test runs in a temporary HOME and working directory.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from foxreach_cli import credentials
from foxreach_cli.cli import app
from foxreach_cli.credentials import resolve_credentials_explained

KEY = "otr_CFGSTORESECRET_4f9a2c81"  # invented; the masked form shows only its last 4
MASKED = "otr_…2c81"
MARK = "CFGSTORESECRET"  # the part of every test key that no masked form shows
OTHER_KEY = "otr_CFGSTORESECRET_other_77e1"
URL = "https://api.example.test/api/v1"

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HOME, and a working directory with no .env."""
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    yield home


@pytest.fixture
def umask_000() -> Iterator[None]:
    """umask 000: files and folders get exactly the mode the tool asks for."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def config_path(home: Path) -> Path:
    return home / ".foxreach" / "config.json"


def write_official(home: Path, data: dict[str, object] | str) -> Path:
    """A config.json laid out as the official CLI writes it (mode 0644, folder 0755)."""
    path = config_path(home)
    path.parent.mkdir(mode=0o755, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2) + "\n")
    path.chmod(0o644)
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    result = runner.invoke(app, list(args), env=env, input=input)
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert MARK not in text, f"{args}: the key is in {name}:\n{text}"
    assert "Traceback" not in result.output, result.output
    return result


# -- reading --------------------------------------------------------------------------------


def test_config_show_names_the_file_and_masks_the_key(home: Path) -> None:
    path = write_official(home, {"api_key": KEY, "base_url": URL})
    result = invoke("config", "show")
    assert result.exit_code == 0, result.output
    assert f"base URL:  {URL}  ({path})" in result.stdout
    assert f"API key:   {MASKED}  ({path})" in result.stdout


LEVELS = ["flag", "env", "dotenv", "config_json"]


@pytest.mark.parametrize("top", LEVELS)
def test_precedence_is_flag_then_env_then_dotenv_then_config_json(
    home: Path, monkeypatch: pytest.MonkeyPatch, top: str
) -> None:
    """Every level from ``top`` down holds a different value; the highest one wins."""
    given = LEVELS[LEVELS.index(top) :]
    values = {
        lvl: (f"otr_{lvl}_key", f"https://{lvl.replace('_', '-')}.test/api/v1") for lvl in given
    }
    if "config_json" in given:
        key, url = values["config_json"]
        write_official(home, {"api_key": key, "base_url": url})
    if "dotenv" in given:
        key, url = values["dotenv"]
        Path(".env").write_text(f"FOXREACH_API_KEY={key}\nFOXREACH_BASE_URL={url}\n")
    if "env" in given:
        monkeypatch.setenv("FOXREACH_API_KEY", values["env"][0])
        monkeypatch.setenv("FOXREACH_BASE_URL", values["env"][1])
    flags = values.get("flag", (None, None))
    creds, origins = resolve_credentials_explained(
        api_key=flags[0], base_url=flags[1], env_file=None
    )
    assert (creds.api_key, creds.base_url) == values[top]
    expected_origin = {
        "flag": "flag",
        "env": "$FOXREACH_API_KEY",
        "dotenv": ".env file",
        "config_json": str(config_path(home)),
    }[top]
    assert origins["api_key"] == expected_origin


def test_each_setting_falls_back_on_its_own(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key from the environment, the base URL from config.json: each setting separately."""
    write_official(home, {"api_key": OTHER_KEY, "base_url": URL})
    monkeypatch.setenv("FOXREACH_API_KEY", KEY)
    creds, origins = resolve_credentials_explained(api_key=None, base_url=None, env_file=None)
    assert (creds.api_key, creds.base_url) == (KEY, URL)
    assert origins == {"api_key": "$FOXREACH_API_KEY", "base_url": str(config_path(home))}


@pytest.mark.parametrize("content", [{}, {"api_key": None, "base_url": ""}])
def test_absent_or_empty_entries_fall_through_to_the_default(home: Path, content: dict) -> None:
    write_official(home, content)
    creds, origins = resolve_credentials_explained(api_key=None, base_url=None, env_file=None)
    assert creds.api_key is None and origins["api_key"] == "not set"
    assert origins["base_url"] == "default"


# -- broken files ---------------------------------------------------------------------------

BROKEN = {
    # truncated mid-way, with the key inside: the message must not quote the file
    "not_json": f'{{"api_key": "{KEY}", "base_url": ',
    "not_utf8": b'{"api_key": "otr_\xff\xfe"}',
    "not_an_object": "[1, 2]",
    "key_not_a_string": '{"api_key": 12345}',
}


#: What the one sentence says is wrong with each broken file.
BROKEN_BECAUSE = {
    "not_json": "is not valid JSON (line 1, column 56)",
    "not_utf8": "is not UTF-8 text",
    "not_an_object": "does not hold a JSON object",
    "key_not_a_string": "is not usable: api_key must be a string",
}


def broken_sentence(path: Path, kind: str) -> str:
    return (
        f"Error: The config file {path} {BROKEN_BECAUSE[kind]}; fix it, or remove it and save "
        "the settings again with 'foxreach config set-key'.\n"
    )


def write_broken(home: Path, kind: str) -> Path:
    path = config_path(home)
    path.parent.mkdir()
    content = BROKEN[kind]
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize("kind", BROKEN)
def test_a_broken_config_json_is_one_sentence_when_it_is_needed(home: Path, kind: str) -> None:
    path = write_broken(home, kind)
    result = invoke("config", "show")
    assert result.exit_code == 2
    assert result.stderr == broken_sentence(path, kind)


@pytest.mark.parametrize("kind", BROKEN)
def test_a_broken_config_json_is_not_read_when_nothing_falls_back_to_it(
    home: Path, kind: str
) -> None:
    write_broken(home, kind)
    result = invoke("config", "show", "--api-key", KEY, "--base-url", URL)
    assert result.exit_code == 0, result.output
    assert MASKED in result.stdout


def test_an_unreadable_config_json_is_one_sentence(home: Path) -> None:
    config_path(home).mkdir(parents=True)  # a folder where the file should be
    result = invoke("config", "show")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: The config file {config_path(home)} cannot be read: it is a folder."
    )


@pytest.mark.parametrize("kind", BROKEN)
def test_set_key_leaves_a_broken_file_as_it_was(home: Path, kind: str) -> None:
    path = write_broken(home, kind)
    before = path.read_bytes()
    result = invoke("config", "set-key", OTHER_KEY)
    assert result.exit_code == 2
    assert result.stderr == broken_sentence(path, kind)
    assert path.read_bytes() == before


# -- writing --------------------------------------------------------------------------------


@pytest.mark.usefixtures("umask_000")
def test_set_key_creates_the_file_and_folder_owner_only(home: Path) -> None:
    result = invoke("config", "set-key", KEY)
    assert result.exit_code == 0, result.output
    path = config_path(home)
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    assert MASKED in result.stdout and str(path) in result.stdout
    assert path.read_text() == json.dumps({"api_key": KEY}, indent=2) + "\n"


@pytest.mark.usefixtures("umask_000")
def test_writing_tightens_a_file_the_official_cli_left_world_readable(home: Path) -> None:
    path = write_official(home, {"api_key": OTHER_KEY})
    assert invoke("config", "set-url", URL).exit_code == 0
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o755  # an existing folder is the user's business


@pytest.mark.parametrize("how", ["argument", "--key", "prompt"])
def test_set_key_round_trip(home: Path, how: str) -> None:
    args = {"argument": [KEY], "--key": ["--key", KEY], "prompt": []}[how]
    result = invoke("config", "set-key", *args, input=f"{KEY}\n" if how == "prompt" else None)
    assert result.exit_code == 0, result.output
    creds, origins = resolve_credentials_explained(api_key=None, base_url=None, env_file=None)
    assert creds.api_key == KEY and origins["api_key"] == str(config_path(home))
    assert f"API key:   {MASKED}  ({config_path(home)})" in invoke("config", "show").stdout


def test_set_url_round_trip_normalises_the_url(home: Path) -> None:
    result = invoke("config", "set-url", URL + "/")
    assert result.exit_code == 0, result.output
    assert json.loads(config_path(home).read_text()) == {"base_url": URL}
    assert f"base URL:  {URL}  ({config_path(home)})" in invoke("config", "show").stdout


def test_other_entries_are_kept_in_their_order(home: Path) -> None:
    path = write_official(
        home, {"api_key": OTHER_KEY, "profile": {"name": "staging", "n": [1, 2]}, "base_url": URL}
    )
    assert invoke("config", "set-key", KEY).exit_code == 0
    assert invoke("config", "set-url", "http://127.0.0.1:8000/api/v1").exit_code == 0
    assert json.loads(path.read_text()) == {
        "api_key": KEY,
        "profile": {"name": "staging", "n": [1, 2]},
        "base_url": "http://127.0.0.1:8000/api/v1",
    }
    assert list(json.loads(path.read_text())) == ["api_key", "profile", "base_url"]


@pytest.mark.parametrize(
    "args",
    [
        ["set-key", "sk_CFGSTORESECRET_not_a_foxreach_key"],
        ["set-key", "otr_CFGSTORESECRET with space"],
        ["set-key", KEY, "--key", OTHER_KEY],
        ["set-url", "http://api.example.test/api/v1"],
        ["set-url", "not a url"],
    ],
    ids=["not_otr", "space", "two_keys", "plain_http", "not_a_url"],
)
def test_refused_values_write_nothing(home: Path, args: list[str]) -> None:
    path = write_official(home, {"api_key": OTHER_KEY, "base_url": URL})
    before = path.read_bytes()
    result = invoke("config", *args)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert path.read_bytes() == before


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_official(home, {"api_key": OTHER_KEY})
    before = path.read_bytes()

    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(credentials.os, "replace", disk_full)
    result = invoke("config", "set-key", KEY)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: The config file {path} cannot be written: the disk is full."
    )
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["config.json"]


def test_a_symlinked_config_json_stays_a_symlink(home: Path, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "foxreach.json"
    real.parent.mkdir()
    real.write_text("{}\n")
    config_path(home).parent.mkdir()
    config_path(home).symlink_to(real)
    assert invoke("config", "set-key", KEY).exit_code == 0
    assert config_path(home).is_symlink()
    assert json.loads(real.read_text()) == {"api_key": KEY}


def test_set_key_says_when_the_environment_comes_first(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOXREACH_API_KEY", OTHER_KEY)
    result = invoke("config", "set-key", KEY)
    assert result.exit_code == 0, result.output
    assert "$FOXREACH_API_KEY is set here and comes first" in result.stdout
    assert json.loads(config_path(home).read_text()) == {"api_key": KEY}
