"""Zoho CRM lead exports: Designation is the title, Lead Status stays a custom field."""

from __future__ import annotations

from tests.exports import counts, dry_run, errors, lead_fields


def test_zoho_leads_map_without_flags() -> None:
    report = dry_run("zoho_leads.csv")
    assert lead_fields(report) == {
        "Company": "company",
        "First Name": "firstName",
        "Last Name": "lastName",
        "Designation": "title",
        "Email": "email",
        "Phone": "phone",
        "Website": "website",
    }
    assert counts(report) == (3, 2, 1, 0)
    assert errors(report) == [(4, "", "missing email")]
