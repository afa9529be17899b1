"""Outlook contact exports: Title is the name prefix, Job Title the title, E-mail Address first."""

from __future__ import annotations

from tests.exports import counts, dry_run, errors, hows, lead_fields, leads_of, map_text


def test_outlook_export_maps_without_flags() -> None:
    report = dry_run("outlook_contacts.csv")
    assert lead_fields(report) == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Company": "company",
        "Job Title": "title",
        "Business Phone": "phone",
        "Categories": "tags",
        "E-mail Address": "email",
        "Notes": "notes",
        "Web Page": "website",
    }
    assert counts(report) == (3, 2, 1, 0)
    assert errors(report) == [(4, "", "missing email")]


def test_the_title_column_of_prefixes_is_not_the_job_title() -> None:
    report = dry_run("outlook_contacts.csv")
    assert "name prefixes" in hows(report)["Title"]
    priya = leads_of("outlook_contacts.csv")[0]
    assert priya["title"] == "Sales Director"
    assert priya["customFields"]["Title"] == "Ms."
    assert priya["tags"] == ["Clients", "VIP"]
    assert priya["customFields"]["E-mail 2 Address"] == "priya@example.net"


def test_an_empty_primary_phone_gives_way_to_a_filled_business_phone() -> None:
    text = map_text("outlook_contacts.csv")
    assert "'Primary Phone': empty in the rows looked at" in text
    assert [lead.get("phone") for lead in leads_of("outlook_contacts.csv")] == [
        "+1 206 555 0150",
        "+46 8 555 0152",
    ]
