"""Thunderbird address books: Primary Email over Secondary Email, trailing empty column."""

from __future__ import annotations

from tests.exports import counts, dry_run, errors, fields, lead_fields, map_text


def test_thunderbird_export_maps_without_flags() -> None:
    report = dry_run("thunderbird_addressbook.csv")
    assert lead_fields(report) == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Primary Email": "email",
        "Work Phone": "phone",
        "Job Title": "title",
        "Organization": "company",
        "Web Page 1": "website",
        "Notes": "notes",
    }
    # Thunderbird ends every line with a comma: an unnamed last column, kept by position.
    assert fields(report)[""] == "customFields.column 38"
    assert counts(report) == (3, 2, 1, 0)
    # Only a secondary address: the row is rejected, not imported under the wrong email.
    assert errors(report) == [(3, "", "missing email")]


def test_map_names_the_secondary_email_as_the_loser() -> None:
    text = map_text("thunderbird_addressbook.csv")
    assert "chosen over 'Secondary Email': the primary address ranks first" in text
    assert "second column for email (after 'Primary Email'): kept as custom field" in text
