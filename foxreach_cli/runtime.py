"""Process-wide interpreter settings for the two long-running entry points (import, sandbox).

Both allocate a few container objects per lead (a dict per lead, a dict of custom fields, a
list of tags): about 3000 per 1000-lead batch. With CPython's default collector threshold
(700 allocations) that starts a collection every few hundred leads, and each one walks every
young object, most of which live until the batch is sent. The garbage is almost never cyclic,
so collecting less often loses nothing and saved 15 % of the importer's CPU per batch and
more of the sandbox's (``benchmarks/bench_sandbox.py``).
"""

from __future__ import annotations

import gc

#: Container allocations between two young-generation collections: about 15 batches.
GC_THRESHOLD = 50_000


def tune_gc() -> None:
    """Collect less often, and never again walk what the process imported at startup."""
    gc.freeze()  # modules, classes and constants loaded so far: immortal in practice
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, GC_THRESHOLD), middle, old)
