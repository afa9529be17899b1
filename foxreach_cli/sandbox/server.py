"""Running the sandbox under uvicorn: in a background thread (tests, ``--sandbox``) or in the
foreground (``foxreach sandbox serve``).

Both bind the listening socket themselves before uvicorn starts, so the port is known at once
(port 0 picks a free one) and "port in use" surfaces as :class:`SandboxStartupError` instead of
uvicorn's ``sys.exit``. uvicorn runs with :class:`DroppableH11Protocol`, which hands each
connection's transport to the app so an injected drop can close it without a response.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import create_app
from .config import SandboxConfig
from .gateway import API_PREFIX, TRANSPORT_KEY
from .state import SandboxState, SandboxStats
from .store import Store

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 10.0
SANDBOX_KEY = "otr_sandbox"  # the example key printed by `serve`; any otr_ key works


class SandboxStartupError(Exception):
    """The sandbox could not start (port in use, database unusable); the message says why."""

    def __init__(self, message: str, *, db: bool = False) -> None:
        super().__init__(message)
        self.db = db  # the database cannot be opened: the hint names the caller's flag for it

    def describe(self, db_flag: str = "--db") -> str:
        """The sentence, ending with the flag that chooses another database when that helps."""
        return f"{self}; choose another with {db_flag}." if self.db else str(self)


class DroppableH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that exposes the connection's transport to the app.

    ``scope["state"]`` is a per-request copy of ``app_state``, so a per-connection copy with the
    transport in it reaches the gateway, which aborts it for an injected drop.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app_state = {**self.app_state, TRANSPORT_KEY: transport}


@dataclass
class RunningSandbox:
    """A started sandbox: where to reach it and what tests may inspect or change."""

    base_url: str  # e.g. "http://127.0.0.1:54321/api/v1"
    config: SandboxConfig
    state: SandboxState

    @property
    def stats(self) -> SandboxStats:
        """Request counters (requests, imports, statuses, injected faults, 429s)."""
        return self.state.stats

    @property
    def store(self) -> Store:
        """The store, for direct reads: ``leads(api_key)``, ``count_active(api_key)``."""
        return self.state.store

    def revoke(self, api_key: str) -> None:
        """Answer later requests made with ``api_key`` with 403."""
        self.state.revoke(api_key)

    def unrevoke(self, api_key: str) -> None:
        """Accept ``api_key`` again."""
        self.state.unrevoke(api_key)


def base_url_for(host: str, port: int) -> str:
    """The value to use as FOXREACH_BASE_URL for a sandbox listening on host:port."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{API_PREFIX}"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP, and without it Nagle + delayed ACK add ~40 ms to every keep-alive response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        # Lets a restarted sandbox reuse a port in TIME_WAIT; a port someone listens on still
        # fails with EADDRINUSE.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise SandboxStartupError(
                f"Port {port} on {host} is already in use; choose another with --port."
            ) from exc
        raise SandboxStartupError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from exc
    return sock


def _open_app(config: SandboxConfig, clock: Callable[[], float] = time.time) -> FastAPI:
    try:
        return create_app(config, clock=clock)
    except (sqlite3.Error, OSError) as exc:
        raise SandboxStartupError(
            f"Cannot open the sandbox database at {config.db}: {exc}", db=True
        ) from exc


def _uvicorn_config(app: FastAPI, *, quiet: bool, access_log: bool = False) -> uvicorn.Config:
    extra: dict[str, Any] = {"log_config": None} if quiet else {}
    return uvicorn.Config(
        app,
        http=DroppableH11Protocol,
        ws="none",
        lifespan="off",
        log_level="warning" if quiet else "info",
        access_log=access_log and not quiet,
        timeout_graceful_shutdown=2,
        **extra,
    )


class _Server(uvicorn.Server):
    """uvicorn.Server that reports once it accepts connections."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_started is not None:
            self._on_started()


@contextmanager
def run_in_thread(
    config: SandboxConfig, *, clock: Callable[[], float] = time.time
) -> Iterator[RunningSandbox]:
    """Start the sandbox in a daemon thread; yield it once it accepts; stop it on exit.

    Listens on ``config.host``:``config.port`` (port 0: a free port). ``clock`` is the rate
    limiter's (see :func:`create_app`). Raises :class:`SandboxStartupError` if it cannot start.
    """
    app = _open_app(config, clock)
    state: SandboxState = app.state.sandbox
    try:
        sock = _bind(config.host, config.port)
    except BaseException:
        state.store.close()
        raise
    port = sock.getsockname()[1]
    started = threading.Event()
    server = _Server(_uvicorn_config(app, quiet=True), on_started=started.set)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"foxreach-sandbox-{port}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not started.wait(0.01):
            if not thread.is_alive() or time.monotonic() > deadline:
                raise SandboxStartupError(f"The sandbox on port {port} did not start.")
        yield RunningSandbox(base_url_for(config.host, port), config, state)
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT)
        sock.close()
        state.store.close()
        if state.outreach is not None:
            state.outreach.close()


def serve(
    config: SandboxConfig,
    *,
    on_ready: Callable[[str], None] | None = None,
    access_log: bool = True,
) -> None:
    """Run the sandbox in the foreground until interrupted (Ctrl-C / SIGTERM).

    ``on_ready(base_url)`` is called once it accepts connections; this function prints nothing
    itself (uvicorn logs its usual lines, and one per request if ``access_log``). Raises
    :class:`SandboxStartupError` if it cannot start.
    """
    app = _open_app(config)
    state: SandboxState = app.state.sandbox
    try:
        sock = _bind(config.host, config.port)
        base_url = base_url_for(config.host, sock.getsockname()[1])
        notify = (lambda: on_ready(base_url)) if on_ready is not None else None
        uv_config = _uvicorn_config(app, quiet=False, access_log=access_log)
        server = _Server(uv_config, on_started=notify)
        server.run(sockets=[sock])
    finally:
        state.store.close()
        if state.outreach is not None:
            state.outreach.close()
