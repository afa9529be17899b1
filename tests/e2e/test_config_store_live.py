"""A live import against the sandbox takes its key and URL from ~/.foxreach/config.json."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit import test_config_store
from tests.unit.test_config_store import KEY, invoke, write_official

# The unit tests' fixture: a fresh HOME, and a working directory with no .env.
home = test_config_store.home


def test_a_live_import_uses_the_key_and_url_of_config_json(home: Path, sandbox) -> None:
    write_official(home, {"api_key": KEY, "base_url": sandbox.base_url})
    leads = Path("leads.csv")
    leads.write_text("Email,First Name\nana@example.com,Ana\nbo@example.com,Bo\n")
    result = invoke("import", str(leads), "--json", "--rate-limit", "1000", "--rate-window", "1")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 2
