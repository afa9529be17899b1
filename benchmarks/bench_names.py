"""Full-name splitting speed (foxreach_cli.names): names/s for plain ``First Last`` cells (the
fast path, no parser call) and for mixes of plain and other forms (titles, suffixes, particles,
middle initials, CJK, email addresses; most of them need nameparser).

    PYTHONPATH=. python benchmarks/bench_names.py [N]
"""

from __future__ import annotations

import random
import sys
import time

from foxreach_cli.names import split_full_name

FIRST = ["Ada", "Grace", "Alan", "Zoë", "José", "Anne-Marie", "Liam", "Maya", "Omar", "Ines"]
LAST = ["King", "Hopper", "Turing", "O'Neil", "Núñez", "Lévy", "Varga", "Chen", "Okafor", "Berg"]
HARD = [
    "Dr. {f} {l}",
    "{l}, {f}",
    "{l}, {f}, Jr.",
    "{f} {l}, M.D.",
    "{f} van {l}",
    "{f} Q. {l}",
    "山田 太郎",
    "{f}@example.com",
]


def _names(n: int, hard_share: float, rng: random.Random) -> list[str]:
    out = []
    for _ in range(n):
        f, last = rng.choice(FIRST), rng.choice(LAST)
        form = rng.choice(HARD) if rng.random() < hard_share else "{f} {l}"
        out.append(form.format(f=f, l=last))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(7)
    split_full_name("Dr. Ada King")  # load nameparser outside the timing
    for label, share in (("plain", 0.0), ("mixed, 1 in 10 not plain", 0.1), ("mixed, half", 0.5)):
        cells = _names(n, share, rng)
        started = time.perf_counter()
        for cell in cells:
            split_full_name(cell)
        elapsed = time.perf_counter() - started
        print(f"{label}: {n:,} names in {elapsed:.2f} s = {n / elapsed:,.0f} names/s")


if __name__ == "__main__":
    main()
