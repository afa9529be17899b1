"""Waiting for a signal another process gives, with a bound, instead of sleeping and hoping.

- :func:`read_line`: the next line a subprocess prints on a pipe ("ready", a URL...).
- :func:`watch_imports`: lets a test wait until an in-process sandbox has admitted a given
  number of import requests from a subprocess (the sandbox's counter wakes the waiter).

Each fails the test with a sentence saying what never happened when its timeout passes.
"""

from __future__ import annotations

import dataclasses
import queue
import subprocess
import threading
from typing import IO

import pytest

from foxreach_cli.sandbox.server import RunningSandbox
from foxreach_cli.sandbox.state import SandboxStats

TIMEOUT = 60.0  # seconds; far above what a loaded 2-core machine needs


def read_line(stream: IO[str] | None, what: str, timeout: float = TIMEOUT) -> str:
    """The next line on ``stream`` without its newline; fails if none comes within ``timeout``.

    A pipe's ``readline`` cannot time out, so a daemon thread does the blocking read.
    """
    assert stream is not None, f"{what}: no pipe to read from"
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"{what}: no line within {timeout:g} s")
    if not line:
        pytest.fail(f"{what}: the pipe closed before a line came")
    return line.rstrip("\n")


class _SignallingStats(SandboxStats):
    """The sandbox's counters, but setting ``imports`` wakes whoever waits on ``changed``."""

    def __init__(self, **counters: object) -> None:
        self.changed = threading.Condition()
        self._imports = 0
        super().__init__(**counters)  # type: ignore[arg-type]

    @property  # type: ignore[override]
    def imports(self) -> int:
        return self._imports

    @imports.setter
    def imports(self, value: int) -> None:
        with self.changed:
            self._imports = value
            self.changed.notify_all()


class ImportWatch:
    """Made by :func:`watch_imports`; :meth:`wait` blocks until enough imports got in."""

    def __init__(self, stats: _SignallingStats) -> None:
        self._stats = stats

    def wait(self, imports: int, proc: subprocess.Popen, timeout: float = TIMEOUT) -> None:
        """Return once the sandbox has admitted ``imports`` import requests.

        Fails the test if ``proc`` exits first or ``timeout`` passes.
        """
        stats = self._stats

        def on_exit() -> None:
            proc.wait()
            with stats.changed:
                stats.changed.notify_all()

        threading.Thread(target=on_exit, daemon=True).start()
        with stats.changed:
            stats.changed.wait_for(
                lambda: stats.imports >= imports or proc.poll() is not None, timeout
            )
            got = stats.imports
        if got < imports:
            ended = (
                "exited" if proc.poll() is not None else f"was still running after {timeout:g} s"
            )
            pytest.fail(f"the importer {ended} with {got} of {imports} imports admitted")


def watch_imports(sandbox: RunningSandbox) -> ImportWatch:
    """Swap the sandbox's counters for signalling ones (same values); call before the import.

    The gateway looks the counters up on every request, so later requests count into these.
    """
    old = sandbox.state.stats
    fields = {f.name: getattr(old, f.name) for f in dataclasses.fields(SandboxStats)}
    stats = _SignallingStats(**fields)
    sandbox.state.stats = stats
    return ImportWatch(stats)
