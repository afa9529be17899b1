"""A mapping file that cannot be used (given with --mapping, or saved beside a rejected-rows
file) stops the run with exit 2 and one sentence, never a traceback (exit 70)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.errors import UsageError
from foxreach_cli.mapping_file import load_mapping_file

runner = CliRunner()

#: tomllib parses nested arrays recursively: this exhausts Python's stack.
DEEP = "[columns]\nEmail = " + "[" * 5000 + "]" * 5000 + "\n"


def test_a_deeply_nested_toml_is_one_sentence(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text(DEEP)
    with pytest.raises(UsageError, match="nested thousands deep"):
        load_mapping_file(str(deep))


@pytest.mark.parametrize("command", ["import", "map"])
def test_a_deeply_nested_mapping_option_exits_2(tmp_path: Path, command: str) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("email,name\nann@example.com,Ann\n")
    deep = tmp_path / "deep.toml"
    deep.write_text(DEEP)
    extra = ["--dry-run"] if command == "import" else []
    result = runner.invoke(app, [command, str(leads), "--mapping", str(deep), *extra])
    assert result.exit_code == 2, result.output
    assert "nested thousands deep" in result.output
    assert "Traceback" not in result.output


def test_a_deeply_nested_mapping_beside_a_rejected_file_exits_2(tmp_path: Path) -> None:
    rejected = tmp_path / "rejected.csv"
    rejected.write_text("email,name,row,reason\nann@,Ann,2,invalid email\n")
    (tmp_path / "rejected.csv.mapping.toml").write_text(DEEP)
    result = runner.invoke(app, ["import", str(rejected), "--dry-run"])
    assert result.exit_code == 2, result.output
    assert "rejected.csv.mapping.toml is not valid TOML" in result.output
    assert "Traceback" not in result.output
