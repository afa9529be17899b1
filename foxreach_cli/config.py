"""Run configuration: the options of ``foxreach import`` as one typed object, and where the
API key and base URL come from.

Precedence, highest first: command-line flags, environment variables, the ``.env`` file
(``--env-file``, default ``.env`` in the working directory).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values
from platformdirs import user_state_dir

from .errors import UsageError
from .mapping import Target
from .models import MAX_BATCH

DEFAULT_BASE_URL = "https://api.foxreach.io/api/v1"
API_KEY_ENV = "FOXREACH_API_KEY"
BASE_URL_ENV = "FOXREACH_BASE_URL"

FailOn = Literal["errors", "duplicates", "never"]


@dataclass
class ImportConfig:
    """Everything one import run needs; built by the CLI, read by the pipeline."""

    files: list[str]
    dry_run: bool = False
    sandbox: bool = False
    api_key: str | None = None
    base_url: str = DEFAULT_BASE_URL
    # input
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    limit: int | None = None
    # mapping
    maps: dict[str, Target] = field(default_factory=dict)
    mapping_file: str | None = None
    allow_new_columns: bool = False
    unmapped: Literal["custom", "ignore"] = "custom"
    tags: tuple[str, ...] = ()
    source: str = "csv_import"
    status: str | None = None
    # sending
    restore: bool = True
    batch_size: int = 1000
    rate_limit: int = 100
    rate_window: float = 60.0
    concurrency: int | None = None  # None: one window's budget (send.default_concurrency)
    exact_report: bool = False
    timeout: float = 30.0
    max_retries: int = 5
    # output
    report_path: str | None = None
    rejected_path: str | None = None
    fail_on: FailOn = "errors"
    # unattended runs
    resume: bool | None = None  # None: on for real workspaces, off for --sandbox
    state_dir: str | None = None
    lock_timeout: float = 0.0
    move_done: str | None = None
    force: bool = False

    def check(self) -> None:
        """Refuse values no run can work with, in one sentence naming the option."""
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise UsageError(f"--batch-size must be between 1 and {MAX_BATCH}.")
        if self.rate_limit < 1:
            raise UsageError("--rate-limit must be at least 1 request per minute.")
        if self.rate_window <= 0:
            raise UsageError("--rate-window must be a positive number of seconds.")
        if self.timeout <= 0:
            raise UsageError("--timeout must be a positive number of seconds.")
        if self.concurrency is not None and self.concurrency < 1:
            raise UsageError("--concurrency must be at least 1.")

    @property
    def journaled(self) -> bool:
        """Whether this run reads and writes the resume journal."""
        if self.dry_run:
            return False
        return self.resume if self.resume is not None else not self.sandbox


@dataclass(frozen=True)
class Credentials:
    """The destination of a run. ``repr`` never shows the key."""

    base_url: str
    api_key: str | None = field(repr=False)
    # How the resume journal names the destination when the base URL is not stable
    # (the embedded sandbox listens on a new port every run).
    destination: str | None = None


def ensure_private_dir(path: Path) -> Path:
    """Create a state directory readable by its owner only (0700), parents as usual.

    ``mkdir(parents=True, mode=...)`` applies the mode to the last part only, so a state
    directory created as the parent of e.g. ``locks/`` would otherwise get the umask's mode.
    An existing directory is left as it is.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(exist_ok=True, mode=0o700)
    return path


def default_state_dir() -> Path:
    """Where the resume journal, locks and the shared rate budget live by default."""
    return Path(user_state_dir("foxreach"))


def load_env_file(env_file: str | None) -> dict[str, str]:
    """Values of the ``.env`` file; the default file may be absent, a named one may not."""
    path = Path(env_file) if env_file else Path(".env")
    if not path.exists():
        if env_file:
            raise UsageError(f"--env-file {env_file} does not exist.")
        return {}
    try:
        values = dotenv_values(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Could not read {path}: {exc.__class__.__name__}.") from None
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
        lines = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.split("=", 1)[0].strip().removeprefix("export ").strip() != name
        ]
    lines.append(f"{name}={value}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode otherwise
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
