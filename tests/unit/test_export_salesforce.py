"""Salesforce lead and contact exports (API field names, as Data Export writes them)."""

from __future__ import annotations

from tests.exports import counts, dry_run, errors, hows, lead_fields, map_text


def test_salesforce_leads_map_and_keep_the_crm_stage_as_a_custom_field() -> None:
    report = dry_run("salesforce_leads.csv")
    assert lead_fields(report) == {
        "LastName": "lastName",
        "FirstName": "firstName",
        "Title": "title",
        "Company": "company",
        "Phone": "phone",
        "Email": "email",
        "Website": "website",
    }
    # "Open - Not Contacted" is a CRM stage, not a lead status: no row is rejected for it.
    assert "are not lead statuses" in hows(report)["Status"]
    assert counts(report) == (4, 3, 1, 0)
    assert errors(report) == [
        (4, "lucia.reyes(at)example.com", "invalid email: An email address must have an @-sign.")
    ]


def test_an_explicit_status_mapping_still_rejects_stage_values_row_by_row() -> None:
    report = dry_run("salesforce_leads.csv", "--map", "Status=status")
    assert counts(report) == (4, 0, 4, 0)
    assert errors(report)[0] == (
        2,
        "marta.kowalski@example.com",
        "status 'Open - Not Contacted' is not one of active, bounced, unsubscribed, replied",
    )


def test_salesforce_contacts_map_and_dedup() -> None:
    report = dry_run("salesforce_contacts.csv")
    assert lead_fields(report) == {
        "LastName": "lastName",
        "FirstName": "firstName",
        "Phone": "phone",
        "Email": "email",
        "Title": "title",
    }
    assert counts(report) == (3, 2, 0, 1)
    assert [(d["row"], d["email"]) for d in report["duplicateDetails"]] == [
        (3, "HANA.SATO@example.com")
    ]
    assert "customFields.Salutation" in map_text("salesforce_contacts.csv")
