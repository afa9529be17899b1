"""Live import against the sandbox under a scaled rate budget: how close to the ideal schedule.

Starts ``foxreach sandbox serve`` in its own process (so importer and server share no GIL) with
``--rate-limit``/``--window``/``--latency``, writes a clean lead file (every row importable),
then runs, one after the other and each with a fresh ``otr_`` key (its own workspace and budget):

- **foxreach**: ``foxreach import FILE --json`` as a subprocess, timed from outside too; the
  leads stored are counted afterwards through ``GET /leads`` and must equal ``created``.
- **peer B** (``peers/sequential_bulk_loop.py``): ``/leads/import`` batches of 1000 one after
  the other, sleeping ``Retry-After`` on 429. Run in full.
- **peer A** (``peers/single_create_loop.py``): one ``POST /leads`` per row with the docs'
  Retry-After recipe. Run for ``--peer-a-seconds`` only; its time for all rows is PROJECTED
  from the measured rate.

The ideal for a contender that needs ``R`` requests is ``floor((R-1)/limit) * window +
latency`` seconds (every window's budget spent at its start, the last answer one latency
later); share of ideal = ideal / measured elapsed. Prints a table, the ceiling
(``limit * 1000 / window`` leads/s) and our leads/s as a share of it.

    python benchmarks/bench_import.py                 # 200,000 rows, 50 req/10 s
    python benchmarks/bench_import.py --window-mode both
    python benchmarks/bench_import.py --limit 100 --window 60   # the API's own
    python benchmarks/bench_import.py --quick         # smoke run, ~1 minute
"""

from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from leadgen import write_leads_csv  # noqa: E402

PEERS = HERE / "peers"
BATCH = 1000  # leads per bulk request, the API's maximum
TARGET_SHARE = 0.90
STARTUP_TIMEOUT = 20.0  # seconds for the sandbox to accept connections
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Settings:
    """One benchmark configuration, after --quick and the defaults are applied."""

    rows: int
    limit: int
    window: float
    latency: float
    concurrency: int | None
    peer_a_seconds: float
    skip_peers: bool
    repeat: int


@dataclass
class Result:
    """What one contender achieved; ``projected`` when elapsed is extrapolated (peer A)."""

    name: str
    leads: int
    requests: int
    rate_limited: int
    elapsed: float  # wall seconds measured outside (or projected)
    projected: bool = False
    note: str = ""

    def ideal(self, s: Settings) -> float:
        """The ideal schedule's duration for this contender's request count."""
        return ideal_seconds(self.requests, s.limit, s.window, s.latency)

    def share(self, s: Settings) -> float:
        """Ideal / measured, capped at 1 (a fixed window can be beaten by a lucky start)."""
        return min(1.0, self.ideal(s) / self.elapsed) if self.elapsed > 0 else 0.0


def ideal_seconds(requests: int, limit: int, window: float, latency: float) -> float:
    """``floor((R-1)/limit) * window + latency``: the fastest schedule the budget allows."""
    if requests <= 0:
        return 0.0
    return math.floor((requests - 1) / limit) * window + latency


# -- the sandbox ----------------------------------------------------------------------------


def _foxreach() -> list[str]:
    """The foxreach command of this interpreter's environment."""
    sibling = Path(sys.executable).with_name("foxreach")
    if sibling.exists():
        return [str(sibling)]
    found = shutil.which("foxreach")
    if found is None:
        raise SystemExit("foxreach is not installed in this environment.")
    return [found]


def _wait_accepting(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the sandbox did not accept connections on port {port}")


@contextmanager
def sandbox(s: Settings, mode: str, workdir: Path) -> Iterator[str]:
    """Run ``foxreach sandbox serve`` in its own process; yield its base URL; always stop it."""
    db = workdir / f"sandbox-{mode}-{uuid.uuid4().hex[:8]}.db"
    log = open(workdir / f"sandbox-{mode}.log", "w")  # noqa: SIM115 - closed in finally
    cmd = [
        *_foxreach(), "sandbox", "serve", "--host", HOST, "--port", "0", "--db", str(db),
        "--rate-limit", str(s.limit), "--window", str(s.window), "--latency", str(s.latency),
        "--window-mode", mode, "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        line = proc.stdout.readline()  # "FoxReach sandbox listening on http://...": 1st line
        match = re.search(r"(http://127\.0\.0\.1:(\d+)/api/v1)", line)
        if not match:
            raise RuntimeError(f"the sandbox did not start: {line!r} (see {log.name})")
        _wait_accepting(int(match.group(2)), deadline)
        yield match.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)


def stored_leads(base_url: str, api_key: str) -> int:
    """How many active leads the key's workspace holds, from ``GET /leads`` (``meta.total``)."""
    with httpx.Client(base_url=base_url, headers={"X-API-Key": api_key}, timeout=30) as client:
        for _ in range(10):  # the run may have spent this window's budget: wait it out, bounded
            resp = client.get("/leads", params={"pageSize": 1})
            if resp.status_code == 429:
                time.sleep(float(resp.headers.get("Retry-After", "1")))
                continue
            resp.raise_for_status()
            return int(resp.json()["meta"]["total"])
    raise RuntimeError("GET /leads kept answering 429")


def compile_bytecode() -> None:
    """Compile foxreach's modules to bytecode, as ``pip install`` does for a regular install.

    An editable install (the development setup) has none, and with PYTHONDONTWRITEBYTECODE set,
    as on the machines this runs on, every run would compile ~10,000 lines again: 0.4 s of
    start-up that no installed copy pays.
    """
    import foxreach_cli

    compileall.compile_dir(Path(foxreach_cli.__file__).parent, quiet=1)


def peak_rss_mb() -> float:
    """The largest peak resident memory of the child processes waited for so far, in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# -- contenders -----------------------------------------------------------------------------


def _run(cmd: list[str], timeout: float, stderr_path: Path) -> tuple[str, float]:
    """Run ``cmd`` with a time bound; return its stdout and the wall seconds it took."""
    with open(stderr_path, "w") as err:
        started = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, timeout=timeout)
        wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # 1: rows rejected; anything else: the run failed
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}; see {stderr_path}")
    return proc.stdout, wall


def run_ours(s: Settings, base_url: str, data: Path, workdir: Path, n: int) -> Result:
    """``foxreach import`` as a user runs it, timed from outside; stored leads verified."""
    key = f"otr_bench_ours_{n}_{uuid.uuid4().hex[:8]}"
    cmd = [
        *_foxreach(), "import", str(data), "--base-url", base_url, "--api-key", key,
        "--rate-limit", str(s.limit), "--rate-window", str(s.window), "--json",
    ]  # fmt: skip
    if s.concurrency is not None:
        cmd += ["--concurrency", str(s.concurrency)]
    bound = 3 * ideal_seconds(math.ceil(s.rows / BATCH), s.limit, s.window, s.latency) + 120
    out, wall = _run(cmd, bound, workdir / f"ours-{n}.stderr")
    report = json.loads(out)
    stored = stored_leads(base_url, key)
    created = int(report["created"])
    if stored != created:
        raise RuntimeError(f"foxreach reported {created} created but the sandbox holds {stored}")
    note = (
        f"report: {report['elapsedSeconds']:.1f} s inside, {report['retries']} retries, "
        f"notSent {report['notSent']}, errors {report['errors']}; stored {stored} = created; "
        f"peak RSS {peak_rss_mb():.0f} MB (largest run so far)"
    )
    return Result(
        name="foxreach import" + (f" #{n}" if s.repeat > 1 else ""),
        leads=created,
        requests=int(report["requests"]),
        rate_limited=int(report["rateLimited"]),
        elapsed=wall,
        note=note,
    )


def run_peer_b(s: Settings, base_url: str, data: Path, workdir: Path) -> Result:
    """The sequential ``/leads/import`` loop, run in full."""
    key = f"otr_bench_peer_b_{uuid.uuid4().hex[:8]}"
    script = PEERS / "sequential_bulk_loop.py"
    max_seconds = 900.0
    cmd = [sys.executable, str(script), str(data), "--base-url", base_url, "--api-key", key,
           "--max-seconds", str(max_seconds)]  # fmt: skip
    out, wall = _run(cmd, max_seconds + 60, workdir / "peer-b.stderr")
    summary = json.loads(out.strip().splitlines()[-1])
    note = f"{summary['elapsedSeconds']:.1f} s inside the loop"
    if summary["stoppedEarly"]:
        note += f"; STOPPED at the {max_seconds:.0f} s bound after {summary['rows']} rows"
    return Result(
        name="peer B: sequential /leads/import",
        leads=int(summary["created"]),
        requests=int(summary["requests"]),
        rate_limited=int(summary["rateLimited"]),
        elapsed=wall,
        note=note,
    )


def run_peer_a(s: Settings, base_url: str, data: Path, workdir: Path) -> Result:
    """The ``POST /leads`` loop for a bounded slice; its time for all rows is projected."""
    key = f"otr_bench_peer_a_{uuid.uuid4().hex[:8]}"
    script = PEERS / "single_create_loop.py"
    cmd = [sys.executable, str(script), str(data), "--base-url", base_url, "--api-key", key,
           "--max-seconds", str(s.peer_a_seconds), "--max-rows", str(s.rows)]  # fmt: skip
    out, _ = _run(cmd, s.peer_a_seconds + 120, workdir / "peer-a.stderr")
    summary = json.loads(out.strip().splitlines()[-1])
    measured = float(summary["elapsedSeconds"])
    created = int(summary["created"])
    measured_rate = created / measured if measured > 0 else 0.0
    # A short slice under a fixed window can catch two windows' budgets back to back; over all
    # rows no client sustains more than limit/window requests a second, so cap the rate there.
    rate = min(measured_rate, s.limit / s.window)
    projected = s.rows / rate if rate > 0 else math.inf
    # 429s scale with the slice too: report the measured count and what it projects to.
    per_row_429 = summary["rateLimited"] / max(1, summary["rows"])
    return Result(
        name="peer A: POST /leads loop",
        leads=s.rows,
        requests=s.rows,
        rate_limited=round(per_row_429 * s.rows),
        elapsed=projected,
        projected=True,
        note=(
            f"PROJECTED from {created} leads in {measured:.1f} s ({measured_rate:.2f} leads/s, "
            f"{summary['rateLimited']} 429s measured); elapsed = {s.rows} / {rate:.2f} "
            f"= {projected / 3600:.1f} h"
        ),
    )


# -- output ---------------------------------------------------------------------------------


def print_table(s: Settings, mode: str, results: list[Result]) -> None:
    """The comparison table for one window mode, then the ceiling and our share of it."""
    ceiling = s.limit * BATCH / s.window
    print()
    print(
        f"== {s.rows:,} leads, {s.limit} requests / {s.window:g} s ({mode} window), "
        f"{s.latency:g} s latency =="
    )
    head = (
        f"{'contender':<34} {'leads':>8} {'requests':>8} {'429s':>6} {'elapsed (s)':>14} "
        f"{'leads/s':>9} {'ideal (s)':>10} {'share of ideal':>15}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        elapsed = f"{r.elapsed:,.1f}" + ("*" if r.projected else "")
        rate = r.leads / r.elapsed if r.elapsed > 0 else 0.0
        print(
            f"{r.name:<34} {r.leads:>8,} {r.requests:>8,} {r.rate_limited:>6} {elapsed:>14} "
            f"{rate:>9,.1f} {r.ideal(s):>10,.1f} {r.share(s):>14.1%}"
        )
    for r in results:
        if r.note:
            print(f"  {r.name}: {r.note}")
    if any(r.projected for r in results):
        print("  * projected from a bounded slice, not measured over all rows")
    print(f"ceiling: {s.limit} x {BATCH} / {s.window:g} s = {ceiling:,.0f} leads/s")
    for r in results:
        if r.name.startswith("foxreach"):
            rate = r.leads / r.elapsed
            verdict = "meets" if r.share(s) >= TARGET_SHARE and r.rate_limited == 0 else "MISSES"
            print(
                f"{r.name}: {rate:,.0f} leads/s = {rate / ceiling:.1%} of the ceiling; "
                f"{r.share(s):.1%} of the ideal, {r.rate_limited} 429s -> {verdict} the target "
                f"(>= {TARGET_SHARE:.0%} of ideal, no 429)"
            )


def settings_from(args: argparse.Namespace) -> Settings:
    """Apply --quick's smaller defaults where the user gave no explicit value."""
    quick = args.quick

    def pick(value: object, normal: object, small: object) -> object:
        return value if value is not None else (small if quick else normal)

    return Settings(
        rows=int(pick(args.rows, 200_000, 20_000)),  # type: ignore[call-overload]
        # --quick: 20 requests over 5-request windows, so the budget binds as in the full run.
        limit=int(pick(args.limit, 50, 5)),  # type: ignore[call-overload]
        window=float(pick(args.window, 10.0, 5.0)),  # type: ignore[arg-type]
        latency=float(args.latency),
        concurrency=args.concurrency,
        peer_a_seconds=float(pick(args.peer_a_seconds, 30.0, 10.0)),  # type: ignore[arg-type]
        skip_peers=args.skip_peers,
        repeat=args.repeat,
    )


def main() -> None:
    """Parse arguments, make the data, run every contender under each window mode, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="leads in the file (default 200,000)")
    parser.add_argument("--limit", type=int, help="requests per window (default 50)")
    parser.add_argument("--window", type=float, help="window seconds (default 10)")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per request")
    parser.add_argument(
        "--window-mode", choices=["fixed", "sliding", "both"], default="fixed",
        help="the sandbox's rate-limit window",
    )  # fmt: skip
    parser.add_argument("--concurrency", type=int, help="foxreach --concurrency (its default)")
    parser.add_argument("--peer-a-seconds", type=float, help="peer A's slice (default 30 s)")
    parser.add_argument("--skip-peers", action="store_true", help="run foxreach only")
    parser.add_argument("--repeat", type=int, default=1, help="foxreach runs per window mode")
    parser.add_argument(
        "--quick", action="store_true",
        help="smoke run: 20,000 rows, 5 requests / 5 s, peer A for 10 s",
    )  # fmt: skip
    parser.add_argument("--json-out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    s = settings_from(args)
    if s.rows < 1 or s.limit < 1 or s.window <= 0 or s.latency < 0 or s.repeat < 1:
        parser.error("--rows, --limit, --window and --repeat must be positive, --latency >= 0")

    data_dir = HERE / "data"
    data_dir.mkdir(exist_ok=True)
    data = data_dir / f"clean_{s.rows}.csv"
    if not data.exists():
        print(f"writing {data} ...", flush=True)
        tmp = data.with_suffix(".tmp")
        write_leads_csv(tmp, s.rows, bad_share=0.0, dup_share=0.0)
        os.replace(tmp, data)

    compile_bytecode()
    modes = ["fixed", "sliding"] if args.window_mode == "both" else [args.window_mode]
    everything: dict[str, list[dict[str, object]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp_dir:
        workdir = Path(tmp_dir)
        for mode in modes:
            results: list[Result] = []
            with sandbox(s, mode, workdir) as base_url:
                for n in range(1, s.repeat + 1):
                    print(f"[{mode}] foxreach import run {n} ...", flush=True)
                    results.append(run_ours(s, base_url, data, workdir, n))
                if not s.skip_peers:
                    print(f"[{mode}] peer B (sequential /leads/import) ...", flush=True)
                    results.append(run_peer_b(s, base_url, data, workdir))
                    print(f"[{mode}] peer A (POST /leads, {s.peer_a_seconds:g} s) ...", flush=True)
                    results.append(run_peer_a(s, base_url, data, workdir))
            print_table(s, mode, results)
            everything[mode] = [
                {**r.__dict__, "ideal": r.ideal(s), "share": r.share(s)} for r in results
            ]
    if args.json_out:
        args.json_out.write_text(json.dumps({"settings": s.__dict__, "results": everything}))


if __name__ == "__main__":
    main()
