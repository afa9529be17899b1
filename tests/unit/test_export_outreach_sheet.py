"""A hand-made outreach sheet with one Full Name column: first and last names are split."""

from __future__ import annotations

from foxreach_cli.batch import split_full_name
from tests.exports import counts, dry_run, fields, hows, leads_of


def test_a_full_name_column_fills_first_and_last_name() -> None:
    report = dry_run("outreach_sheet_full_names.csv")
    assert fields(report)["Full Name"] == "customFields.Full Name"
    assert "split into firstName and lastName" in hows(report)["Full Name"]
    assert fields(report)["Status"] == "status"
    assert counts(report) == (3, 3, 0, 0)
    names = [
        (lead.get("firstName"), lead.get("lastName"), lead["customFields"]["Full Name"])
        for lead in leads_of("outreach_sheet_full_names.csv")
    ]
    assert names == [
        ("Ines", "Varga", "Varga, Ines"),
        ("Jan", "van Dijk", "Jan van Dijk"),
        ("Prince", None, "Prince"),
    ]


def test_split_rules() -> None:
    assert split_full_name("King, Ada") == ("Ada", "King")
    assert split_full_name("Ada  King") == ("Ada", "King")
    assert split_full_name("Ada King, PhD") == ("Ada", "King PhD")
    assert split_full_name("Cher") == ("Cher", "")
