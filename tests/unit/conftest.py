"""tests/unit is the fast loop: no process, server or real sleep (README). A unit test that
starts a process fails here; it belongs in tests/e2e."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

#: The processes the running unit test started; None while no unit test runs.
_started: list[str] | None = None


def _audit(event: str, args: tuple[object, ...]) -> None:
    # An audit hook sees every process however it is started (subprocess, asyncio, a library).
    # A real sleep is not guarded: Python 3.11 raises no audit event for it, and a patched
    # time.sleep would change what is tested (rate_budget compares its sleep with time.sleep).
    started = _started
    if started is not None and event == "subprocess.Popen":
        started.append(repr(args[1]))
        raise RuntimeError("a unit test started a process: move it to tests/e2e")


sys.addaudithook(_audit)  # for the life of the process: a hook cannot be removed


@pytest.fixture(autouse=True)
def _no_process() -> Iterator[None]:
    global _started
    _started = started = []
    try:
        yield
    finally:
        _started = None
    assert not started, f"a unit test started a process: {started}"
