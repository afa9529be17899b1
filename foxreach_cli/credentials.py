"""Where the API key and base URL come from: flags, then environment variables, then the
``.env`` file (``--env-file``, default ``.env`` in the working directory), then the official
foxreach-cli's ``~/.foxreach/config.json``; and writing ``.env`` and that file."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .defaults import ENV_FILE
from .errors import UsageError, storage_error, storage_errors

DEFAULT_BASE_URL = "https://api.foxreach.io/api/v1"
API_KEY_ENV = "FOXREACH_API_KEY"
BASE_URL_ENV = "FOXREACH_BASE_URL"
#: The settings file read when no --env-file is given (in the working directory).
#: The names the official foxreach-cli gives the settings in ~/.foxreach/config.json.
CONFIG_FIELDS = {API_KEY_ENV: "api_key", BASE_URL_ENV: "base_url"}


@dataclass(frozen=True)
class Credentials:
    """The destination of a run. ``repr`` never shows the key."""

    base_url: str
    api_key: str | None = field(repr=False)
    # How the resume journal names the destination when the base URL is not stable
    # (the embedded sandbox listens on a new port every run).
    destination: str | None = None


def load_env_file(env_file: str | None) -> dict[str, str]:
    """Values of the ``.env`` file; the default file may be absent, a named one may not."""
    path = Path(env_file or ENV_FILE)
    if not path.exists():
        _refuse_a_loop(path, option="env_file")
        if env_file:
            raise UsageError(f"{env_file} does not exist.", option="env_file")
        return {}
    if path.is_dir():
        if env_file:  # the default .env may be a virtualenv's folder: not a settings file
            raise UsageError(f"{env_file} is a folder, not a file.", option="env_file")
        return {}
    from dotenv import dotenv_values  # only when there is a .env to read

    try:
        values = dotenv_values(path)
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text.", option="env_file") from None
    except OSError as exc:
        raise storage_error(exc, path, option="env_file", action="read") from None
    return {k: v for k, v in values.items() if v is not None}


def _refuse_a_loop(path: Path, *, option: str) -> None:
    """``exists()`` is False for a symbolic link that points back to itself as for a missing
    file: a loop is one sentence, a dangling link stays as absent as a missing file."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise storage_error(exc, path, option=option, action="read") from None


def config_file_path() -> Path:
    """``~/.foxreach/config.json``, where the official foxreach-cli keeps its settings.

    Looked up at each call (not at import), so that a changed ``HOME`` is honoured.
    """
    return Path.home() / ".foxreach" / "config.json"


def load_config_file(path: Path | None = None) -> dict[str, object]:
    """The JSON object in the config file (``{}`` when there is none).

    A file that cannot be read is a ``StorageError``; one that is not a JSON object, or whose
    ``api_key``/``base_url`` is not a string, a ``UsageError``. Both name the file.
    """
    path = path or config_file_path()
    with storage_errors(path, option="config_file", action="read"):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:  # absent, or a symlink to nothing yet (a dotfiles link)
            return {}
    fix = "fix it, or remove it and save the settings again with 'foxreach config set-key'."
    try:
        # utf-8-sig: Windows editors save JSON with a byte-order mark.
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; {fix}", option="config_file") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise UsageError(
            f"{path} is not valid JSON ({where}); {fix}", option="config_file"
        ) from None
    except RecursionError:  # thousands of nested [ or {: no settings file looks like that
        raise UsageError(
            f"{path} is not valid JSON (nested too deeply); {fix}", option="config_file"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold a JSON object; {fix}", option="config_file")
    for name in CONFIG_FIELDS.values():
        # null counts as absent, as in the official CLI; never show the value itself.
        if data.get(name) is not None and not isinstance(data[name], str):
            raise UsageError(
                f"{path} is not usable: {name} must be a string; {fix}", option="config_file"
            )
    return data


def _stored_settings(path: Path) -> Callable[[str], str | None]:
    """A lookup into the config file that reads it only when first asked: a file that no
    setting falls back to is never opened, so it cannot fail a run."""
    cache: dict[str, object] = {}
    loaded = False

    def get(env_name: str) -> str | None:
        nonlocal cache, loaded
        if not loaded:
            cache, loaded = load_config_file(path), True
        value = cache.get(CONFIG_FIELDS[env_name])
        return value if isinstance(value, str) and value.strip() else None

    return get


def _pick(
    flag: str | None,
    env_name: str,
    env_values: dict[str, str],
    stored: Callable[[str], str | None],
    stored_origin: str,
) -> tuple[str | None, str]:
    """A setting and where it came from, by precedence: flag, environment, .env file, then
    the config file."""
    if flag:
        return flag, "flag"
    if os.environ.get(env_name):
        return os.environ[env_name], f"${env_name}"
    if env_values.get(env_name):
        return env_values[env_name], ".env file"
    value = stored(env_name)
    if value is not None:
        return value, stored_origin
    return None, "not set"


def resolve_credentials_explained(
    *, api_key: str | None, base_url: str | None, env_file: str | None
) -> tuple[Credentials, dict[str, str]]:
    """Pick the API key and base URL (flags, then the environment, then the .env file, then
    ``~/.foxreach/config.json``), and say where each came from."""
    env_values = load_env_file(env_file)
    path = config_file_path()
    stored = _stored_settings(path)
    key, key_origin = _pick(api_key, API_KEY_ENV, env_values, stored, str(path))
    url, url_origin = _pick(base_url, BASE_URL_ENV, env_values, stored, str(path))
    if url is None:
        url, url_origin = DEFAULT_BASE_URL, "default"
    creds = Credentials(base_url=url, api_key=key.strip() if key else None)
    return creds, {"api_key": key_origin, "base_url": url_origin}


def resolve_credentials(
    *, api_key: str | None, base_url: str | None, env_file: str | None
) -> Credentials:
    """Pick the API key and base URL: flags, the environment, the .env file, config.json."""
    return resolve_credentials_explained(api_key=api_key, base_url=base_url, env_file=env_file)[0]


def write_env_value(path: Path, name: str, value: str) -> None:
    """Set ``name=value`` in a .env file (replacing an earlier line), owner-only (0600)."""
    lines = []
    if path.exists():
        with storage_errors(path, option="env_file", action="read"):
            raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(
                f"{path} is not UTF-8 text, so its other lines cannot be kept; fix or move it "
                "away. Nothing was written.",
                option="env_file",
            ) from None
        lines = [
            line
            for line in text.splitlines()
            if line.split("=", 1)[0].strip().removeprefix("export ").strip() != name
        ]
    lines.append(f"{name}={value}")
    with storage_errors(path, option="env_file"):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # an existing file keeps its old mode otherwise
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


def write_config_value(env_name: str, value: str, path: Path | None = None) -> Path:
    """Set one setting (``FOXREACH_API_KEY`` or ``FOXREACH_BASE_URL``) in the config file under
    the official CLI's name for it, keeping every other entry; returns the file written.

    The file is replaced atomically by an owner-only (0600) copy, so a crash leaves the old
    file or the new one, never half of one; a folder created here is owner-only (0700). A file
    that cannot be parsed is refused (``UsageError``) and left as it was, since its other
    entries could not be kept.
    """
    path = path or config_file_path()
    data = load_config_file(path)
    data[CONFIG_FIELDS[env_name]] = value
    # A dotfiles symlink stays a symlink: write where it points.
    target = path.resolve() if path.is_symlink() else path
    text = json.dumps(data, indent=2) + "\n"  # the official CLI's layout
    with storage_errors(target, option="config_file"):
        if not target.parent.exists():
            target.parent.mkdir(parents=True)
            os.chmod(target.parent, 0o700)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with open(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    return target


def mask_key(key: str) -> str:
    """The only form of an API key that may be shown, e.g. ``otr_…3f9a``.

    Keys too short to hide are shown as their prefix alone.
    """
    key = key.strip()
    if not key:
        return "(no key)"
    prefix = "otr_" if key.startswith("otr_") else ""
    secret = key[len(prefix) :]
    # Show 4 characters only when at least 12 others stay hidden.
    tail = secret[-4:] if len(secret) >= 16 else ""
    return f"{prefix}…{tail}"
