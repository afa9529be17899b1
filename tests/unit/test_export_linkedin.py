"""LinkedIn Connections.csv: notes above the header, row numbers as a spreadsheet shows."""

from __future__ import annotations

from foxreach_cli.read import open_source
from tests.exports import EXPORTS, counts, dry_run, errors, lead_fields


def test_connections_csv_is_read_below_its_notes() -> None:
    with open_source(str(EXPORTS / "linkedin_connections.csv")) as source:
        assert source.info.header_row == 4
    report = dry_run("linkedin_connections.csv")
    assert lead_fields(report) == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Email Address": "email",
        "Company": "company",
        "Position": "title",
    }
    assert counts(report) == (3, 2, 1, 0)
    # The first contact is row 5, and LinkedIn leaves most emails out.
    assert errors(report) == [(5, "", "missing email")]
