"""Pytest plugin: the real FoxReach sandbox server, started on a free port for end-to-end tests.

Fixtures:

- ``sandbox_factory(**overrides) -> RunningSandbox``: start a sandbox with
  ``SandboxConfig`` fields overridden (``rate_limit``, ``window``, ``window_mode``,
  ``contact_limit``, ``latency``, ``fail_rate``, ``drop_rate``, ``seed``...). Leads live in
  ``:memory:`` unless ``on_disk=True`` (a file under ``tmp_path``) or ``db=`` is given.
  ``clock=`` (a callable returning epoch seconds) replaces the rate limiter's wall clock, so a
  test can step through windows instead of sleeping. Every sandbox started in a test is
  stopped at its end.
- ``sandbox``: one sandbox with the API's defaults (100 requests per 60 s per key).
- ``api_key``: a fresh ``otr_`` key, i.e. an empty workspace of its own.

The running sandbox has ``.base_url`` (ends in ``/api/v1``), ``.stats``, ``.store``
(``leads(key)``, ``count_active(key)``) and ``.revoke(key)``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from foxreach_cli.sandbox.config import MEMORY_DB, SandboxConfig
from foxreach_cli.sandbox.server import RunningSandbox, run_in_thread

SandboxFactory = Callable[..., RunningSandbox]


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[SandboxFactory]:
    """Start sandboxes with custom settings; all are shut down when the test ends."""
    with ExitStack() as stack:
        count = 0

        def start(
            *, on_disk: bool = False, clock: Callable[[], float] = time.time, **overrides: Any
        ) -> RunningSandbox:
            nonlocal count
            count += 1
            if "db" not in overrides:
                overrides["db"] = str(tmp_path / f"sandbox{count}.db") if on_disk else MEMORY_DB
            return stack.enter_context(run_in_thread(SandboxConfig(**overrides), clock=clock))

        yield start


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> RunningSandbox:
    """A sandbox with default limits (100 requests per 60 s per key), leads in memory."""
    return sandbox_factory()


@pytest.fixture
def api_key() -> str:
    """A fresh API key: its own, empty workspace."""
    return f"otr_test_{uuid.uuid4().hex}"
