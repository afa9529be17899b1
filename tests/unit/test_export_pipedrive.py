"""Pipedrive people exports ("Person - ..." columns)."""

from __future__ import annotations

from tests.exports import counts, dry_run, errors, hows, lead_fields


def test_pipedrive_export_maps_without_flags() -> None:
    report = dry_run("pipedrive_people.csv")
    assert lead_fields(report) == {
        "Person - First name": "firstName",
        "Person - Last name": "lastName",
        "Person - Organization": "company",
        "Person - Email - Work": "email",
        "Person - Phone - Work": "phone",
        "Person - Label": "tags",
    }
    assert "primary address ranks first" in hows(report)["Person - Email - Work"]
    assert counts(report) == (3, 2, 1, 0)
    # Only a home address: rejected rather than imported under the secondary one.
    assert errors(report) == [(3, "", "missing email")]
