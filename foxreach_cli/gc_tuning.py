"""Process-wide interpreter settings for the two long-running entry points (import, sandbox).

:func:`tune_gc` freezes what the process imported so far, and lets the sandbox (only) collect
the young generation less often. Why, with the measurements: docs/architecture.md ("The
garbage collector").

The import command loads pandas, numpy and httpx only once its options are parsed (a command
must answer ``--help`` at once), so the console script :func:`arm`\\ s the freeze and the run
does it when it starts (:func:`run_starting`), with everything it needs loaded. A run called
in-process (the tests' CliRunner, a script using the library) freezes nothing: it is not the
whole process.
"""

from __future__ import annotations

import gc

#: Container allocations between two young-generation collections in the sandbox.
GC_THRESHOLD = 50_000

_armed = False  # the console script runs an import: freeze when it starts


def tune_gc(young_threshold: int | None = None) -> None:
    """Never walk again what the process imported so far; with ``young_threshold``, also
    collect the young generation less often."""
    gc.freeze()  # modules, classes and constants loaded so far: immortal in practice
    if young_threshold is not None:
        young, middle, old = gc.get_threshold()
        gc.set_threshold(max(young, young_threshold), middle, old)


def arm() -> None:
    """Ask the import that this process runs to call :func:`tune_gc` as it starts."""
    global _armed
    _armed = True


def run_starting() -> None:
    """An import starts with its modules loaded: :func:`tune_gc` once, if :func:`arm` asked."""
    global _armed
    if _armed:
        _armed = False
        tune_gc()
