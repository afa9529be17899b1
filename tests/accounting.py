"""The accounting identities of the report, asserted one way by every test that reads a report."""

from __future__ import annotations

from typing import Any


def assert_accounted(report: dict[str, Any]) -> None:
    """Every row read ends in exactly one outcome (after every run, failed ones included)."""
    outcomes = (
        report["created"]
        + report["restored"]
        + report["duplicates"]
        + report["errors"]
        + report["excluded"]
        + report["notSent"]
    )
    assert report["rowsRead"] == outcomes, (
        f"rowsRead {report['rowsRead']} != created + restored + duplicates + errors + excluded "
        f"+ notSent = {outcomes}"
    )
    # Every excluded row is named, with its reason code.
    assert len(report["excludedDetails"]) == report["excluded"]
    assert sum(report["hygiene"]["excludedByRule"].values()) == report["excluded"]


def assert_split_locally(report: dict[str, Any]) -> None:
    """Every row read is valid, invalid or a duplicate of an earlier row of the input."""
    assert report["rowsRead"] == report["valid"] + report["invalid"] + report["localDuplicates"]
