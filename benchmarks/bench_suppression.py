"""Loading and matching a large suppression list (issue 21: 1M entries in < 2 s, < 100 MB).

    python benchmarks/bench_suppression.py [--entries 1000000]

Writes a list of invented entries (80% addresses, 15% domains, 5% ``*.`` domains, some
comments and blank lines) under benchmarks/data/, then in a fresh process: loads it with
``hygiene.suppression.load_list`` and matches a 50,000-row chunk against it. Prints the
seconds and the memory: the process's peak RSS, and its growth over the RSS after the imports
(what the list itself costs), sampled every 5 ms while it loads.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent

MEASURE = """
import json, resource, sys, time
import numpy as np
from foxreach_cli.hygiene.addresses import split_addresses
from foxreach_cli.hygiene.suppression import Suppression, load_list

def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20

base = rss_mb()
import threading
peak_seen = [base]
def watch():
    while not done:
        peak_seen[0] = max(peak_seen[0], rss_mb()); time.sleep(0.005)
done = False
threading.Thread(target=watch, daemon=True).start()
t = time.perf_counter()
lst = load_list(sys.argv[1])
load_s = time.perf_counter() - t
done = True
load_peak = peak_seen[0]
after = rss_mb()
rows = np.array([f"person{i}@company{i % 5000}.example" for i in range(50_000)], dtype=object)
t = time.perf_counter()
addresses, domains = split_addresses(rows)
hits = Suppression([lst]).match(addresses, domains)
match_s = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"entries": lst.entries, "distinct": lst.size, "load_s": load_s,
                  "match_50k_s": match_s, "matched": sum(h is not None for h in hits),
                  "rss_after_imports_mb": base, "load_peak_mb": load_peak,
                  "rss_after_load_mb": after, "peak_mb": peak}))
"""


def write_list(path: Path, entries: int) -> None:
    rng = random.Random(21)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("# invented suppression list for the benchmark\n")
        for i in range(entries):
            roll = rng.random()
            if roll < 0.80:
                fh.write(f"Person{i}@Company{i % 50_000}.example\n")
            elif roll < 0.95:
                fh.write(f"@domain{i}.example\n")
            else:
                fh.write(f"*.group{i}.example\n")
            if i % 10_000 == 0:
                fh.write("\n# a comment\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    path = data / f"suppression_{args.entries}.txt"
    if not path.exists():
        write_list(path, args.entries)
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    result = json.loads(out.stdout)
    grew = result["load_peak_mb"] - result["rss_after_imports_mb"]
    kept = result["rss_after_load_mb"] - result["rss_after_imports_mb"]
    print(
        f"{result['entries']:,} entries ({result['distinct']:,} distinct): "
        f"loaded in {result['load_s']:.2f} s; loading peaked {grew:.0f} MB above the "
        f"{result['rss_after_imports_mb']:.0f} MB of the imports and keeps {kept:.0f} MB; "
        f"a 50,000-row chunk matched in {result['match_50k_s'] * 1000:.0f} ms "
        f"(process peak {result['peak_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    main()
