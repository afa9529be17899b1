"""Apollo people exports: Email over Secondary/Tertiary Email, Excel's ' marker on phones."""

from __future__ import annotations

from tests.exports import counts, dry_run, errors, hows, lead_fields, leads_of


def test_apollo_export_maps_without_flags() -> None:
    report = dry_run("apollo_people.csv")
    assert lead_fields(report) == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Title": "title",
        "Company": "company",
        "Email": "email",
        "Work Direct Phone": "phone",
        "Lists": "tags",
        "Person Linkedin Url": "linkedinUrl",
        "Website": "website",
    }
    assert "chosen over 'Secondary Email', 'Tertiary Email'" in hows(report)["Email"]
    assert counts(report) == (3, 2, 1, 0)
    assert errors(report) == [(3, "", "missing email")]


def test_the_text_marker_is_removed_from_the_phone() -> None:
    elena = leads_of("apollo_people.csv")[0]
    assert elena["phone"] == "+1 415 555 0100"
    assert elena["customFields"]["Secondary Email"] == "elena@example.org"
    assert elena["customFields"]["Tertiary Email"] == "e.petrova@example.net"
