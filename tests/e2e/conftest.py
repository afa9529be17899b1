"""Everything under tests/e2e is ``slow``: real processes, the real sandbox server, real time.

The fast loop leaves it out with ``pytest tests/unit`` or ``pytest -m "not slow"``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A conftest hook sees every collected item, not only this folder's: mark ours only.
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)
