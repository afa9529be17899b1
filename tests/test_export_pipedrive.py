"""Pipedrive people exports ("Person - ..." columns)."""

from __future__ import annotations

from tests.exports import counts, dry_run, errors, hows, lead_fields, leads_of


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
    assert counts(report) == (3, 3, 0, 0)
    # Only a home address: the lead's own, so it stands in for the empty work address.
    assert errors(report) == []
    assert report["files"][0]["emailFallbacks"] == {"Person - Email - Home": 1}
    assert leads_of("pipedrive_people.csv")[1]["email"] == "dmitri.v@example.org"
    # "Marketing status" holds Subscribed and "No consent": not the status, but read for
    # opt-outs on every row, and the run says so.
    assert report["files"][0]["mappingNotes"] == [
        "'Person - Marketing status' was not used for the status (1 of 2 values looked at "
        "are lead statuses, such as 'No consent'); it is read for opt-outs on every row: a "
        "cell that says unsubscribed or bounced makes the lead so."
    ]
