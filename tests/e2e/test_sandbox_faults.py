"""Injected faults (500s, dropped connections, latency) and crash-atomic imports."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from foxreach_cli.sandbox.faults import Fault, FaultInjector
from foxreach_cli.sandbox.server import RunningSandbox
from tests.sandbox_fixture import SandboxFactory
from tests.signals import read_line


def _leads(tag: str, n: int) -> dict:
    return {"leads": [{"email": f"{tag}-{i}@example.com"} for i in range(n)]}


def test_a_dropped_import_is_stored_but_the_client_gets_no_response(
    sandbox_factory: SandboxFactory,
) -> None:
    sb = sandbox_factory(drop_rate=1.0)
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_d"}) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.post("/leads/import", json=_leads("dropped", 5))
        # The retry a client would make now finds every row already there.
        with pytest.raises(httpx.RemoteProtocolError):
            c.post("/leads/import", json=_leads("dropped", 5))
    assert sb.store.count_active("otr_d") == 5
    assert sb.stats.injected_drops == 2
    assert sum(sb.stats.statuses.values()) == 0  # not a single response was sent


def test_an_injected_500_stores_nothing_and_keeps_rate_headers(
    sandbox_factory: SandboxFactory,
) -> None:
    sb = sandbox_factory(fail_rate=1.0)
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_f"}) as c:
        resp = c.post("/leads/import", json=_leads("failed", 5))
        other = c.get("/leads")  # faults only hit imports
    assert resp.status_code == 500
    assert resp.json() == {"detail": "injected fault"}
    assert resp.headers["x-ratelimit-remaining"] == "99"
    assert other.status_code == 200
    assert sb.store.count_active("otr_f") == 0
    assert sb.stats.injected_500 == 1


def _outcomes(
    sandbox_factory: SandboxFactory, seed: int, n: int
) -> tuple[list[str], RunningSandbox]:
    sb = sandbox_factory(fail_rate=0.3, drop_rate=0.2, seed=seed)
    seen = []
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_mix"}) as c:
        for i in range(n):
            try:
                seen.append(str(c.post("/leads/import", json=_leads(f"r{i}", 3)).status_code))
            except httpx.RemoteProtocolError:
                seen.append("drop")
    return seen, sb


def test_fault_counts_match_what_clients_saw_and_what_was_stored(
    sandbox_factory: SandboxFactory,
) -> None:
    seen, sb = _outcomes(sandbox_factory, seed=7, n=60)
    assert set(seen) == {"200", "500", "drop"}
    assert sb.stats.injected_500 == seen.count("500")
    assert sb.stats.injected_drops == seen.count("drop")
    assert sb.stats.imports == 60
    assert sb.stats.statuses[200] == seen.count("200")
    # Drops were processed and committed; 500s were not.
    stored = sb.store.count_active("otr_mix")
    assert stored == 3 * (seen.count("200") + seen.count("drop"))
    # Exactly the seeded sequence, request by request.
    faults = FaultInjector(0.3, 0.2, 7)
    names = {Fault.NONE: "200", Fault.FAIL: "500", Fault.DROP: "drop"}
    assert seen == [names[faults.draw()] for _ in range(60)]


def test_same_seed_gives_the_same_fault_sequence(sandbox_factory: SandboxFactory) -> None:
    first, _ = _outcomes(sandbox_factory, seed=42, n=25)
    second, _ = _outcomes(sandbox_factory, seed=42, n=25)
    other, _ = _outcomes(sandbox_factory, seed=43, n=25)
    assert first == second
    assert first != other


def test_latency_delays_every_answer_and_concurrent_requests_overlap(
    sandbox_factory: SandboxFactory,
) -> None:
    sb = sandbox_factory(latency=0.4)

    def timed(_: int) -> float:
        started = time.monotonic()
        resp = httpx.get(f"{sb.base_url}/leads", headers={"X-API-Key": "otr_lat"})
        assert resp.status_code == 200
        return time.monotonic() - started

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        each = list(pool.map(timed, range(4)))
    total = time.monotonic() - started
    assert min(each) >= 0.4
    assert total < 4 * 0.4  # served side by side, not one after another
    resp = httpx.get(f"{sb.base_url}/leads")  # even a 403 waits
    assert resp.elapsed.total_seconds() >= 0.4


# -- atomicity under a hard kill ------------------------------------------------------------


def _start_server(db: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "foxreach_cli.sandbox",
            "serve",
            "--port",
            "0",
            "--db",
            str(db),
            "--rate-limit",
            "100000",
            "--no-access-log",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    match = re.search(r"(http://\S+/api/v1)", read_line(proc.stdout, "the sandbox starting"))
    assert match, "sandbox did not print its URL"
    return proc, match.group(1)


@pytest.mark.parametrize("round_", range(2))
def test_killing_the_server_mid_import_leaves_whole_requests_only(
    tmp_path: Path, round_: int
) -> None:
    db = tmp_path / "kill.db"
    proc, url = _start_server(db)
    acked = 0
    answered = threading.Condition()
    stop = threading.Event()

    def pump(worker: int) -> None:
        nonlocal acked
        with httpx.Client(base_url=url, headers={"X-API-Key": "otr_kill"}) as c:
            for i in range(10_000):
                if stop.is_set():
                    return
                try:
                    resp = c.post("/leads/import", json=_leads(f"w{worker}-{i}", 1000))
                except httpx.TransportError:
                    return
                if resp.status_code == 200:
                    with answered:
                        acked += 1
                        answered.notify_all()

    threads = [threading.Thread(target=pump, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    try:
        with answered:
            assert answered.wait_for(lambda: acked >= 2 + round_, 30), "no imports acknowledged"
        time.sleep(0.013 * (round_ + 1))  # land at different points of a request
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        if proc.poll() is None:
            proc.kill()
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM leads").fetchone()[0]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert acked >= 2 + round_  # waited for above; how many more got in depends on timing
    assert stored % 1000 == 0  # never part of a request
    assert acked * 1000 <= stored <= (acked + 2) * 1000  # acknowledged ones all survived
