"""HubSpot contact exports: null cells are empty, Lead Status stays a custom field."""

from __future__ import annotations

from tests.exports import counts, dry_run, errors, lead_fields, leads_of


def test_hubspot_export_maps_without_flags() -> None:
    report = dry_run("hubspot_contacts.csv")
    assert lead_fields(report) == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Email": "email",
        "Phone Number": "phone",
        "Associated Company": "company",
        "Job Title": "title",
    }
    assert counts(report) == (3, 2, 1, 0)
    # An email cell of "null" is a missing email, not an invalid address "null".
    assert errors(report) == [(4, "", "missing email")]


def test_null_cells_are_left_out_of_the_lead() -> None:
    ravi = leads_of("hubspot_contacts.csv")[1]
    assert "phone" not in ravi and "title" not in ravi and "company" not in ravi
    assert "null" not in ravi["customFields"].values()
    assert ravi["customFields"]["Lead Status"] == "OPEN"
