"""Everything under tests/e2e is ``slow``: real processes, the real sandbox server, real time.

The fast loop leaves it out with ``pytest tests/unit`` or ``pytest -m "not slow"``.
"""

from __future__ import annotations

import compileall
from pathlib import Path

import pytest

import foxreach_cli

_HERE = Path(__file__).parent


@pytest.fixture(scope="session", autouse=True)
def _bytecode() -> None:
    """Compile foxreach's modules once, as ``pip install`` does for a regular install: an
    editable install has no bytecode, and with PYTHONDONTWRITEBYTECODE set (as on CI's
    machines) every CLI process these tests start would compile the package again."""
    compileall.compile_dir(Path(foxreach_cli.__file__).parent, quiet=1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A conftest hook sees every collected item, not only this folder's: mark ours only.
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)
