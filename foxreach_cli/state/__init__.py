"""The run's saved state, in one directory: the resume journal, the work locks and the rate
budget shared by every process that uses the same key (see docs/journal.md and
docs/rate-budget.md)."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_state_dir


def default_state_dir() -> Path:
    """Where the resume journal, locks and the shared rate budget live by default."""
    return Path(user_state_dir("foxreach"))


def ensure_private_dir(path: Path) -> Path:
    """Create a state directory readable by its owner only (0700), parents as usual.

    ``mkdir(parents=True, mode=...)`` applies the mode to the last part only, so a state
    directory created as the parent of e.g. ``locks/`` would otherwise get the umask's mode.
    An existing directory is left as it is.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(exist_ok=True, mode=0o700)
    return path
