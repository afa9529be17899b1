"""Process-wide interpreter settings for the two long-running entry points (import, sandbox).

``gc.freeze()`` keeps the collector from walking again, at every collection, everything the
process imported at startup (pandas, numpy, httpx: about 200,000 objects).

The sandbox allocates a few containers per lead it stores and keeps almost none of them, so
it also collects less often (:data:`GC_THRESHOLD`): its CPU per 1000-lead import during
``benchmarks/bench_import.py`` fell from 42 to 36 ms. The importer does not: each request
leaves a reference cycle in httpx holding its ~350 KB body, and collecting the young
generation rarely let those pile up (a 1M-row live import peaked at 450 MB against 330 MB
with the default threshold, for about 8 % less CPU, which the rate limit hides).
"""

from __future__ import annotations

import gc

#: Container allocations between two young-generation collections in the sandbox.
GC_THRESHOLD = 50_000


def tune_gc(young_threshold: int | None = None) -> None:
    """Never walk again what the process imported at startup; with ``young_threshold``,
    also collect the young generation less often."""
    gc.freeze()  # modules, classes and constants loaded so far: immortal in practice
    if young_threshold is not None:
        young, middle, old = gc.get_threshold()
        gc.set_threshold(max(young, young_threshold), middle, old)
