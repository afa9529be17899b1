"""Settings of one sandbox server, validated once, shared by the app, the server and the CLI."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir

WindowMode = Literal["fixed", "sliding"]
WINDOW_MODES: tuple[str, ...] = ("fixed", "sliding")
MEMORY_DB = ":memory:"


class SandboxConfigError(ValueError):
    """A sandbox setting is out of range; the message is one sentence naming the option."""


def default_db_path() -> Path:
    """Where `foxreach sandbox serve` keeps its leads unless told otherwise."""
    return Path(user_data_dir("foxreach")) / "sandbox.db"


def _default_db() -> str:
    return str(default_db_path())


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that shapes a sandbox's behaviour.

    - ``db``: SQLite file path, or ``":memory:"`` for a throw-away store.
    - ``rate_limit`` requests per ``window`` seconds per API key; ``window_mode`` is
      ``"fixed"`` (windows aligned to multiples of ``window`` since the epoch, as the lead pages
      describe) or ``"sliding"`` (at most ``rate_limit`` requests in any ``window``-second span).
    - ``contact_limit``: plan limit of active leads per workspace; ``None`` means unlimited.
    - ``latency`` seconds added before every answer; ``fail_rate`` share of import requests
      answered 500 without storing; ``drop_rate`` share of import requests stored and then
      answered by closing the connection. ``seed`` makes the fault sequence reproducible.
    - ``host``/``port``: where to listen; port 0 picks a free port.
    """

    db: str = field(default_factory=_default_db)
    rate_limit: int = 100
    window: float = 60.0
    contact_limit: int | None = None
    latency: float = 0.0
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int | None = None
    host: str = "127.0.0.1"
    port: int = 0
    window_mode: WindowMode = "fixed"

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise SandboxConfigError(problems[0])


def _problems(config: SandboxConfig) -> list[str]:
    """Every invalid setting as a sentence; empty when the config is usable."""
    out: list[str] = []
    if config.rate_limit < 1:
        out.append(f"--rate-limit must be at least 1, got {config.rate_limit}.")
    if not (math.isfinite(config.window) and config.window > 0):
        out.append(f"--window must be a positive number of seconds, got {config.window}.")
    if config.contact_limit is not None and config.contact_limit < 0:
        out.append(f"--contact-limit must be 0 or more, got {config.contact_limit}.")
    if not (math.isfinite(config.latency) and config.latency >= 0):
        out.append(f"--latency must be 0 or more seconds, got {config.latency}.")
    for name, value in (("--fail-rate", config.fail_rate), ("--drop-rate", config.drop_rate)):
        if not (0.0 <= value <= 1.0):
            out.append(f"{name} must be between 0 and 1, got {value}.")
    if not out and config.fail_rate + config.drop_rate > 1.0:
        out.append("--fail-rate and --drop-rate together must not exceed 1.")
    if not (0 <= config.port <= 65535):
        out.append(f"--port must be between 0 and 65535, got {config.port}.")
    if config.window_mode not in WINDOW_MODES:
        out.append(f"--window-mode must be 'fixed' or 'sliding', got {config.window_mode!r}.")
    if not config.db:
        out.append("--db must be a file path or ':memory:'.")
    return out
