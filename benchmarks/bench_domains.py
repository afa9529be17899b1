"""Domain checks per second against a local DNS server (issue 21: aim 2,000+/s for domains
that answer MX on the first query).

    python benchmarks/bench_domains.py [--domains 50000] [--concurrency 64] [--same-process]

Starts tests/dns_server.py's server in a child process (so the figure is the checker's, not
the checker's and the server's sharing one interpreter), answering MX for every name, then
checks that many distinct domains with ``hygiene.domains.DomainChecker`` (no cache) and prints
domains/s and the queries sent. ``--same-process`` runs the server in a thread instead.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from foxreach_cli.hygiene.domains import DomainChecker, DomainStatus  # noqa: E402
from tests.dns_server import Answer, LocalDns  # noqa: E402

SERVER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from tests.dns_server import Answer, LocalDns
with LocalDns(lambda name: Answer("mx")) as dns:
    print(dns.resolver, flush=True)
    sys.stdin.read()  # until the parent closes it
    print(dns.total_queries(), flush=True)
"""


def measure(resolver: str, domains: int, concurrency: int) -> tuple[float, int, int]:
    checker = DomainChecker(resolver=resolver, concurrency=concurrency, timeout=2.0)
    names = [f"company{i}.bench.test" for i in range(domains)]
    start = time.perf_counter()
    results = checker.check(names)
    elapsed = time.perf_counter() - start
    mail = sum(r.status is DomainStatus.MAIL for r in results.values())
    return elapsed, mail, checker.queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--same-process", action="store_true")
    args = parser.parse_args()
    if args.same_process:
        with LocalDns(lambda name: Answer("mx")) as dns:
            elapsed, mail, queries = measure(dns.resolver, args.domains, args.concurrency)
            answered = dns.total_queries()
    else:
        child = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(ROOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdin is not None
        resolver = child.stdout.readline().strip()
        try:
            elapsed, mail, queries = measure(resolver, args.domains, args.concurrency)
        finally:
            child.stdin.close()
            answered = int(child.stdout.readline() or 0)
            child.wait(timeout=10)
    print(
        f"{args.domains:,} distinct domains in {elapsed:.2f} s: {args.domains / elapsed:,.0f} "
        f"domains/s ({mail:,} take mail; {queries:,} queries sent, {answered:,} answered; "
        f"concurrency {args.concurrency}, server in "
        f"{'this process' if args.same_process else 'a child process'})"
    )


if __name__ == "__main__":
    main()
