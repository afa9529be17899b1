"""Waiting for a signal another process gives, with a bound, instead of sleeping and hoping.

- :func:`read_line`: the next line a subprocess prints on a pipe ("ready", a URL...).
- :func:`watch_imports`: lets a test wait until an in-process sandbox has admitted a given
  number of import requests from a subprocess (the sandbox's counter wakes the waiter).
- :class:`ForkedCli`: ``foxreach`` in a fork of the test process, to be SIGKILLed like a
  subprocess without a new interpreter's start-up.

Each fails the test with a sentence saying what never happened when its timeout passes.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import subprocess
import sys
import threading
import time
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


class ForkedCli:
    """``foxreach ARGS`` in a forked child: what a SIGKILL test needs of ``subprocess.Popen``.

    The child has every module the test process imported, so it starts in milliseconds; it
    shares nothing with the test but the files it opens (its output goes to /dev/null) and it
    leaves by ``os._exit``, so none of pytest's clean-up runs in it. The parent's sandbox
    threads are idle when the child forks (the import has not started).
    """

    def __init__(self, args: list[str]) -> None:
        self.returncode: int | None = None
        self._lock = threading.Lock()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child never returns
            code = 70
            try:
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
                from foxreach_cli.cli import app

                app(args, prog_name="foxreach")
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            finally:
                os._exit(code)

    def poll(self) -> int | None:
        with self._lock:
            if self.returncode is None:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"fork {self.pid}", timeout or 0.0)
            time.sleep(0.005)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)
