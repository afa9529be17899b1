"""Google Contacts exports, both layouts, map without flags (tests/data/exports/google_*)."""

from __future__ import annotations

from tests.exports import counts, dry_run, errors, hows, lead_fields, leads_of, map_text


def test_current_layout_maps_and_rejects_the_right_rows() -> None:
    report = dry_run("google_contacts.csv")
    assert lead_fields(report) == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Organization Name": "company",
        "Organization Title": "title",
        "Notes": "notes",
        "Labels": "tags",
        "E-mail 1 - Value": "email",
        "Phone 1 - Value": "phone",
        "Website 1 - Value": "website",
    }
    assert counts(report) == (4, 2, 2, 0)
    # Google puts several addresses in one cell (" ::: "): not one address, so rejected.
    assert [(row, reason.split(":")[0]) for row, _email, reason in errors(report)] == [
        (3, "invalid email"),
        (4, "missing email"),
    ]
    assert "primary address ranks first" in hows(report)["E-mail 1 - Value"]
    assert hows(report)["E-mail 2 - Value"].startswith("second column for email")


def test_current_layout_labels_become_tags_and_the_prefix_stays_custom() -> None:
    lars = leads_of("google_contacts.csv")[1]
    assert lars["tags"] == ["* myContacts", "Clients"]
    assert lars["customFields"]["Name Prefix"] == "Dr."
    assert lars["title"] == "CTO"


def test_old_layout_maps_given_and_family_names() -> None:
    report = dry_run("google_contacts_old.csv")
    assert lead_fields(report) == {
        "Given Name": "firstName",
        "Family Name": "lastName",
        "Notes": "notes",
        "E-mail 1 - Value": "email",
        "Phone 1 - Value": "phone",
        "Organization 1 - Name": "company",
        "Organization 1 - Title": "title",
        "Website 1 - Value": "website",
    }
    assert counts(report) == (3, 2, 1, 0)
    assert errors(report) == [
        (
            3,
            "bram.ode@example",
            "invalid email: The part after the @-sign is not valid. It should have a period.",
        ),
    ]
    # The file has first/last name columns: "Name" is not split, it stays a custom field.
    assert "split" not in hows(report)["Name"]


def test_map_says_which_email_column_was_chosen_and_why() -> None:
    text = map_text("google_contacts_old.csv")
    assert "chosen over 'E-mail 2 - Value': the primary address ranks first" in text
