"""Mailchimp audience exports: Email Address or the EMAIL/FNAME/LNAME merge tags, list statuses.

Translations adopted (models.STATUS_TRANSLATIONS): subscribed -> active, cleaned -> bounced;
unsubscribed is already a lead status. "pending" (never confirmed) has no lead status, so a
column holding it stays a custom field.
"""

from __future__ import annotations

from tests.exports import counts, dry_run, errors, hows, lead_fields, leads_of


def test_audience_export_maps_without_flags() -> None:
    report = dry_run("mailchimp_audience.csv")
    assert lead_fields(report) == {
        "Email Address": "email",
        "First Name": "firstName",
        "Last Name": "lastName",
        "Phone Number": "phone",
        "NOTES": "notes",
        "TAGS": "tags",
    }
    assert counts(report) == (2, 2, 0, 0)


def test_merge_tags_map_and_list_statuses_are_translated() -> None:
    report = dry_run("mailchimp_merge_tags.csv")
    assert lead_fields(report) == {
        "EMAIL": "email",
        "FNAME": "firstName",
        "LNAME": "lastName",
        "PHONE": "phone",
        "STATUS": "status",
    }
    assert "values translated: cleaned -> bounced, subscribed -> active" in hows(report)["STATUS"]
    assert counts(report) == (4, 4, 0, 0)
    assert [lead["status"] for lead in leads_of("mailchimp_merge_tags.csv")] == [
        "active",
        "unsubscribed",
        "bounced",
        "active",
    ]


def test_pending_members_keep_the_status_column_custom() -> None:
    report = dry_run("mailchimp_pending.csv")
    assert lead_fields(report)["EMAIL"] == "email"
    assert "STATUS" not in lead_fields(report)
    assert "values such as 'pending' are not lead statuses" in hows(report)["STATUS"]
    assert counts(report) == (3, 3, 0, 0)
    forced = dry_run("mailchimp_pending.csv", "--map", "STATUS=status")
    assert counts(forced) == (3, 1, 2, 0)
    assert [row for row, _email, _reason in errors(forced)] == [3, 4]
