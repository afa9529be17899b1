"""Pytest plugin: the real FoxReach sandbox server, started on a free port for end-to-end tests.

Fixtures:

- ``sandbox_factory(**overrides) -> RunningSandbox``: a sandbox with ``SandboxConfig`` fields
  overridden (``rate_limit``, ``window``, ``window_mode``, ``contact_limit``, ``latency``,
  ``fail_rate``, ``drop_rate``, ``seed``...). Leads live in ``:memory:`` unless
  ``on_disk=True`` (a file under ``tmp_path``) or ``db=`` is given. ``clock=`` (a callable
  returning epoch seconds) replaces the rate limiter's wall clock, so a test can step through
  windows instead of sleeping.
- ``sandbox``: a sandbox with the API's defaults (100 requests per 60 s per key).
- ``api_key``: a fresh ``otr_`` key, i.e. an empty workspace of its own.

One server per configuration is shared by the whole session: the sandbox keeps a workspace,
a rate-limit window and a contact count per key, so a test that uses a fresh ``api_key`` sees
a server of its own. Its ``stats`` are zeroed and its revoked keys forgotten when a test takes
it. A test gets a server of its own (stopped at its end) when sharing would change what it
sees: ``on_disk``/``db``, an injected ``clock``, injected faults (the fault draws are one
sequence per server), ``fresh=True``, or a second request for the same settings in one test.

Stopping a server takes uvicorn 0.2 s (a 0.1 s tick, then 0.1 s for connections to close), so
servers stop in the background: a test's own one while the next test runs (a test that asks for
a sandbox first waits for those stops to end), the shared ones all at once at the end of the
session, which waits for every one and fails if one did not stop.

The running sandbox has ``.base_url`` (ends in ``/api/v1``), ``.stats``, ``.store``
(``leads(key)``, ``count_active(key)``) and ``.revoke(key)``.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from foxreach_cli.sandbox.config import MEMORY_DB, SandboxConfig

if TYPE_CHECKING:
    from foxreach_cli.sandbox.server import RunningSandbox

# The server (FastAPI, uvicorn) is imported when a test first asks for one: a run of
# tests/unit alone never pays for it.

SandboxFactory = Callable[..., "RunningSandbox"]


class _Stopper:
    """Leaves running servers' contexts in background threads; :meth:`join` waits for all."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self._failures: list[BaseException] = []

    def stop_later(self, running: AbstractContextManager[RunningSandbox]) -> None:
        def stop() -> None:
            try:
                running.__exit__(None, None, None)
            except BaseException as exc:  # reported by join()
                self._failures.append(exc)

        thread = threading.Thread(target=stop, name="sandbox-stop", daemon=True)
        thread.start()
        self._threads.append(thread)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(30)
        assert not any(t.is_alive() for t in self._threads), "a sandbox did not stop in 30 s"
        self._threads.clear()
        if self._failures:
            failures, self._failures = self._failures, []  # reported once, by one test
            raise failures[0]


class SharedSandboxes:
    """The session's servers, one per distinct configuration, started on first use."""

    def __init__(self, stopper: _Stopper) -> None:
        self.stopper = stopper
        self._contexts: list[AbstractContextManager[RunningSandbox]] = []
        self._running: dict[tuple[tuple[str, Any], ...], RunningSandbox] = {}

    def get(self, overrides: dict[str, Any]) -> RunningSandbox:
        key = tuple(sorted(overrides.items()))
        if key not in self._running:
            from foxreach_cli.sandbox.server import run_in_thread

            running = run_in_thread(SandboxConfig(db=MEMORY_DB, **overrides))
            self._running[key] = running.__enter__()
            self._contexts.append(running)
        sandbox = self._running[key]
        _forget_earlier_tests(sandbox)
        return sandbox

    def stop_all(self) -> None:
        """Stop the shared servers all at once, and wait for them and for the tests' own."""
        for running in self._contexts:
            self.stopper.stop_later(running)
        self._contexts.clear()
        self.stopper.join()


def _forget_earlier_tests(sandbox: RunningSandbox) -> None:
    """Zero the counters and forget revocations, as a newly started server would have them."""
    stats = sandbox.stats
    for field in dataclasses.fields(stats):
        value = getattr(stats, field.name)
        if hasattr(value, "clear"):
            value.clear()
        else:
            setattr(stats, field.name, 0)
    sandbox.state.revoked.clear()


def _needs_its_own(on_disk: bool, clock: Callable[[], float], overrides: dict[str, Any]) -> bool:
    return (
        on_disk
        or "db" in overrides
        or clock is not time.time
        or bool(overrides.get("fail_rate"))
        or bool(overrides.get("drop_rate"))
    )


@pytest.fixture(scope="session")
def _shared_sandboxes() -> Iterator[SharedSandboxes]:
    shared = SharedSandboxes(_Stopper())
    try:
        yield shared
    finally:
        shared.stop_all()


@pytest.fixture
def sandbox_factory(tmp_path: Path, _shared_sandboxes: SharedSandboxes) -> Iterator[SandboxFactory]:
    """Sandboxes with custom settings: shared per configuration, or a test's own (see above)."""
    with ExitStack() as stack:
        count = 0
        taken: set[tuple[tuple[str, Any], ...]] = set()

        def start(
            *,
            on_disk: bool = False,
            clock: Callable[[], float] = time.time,
            fresh: bool = False,
            **overrides: Any,
        ) -> RunningSandbox:
            nonlocal count
            # An earlier test's server may still be stopping in this process: let it finish
            # first, so that a test that times its import shares the machine with nothing.
            _shared_sandboxes.stopper.join()
            key = tuple(sorted(overrides.items()))
            if not (fresh or key in taken or _needs_its_own(on_disk, clock, overrides)):
                taken.add(key)
                return _shared_sandboxes.get(overrides)
            from foxreach_cli.sandbox.server import run_in_thread

            count += 1
            if "db" not in overrides:
                overrides["db"] = str(tmp_path / f"sandbox{count}.db") if on_disk else MEMORY_DB
            running = run_in_thread(SandboxConfig(**overrides), clock=clock)
            own = running.__enter__()
            stack.callback(_shared_sandboxes.stopper.stop_later, running)
            return own

        yield start


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> RunningSandbox:
    """A sandbox with default limits (100 requests per 60 s per key), leads in memory."""
    return sandbox_factory()


@pytest.fixture
def api_key() -> str:
    """A fresh API key: its own, empty workspace."""
    return f"otr_test_{uuid.uuid4().hex}"
