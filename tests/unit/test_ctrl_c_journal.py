"""A Ctrl-C that lands while a batch is being recorded in the journal (a synchronous SQLite
write, the slowest step between the batcher and the sender) loses no row from the report:
the batch is reported as not sent, with the Ctrl-C reason, and the run exits 130."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock
from typer.testing import CliRunner, Result

from foxreach_cli.cli import app
from foxreach_cli.state.journal import Journal

API = "https://api.example.test/api/v1"
ROWS = 500
BATCH = 100


def _created(request: httpx.Request) -> httpx.Response:
    n = len(json.loads(request.content)["leads"])
    return httpx.Response(
        200, json={"data": {"created": n, "restored": 0, "duplicates": 0, "errors": 0}}
    )


def test_ctrl_c_while_a_batch_is_journaled_leaves_it_not_sent(
    tmp_path: Path, httpx_mock: HTTPXMock, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    leads = tmp_path / "leads.csv"
    rows = [f"person{i}@example.com,Person {i}" for i in range(ROWS)]
    leads.write_text("Email,Name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    httpx_mock.add_callback(_created, is_optional=True, is_reusable=True)
    real = Journal.batch_sent
    calls = 0

    def interrupted_on_the_third(self: Journal, *args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Journal, "batch_sent", interrupted_on_the_third)
    result = runner_invoke(leads, tmp_path, api_key)
    assert result.exit_code == 130, result.output
    report = json.loads(result.stdout)
    assert report["rowsRead"] == ROWS
    assert report["created"] + report["notSent"] == ROWS  # nothing lost from the report
    assert report["created"] == BATCH * len(httpx_mock.get_requests())
    # Batches the sender had pulled say "interrupted"; rows never pulled, "(Ctrl-C)".
    said = report["notSentReasons"]
    assert set(said) <= {"not sent: interrupted", "not sent: interrupted (Ctrl-C)"}
    assert sum(said.values()) == report["notSent"]


def runner_invoke(leads: Path, tmp_path: Path, api_key: str) -> Result:
    return CliRunner().invoke(
        app,
        ["import", str(leads), "--base-url", API, "--api-key", api_key, "--json",
         "--state-dir", str(tmp_path / "state"), "--batch-size", str(BATCH),
         "--concurrency", "1", "--rate-window", "2", "--rate-limit", "1000"],
    )  # fmt: skip
