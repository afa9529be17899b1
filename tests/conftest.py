"""Shared fixtures. The sandbox server fixture lives in tests/sandbox_fixture.py."""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import typer
import typer.testing

pytest_plugins = ["tests.sandbox_fixture"]


@pytest.fixture(autouse=True)
def _private_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep every test's journal, locks, sandbox database and ~/.foxreach/config.json out of
    the real home (a developer's own config.json would otherwise supply a key)."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(base))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "data"))
    monkeypatch.delenv("FOXREACH_API_KEY", raising=False)
    monkeypatch.delenv("FOXREACH_BASE_URL", raising=False)


_create_default_context = ssl.create_default_context


@functools.cache
def _trust_store(*args: Any, **kwargs: Any) -> ssl.SSLContext:
    return _create_default_context(*args, **kwargs)


@pytest.fixture(autouse=True)
def _one_trust_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test shakes hands over TLS (pytest-httpx answers, the sandbox is plain http on
    loopback), yet every httpx client built in a test loads the CA bundle again (about
    20 ms): build each kind of context once for the whole run."""
    monkeypatch.setattr(ssl, "create_default_context", _trust_store)


_build_command = typer.testing._get_command


@functools.cache
def _command_of(app: typer.Typer) -> Any:
    return _build_command(app)


@pytest.fixture(scope="session", autouse=True)
def _one_command_per_app() -> Iterator[None]:
    """``CliRunner.invoke(app)`` builds the app's click command again on every call (about
    10 ms: typer reads the signature of every command and option); build it once per app. A
    command keeps nothing of one invocation for the next, as in a process that runs it twice."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", _command_of)
        yield
