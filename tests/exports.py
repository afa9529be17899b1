"""Helpers for the export-family table (tests/unit/test_exports.py): run the real CLI on a file
under tests/data/exports/ (real header rows and layouts of each tool, invented people)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from foxreach_cli.batch import to_leads
from foxreach_cli.cli import app
from foxreach_cli.mapping import build_mapping
from foxreach_cli.read import open_source
from foxreach_cli.validate import validate_chunk

EXPORTS = Path(__file__).parent / "data" / "exports"
runner = CliRunner()


def dry_run(name: str, *extra: str) -> dict[str, Any]:
    """``foxreach import FILE --dry-run --json``: the report."""
    result = runner.invoke(
        app, ["import", str(EXPORTS / name), "--dry-run", "--json", "--fail-on", "never", *extra]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def fields(report: dict[str, Any]) -> dict[str, str]:
    """Column -> target of the report's only file."""
    return {m["column"]: m["field"] for m in report["files"][0]["mapping"]}


def hows(report: dict[str, Any]) -> dict[str, str]:
    return {m["column"]: m["how"] for m in report["files"][0]["mapping"]}


def lead_fields(report: dict[str, Any]) -> dict[str, str]:
    """The columns that fill a lead field or tags (everything else must be a custom field)."""
    out = {}
    for column, target in fields(report).items():
        if target.startswith("customFields."):
            assert target == f"customFields.{column}" or column == "", (column, target)
        else:
            out[column] = target
    return out


def counts(report: dict[str, Any]) -> tuple[int, int, int, int]:
    return report["rowsRead"], report["valid"], report["invalid"], report["localDuplicates"]


def errors(report: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(e["row"], e["email"], e["reason"]) for e in report["errorDetails"]]


def map_text(name: str, *extra: str) -> str:
    """``foxreach map FILE``: the table as printed, lines joined so wrapped cells read whole."""
    result = runner.invoke(app, ["map", str(EXPORTS / name), *extra], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return result.output


def leads_of(name: str) -> list[dict[str, Any]]:
    """The lead objects a live import would send for a file's valid rows, in row order."""
    with open_source(str(EXPORTS / name)) as source:
        mapping = build_mapping(source.info)
        out: list[dict[str, Any]] = []
        for chunk in source.chunks():
            checked = validate_chunk(chunk, mapping)
            valid = checked.valid
            out.extend(to_leads(checked.cells, valid.sort_values("row")) if len(valid) else [])
        return out
