"""Where the API key and base URL come from: flags, then environment variables, then the
``.env`` file (``--env-file``, default ``.env`` in the working directory)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from .errors import UsageError, storage_error, storage_errors

DEFAULT_BASE_URL = "https://api.foxreach.io/api/v1"
API_KEY_ENV = "FOXREACH_API_KEY"
BASE_URL_ENV = "FOXREACH_BASE_URL"


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
    path = Path(env_file) if env_file else Path(".env")
    if not path.exists():
        if env_file:
            raise UsageError(f"{env_file} does not exist.", option="env_file")
        return {}
    try:
        values = dotenv_values(path)
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text.", option="env_file") from None
    except OSError as exc:
        raise storage_error(exc, path, option="env_file", action="read") from None
    return {k: v for k, v in values.items() if v is not None}


def _pick(flag: str | None, env_name: str, env_values: dict[str, str]) -> tuple[str | None, str]:
    """A setting and where it came from, by precedence: flag, environment, .env file."""
    if flag:
        return flag, "flag"
    if os.environ.get(env_name):
        return os.environ[env_name], f"${env_name}"
    if env_values.get(env_name):
        return env_values[env_name], ".env file"
    return None, "not set"


def resolve_credentials_explained(
    *, api_key: str | None, base_url: str | None, env_file: str | None
) -> tuple[Credentials, dict[str, str]]:
    """Pick the API key and base URL (flags, then the environment, then the .env file), and
    say where each came from."""
    env_values = load_env_file(env_file)
    key, key_origin = _pick(api_key, API_KEY_ENV, env_values)
    url, url_origin = _pick(base_url, BASE_URL_ENV, env_values)
    if url is None:
        url, url_origin = DEFAULT_BASE_URL, "default"
    creds = Credentials(base_url=url, api_key=key.strip() if key else None)
    return creds, {"api_key": key_origin, "base_url": url_origin}


def resolve_credentials(
    *, api_key: str | None, base_url: str | None, env_file: str | None
) -> Credentials:
    """Pick the API key and base URL: flags, then the environment, then the .env file."""
    return resolve_credentials_explained(api_key=api_key, base_url=base_url, env_file=env_file)[0]


def write_env_value(path: Path, name: str, value: str) -> None:
    """Set ``name=value`` in a .env file (replacing an earlier line), owner-only (0600)."""
    lines = []
    if path.exists():
        with storage_errors(path, option="env_file", action="read"):
            text = path.read_text(encoding="utf-8")
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
