"""Process-wide interpreter settings for the two long-running entry points (import, sandbox).

:func:`tune_gc` freezes what the process imported at startup, and lets the sandbox (only)
collect the young generation less often. Why, with the measurements: docs/architecture.md
("The garbage collector").
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
