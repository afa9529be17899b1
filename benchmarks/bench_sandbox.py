"""How many 1000-lead import requests per second the sandbox absorbs.

Starts the sandbox (by default in its own process, as a real server would be; ``--in-thread``
runs it inside this process), with no latency and a rate limit too high to matter, then has
``--concurrency`` httpx clients post imports of fresh leads for ``--seconds`` and prints
requests/s and leads/s, and the server's CPU time per request (from /proc), which says what it
could absorb with a core to itself when other work shares the machine. ``--store-only`` instead
times ``Store.apply_import`` directly, with SQLite's ``synchronous`` at NORMAL and at FULL.

    python benchmarks/bench_sandbox.py --seconds 10 --concurrency 3
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from foxreach_cli.sandbox.config import SandboxConfig
from foxreach_cli.sandbox.server import run_in_thread
from foxreach_cli.sandbox.store import Candidate, Store, workspace_of

TARGET_REQUESTS_PER_SECOND = 20.0
API_KEY = "otr_bench"


_LEAD = (
    '{{"email": "lead-{tag}-{i}@example{d}.com", "firstName": "Jane", "lastName": "Smith{i}", '
    '"company": "TechCorp", "title": "CTO", "phone": "+1 415 555 0100", '
    '"source": "csv_import", "customFields": {{"industry": "FinTech", "employees": "50-100"}}, '
    '"tags": ["bench"]}}'
)


def make_body(tag: str, size: int) -> bytes:
    """One import body of ``size`` fresh leads with the fields a CRM export usually has.

    Formatted from a template rather than json.dumps of dicts: the client's CPU is not what this
    benchmark measures, and it shares the machine's two cores with the server.
    """
    leads = ", ".join(_LEAD.format(tag=tag, i=i, d=i % 97) for i in range(size))
    return f'{{"leads": [{leads}], "restoreSoftDeleted": true}}'.encode()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def sandbox_subprocess(db: str) -> Iterator[tuple[str, int]]:
    """Run ``python -m foxreach_cli.sandbox serve`` on a free port; yield (base URL, pid)."""
    cmd = [
        sys.executable,
        "-m",
        "foxreach_cli.sandbox",
        "serve",
        "--port",
        "0",
        "--db",
        db,
        "--rate-limit",
        "1000000000",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(http://\S+/api/v1)", line)
        if not match:
            raise RuntimeError(f"sandbox did not start: {line!r}")
        yield match.group(1), proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def drive(base_url: str, seconds: float, concurrency: int, size: int) -> tuple[int, int, float]:
    """Post imports from ``concurrency`` threads for ``seconds``; return (ok, failed, elapsed)."""
    ok = failed = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(n: int) -> None:
        nonlocal ok, failed
        headers = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            i = 0
            body = make_body(f"{n}-{i}", size)
            while time.perf_counter() < stop_at:
                resp = client.post("/leads/import", content=body)
                good = resp.status_code == 200 and b'"created": %d' % size in resp.content
                with lock:
                    ok += good
                    failed += not good
                i += 1
                body = make_body(f"{n}-{i}", size)  # fresh emails, so every lead is created

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ok, failed, time.perf_counter() - started


def store_only(size: int, rounds: int) -> None:
    """Time Store.apply_import alone, per SQLite synchronous setting."""
    for sync in ("NORMAL", "FULL"):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(str(Path(tmp) / "bench.db"), synchronous=sync)
            ws = workspace_of(API_KEY)
            started = time.perf_counter()
            for r in range(rounds):
                cands = [
                    Candidate(f"s{r}-{i}@example.com", f"s{r}-{i}@example.com", {"tags": ["b"]})
                    for i in range(size)
                ]
                store.apply_import(ws, cands, restore=True, contact_limit=None)
            elapsed = time.perf_counter() - started
            store.close()
        print(f"store only, synchronous={sync}: {rounds / elapsed:.1f} imports/s of {size} leads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=3)
    parser.add_argument("--size", type=int, default=1000, help="leads per request")
    parser.add_argument("--in-thread", action="store_true", help="run the server in-process")
    parser.add_argument("--store-only", action="store_true", help="time the store alone")
    args = parser.parse_args()

    if args.store_only:
        store_only(args.size, rounds=100)
        return

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        if args.in_thread:
            config = SandboxConfig(db=db, rate_limit=10**9)
            with run_in_thread(config) as sandbox:
                ok, failed, elapsed = drive(
                    sandbox.base_url, args.seconds, args.concurrency, args.size
                )
        else:
            with sandbox_subprocess(db) as (base_url, pid):
                cpu_before = process_cpu_seconds(pid)
                ok, failed, elapsed = drive(base_url, args.seconds, args.concurrency, args.size)
                server_cpu = process_cpu_seconds(pid) - cpu_before
        db_mb = os.path.getsize(db) / 1e6

    rate = ok / elapsed
    mode = "in-thread" if args.in_thread else "subprocess"
    print(
        f"sandbox ({mode}, {args.concurrency} clients, {args.size} leads/request): "
        f"{rate:.1f} requests/s, {rate * args.size:,.0f} leads/s "
        f"({ok} ok, {failed} failed in {elapsed:.1f} s; db {db_mb:.0f} MB)"
    )
    if not args.in_thread and ok:
        per_request = server_cpu / ok
        print(
            f"server CPU: {per_request * 1000:.1f} ms per request, "
            f"{server_cpu / elapsed:.0%} of one core; "
            f"capacity with a core of its own ~{1 / per_request:.0f} requests/s"
        )
    verdict = "meets" if rate >= TARGET_REQUESTS_PER_SECOND else "MISSES"
    print(f"{verdict} the target of {TARGET_REQUESTS_PER_SECOND:.0f} requests/s")


if __name__ == "__main__":
    main()
