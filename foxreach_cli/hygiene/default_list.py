"""Where the default exclusion list is (``~/.foxreach/exclude.txt``), and whether it exists.

Kept apart from :mod:`.suppression` (which reads lists with numpy and pandas) so that
``foxreach config show`` can say where the list is without loading either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from foxreach_cli.credentials import config_file_path


@dataclass(frozen=True)
class DefaultListStatus:
    """The default list for ``config show``: where it is and how big."""

    path: Path
    exists: bool
    size: int | None  # bytes


def default_list_path() -> Path:
    """``~/.foxreach/exclude.txt``: the folder of the settings file foxreach already reads
    (``credentials.config_file_path``), not the state directory (which ``--state-dir`` moves),
    so a cron job finds the same list as the person who wrote it."""
    return config_file_path().parent / "exclude.txt"


def default_list_status() -> DefaultListStatus:
    """Where the default list is, and its size in bytes when it exists."""
    path = default_list_path()
    try:
        return DefaultListStatus(path, True, path.stat().st_size)
    except OSError:
        return DefaultListStatus(path, False, None)
