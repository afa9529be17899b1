"""Everything under tests/properties is ``slow``: in-process and pure like tests/unit, but each
test runs hundreds of generated examples or a file of 10,000 columns.

The fast loop (``pytest tests/unit`` or ``pytest -m "not slow"``) leaves them out.
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
