"""Real export layouts of eleven tools (tests/data/exports/: their header rows, invented people)
map without flags: one table of files and what each must give, run through the real CLI.

Each :class:`Export` row says which columns fill lead fields (everything else must stay a
custom field under its own name), the counts and rejected rows of a dry run, the exact
explanation ``map`` gives for the columns a user would wonder about, and what the leads a
live import would send hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from foxreach_cli.names import split_full_name
from foxreach_cli.read import open_source
from tests.exports import EXPORTS, counts, dry_run, errors, fields, hows, lead_fields, leads_of
from tests.exports import map_text as map_table

ABSENT = object()  # the lead has no such key
MISSING = "missing email"
PRIMARY = "the primary address ranks first"
CUSTOM = "kept as custom field"
STATUSES = "active, bounced, unsubscribed, replied"
NOT_A_STATUS = f"is not one of {STATUSES}"
#: What the mapping adds to a status-like column it does not use for the status.
OPT_OUTS = (
    "; read for opt-outs on every row: a cell that says unsubscribed or bounced makes the lead so"
)


def fit(n: int, of: int) -> str:
    """The evidence an email column's sampled values give."""
    return f"{n} of {of} values looked at are email addresses"


@dataclass(frozen=True)
class Export:
    file: str
    lead_fields: dict[str, str]
    counts: tuple[int, int, int, int]  # rows read, valid, invalid, local duplicates
    errors: list[tuple[int, str, str]]  # (row, email, reason) of the rejected rows
    hows: dict[str, str] = field(default_factory=dict)  # column -> how it was mapped, exactly
    leads: dict[int, dict[str, Any]] = field(default_factory=dict)  # lead -> key path -> value
    every_lead: dict[str, list[Any]] = field(default_factory=dict)  # key -> values in row order
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (row, email)
    unnamed: dict[str, str] = field(default_factory=dict)  # a header-less column -> its target
    header_row: int = 1
    #: Rows whose empty email cell another email column of the lead filled: header -> rows.
    fallbacks: dict[str, int] = field(default_factory=dict)
    notes: list[str] | None = None  # what the run says of the header and status-like columns
    extra: tuple[str, ...] = ()
    id: str = ""


EXPORTS_TABLE = [
    Export(
        "apollo_people.csv",
        {
            "First Name": "firstName",
            "Last Name": "lastName",
            "Title": "title",
            "Company": "company",
            "Email": "email",
            "Work Direct Phone": "phone",
            "Lists": "tags",
            "Person Linkedin Url": "linkedinUrl",
            "Website": "website",
        },
        # Marco has only a secondary address: it stands in for the empty Email, and is counted.
        (3, 3, 0, 0),
        [],
        hows={
            "Email": f"field name; {fit(2, 2)}; chosen over 'Secondary Email', 'Tertiary Email': "
            f"{PRIMARY}"
        },
        # Excel's text marker (a leading ') is removed from the phone.
        leads={
            0: {
                "phone": "+1 415 555 0100",
                "customFields.Secondary Email": "elena@example.org",
                "customFields.Tertiary Email": "e.petrova@example.net",
            },
            1: {"email": "marco.bianchi@example.org"},
        },
        # Apollo's "Email Bounced" column is read for bounces on every row (none bounced here).
        every_lead={"status": [ABSENT, ABSENT, ABSENT]},
        fallbacks={"Secondary Email": 1},
    ),
    Export(
        "google_contacts.csv",
        {
            "First Name": "firstName",
            "Last Name": "lastName",
            "Organization Name": "company",
            "Organization Title": "title",
            "Notes": "notes",
            "Labels": "tags",
            "E-mail 1 - Value": "email",
            "Phone 1 - Value": "phone",
            "Website 1 - Value": "website",
        },
        (4, 2, 2, 0),
        # Google puts several addresses in one cell (" ::: "): not one address, so rejected.
        [
            (
                3,
                "theo@example.com ::: theo.b@example.org",
                "invalid email: The part after the @-sign contains invalid characters: "
                "':', '@', SPACE.",
            ),
            (4, "", MISSING),
        ],
        hows={
            "E-mail 1 - Value": f"synonym: 'E-mail 1 - Value'; {fit(2, 3)}; chosen over "
            f"'E-mail 2 - Value': {PRIMARY}",
            "E-mail 2 - Value": f"second column for email (after 'E-mail 1 - Value'): {CUSTOM}; "
            "used as the email where 'E-mail 1 - Value' is empty",
        },
        # Labels become tags; the name prefix stays custom.
        leads={
            1: {
                "tags": ["* myContacts", "Clients"],
                "customFields.Name Prefix": "Dr.",
                "title": "CTO",
            }
        },
    ),
    Export(
        "google_contacts_old.csv",
        {
            "Given Name": "firstName",
            "Family Name": "lastName",
            "Notes": "notes",
            "E-mail 1 - Value": "email",
            "Phone 1 - Value": "phone",
            "Organization 1 - Name": "company",
            "Organization 1 - Title": "title",
            "Website 1 - Value": "website",
        },
        (3, 2, 1, 0),
        [
            (
                3,
                "bram.ode@example",
                "invalid email: The part after the @-sign is not valid. It should have a period.",
            )
        ],
        # The file has first/last name columns: "Name" is not split, it stays a custom field.
        hows={
            "Name": f"not recognised: {CUSTOM}",
            "E-mail 1 - Value": f"synonym: 'E-mail 1 - Value'; {fit(2, 3)}; chosen over "
            f"'E-mail 2 - Value': {PRIMARY}",
        },
    ),
    Export(
        "hubspot_contacts.csv",
        {
            "First Name": "firstName",
            "Last Name": "lastName",
            "Email": "email",
            "Phone Number": "phone",
            "Associated Company": "company",
            "Job Title": "title",
        },
        (3, 2, 1, 0),
        # An email cell of "null" is a missing email, not an invalid address "null".
        [(4, "", MISSING)],
        # "null" cells are left out of the lead.
        leads={
            1: {
                "phone": ABSENT,
                "title": ABSENT,
                "company": ABSENT,
                "customFields.Lead Status": "OPEN",
            }
        },
    ),
    Export(
        "linkedin_connections.csv",
        {
            "First Name": "firstName",
            "Last Name": "lastName",
            "Email Address": "email",
            "Company": "company",
            "Position": "title",
            # LinkedIn calls the profile just "URL": its values say what it is.
            "URL": "linkedinUrl",
        },
        (3, 2, 1, 0),
        # The header is read below LinkedIn's notes: the first contact is row 5, as a
        # spreadsheet shows it, and LinkedIn leaves most emails out.
        [(5, "", MISSING)],
        header_row=4,
    ),
    Export(
        "mailchimp_audience.csv",
        {
            "Email Address": "email",
            "First Name": "firstName",
            "Last Name": "lastName",
            "Phone Number": "phone",
            "NOTES": "notes",
            "TAGS": "tags",
        },
        (2, 2, 0, 0),
        [],
    ),
    Export(
        "mailchimp_merge_tags.csv",
        {
            "EMAIL": "email",
            "FNAME": "firstName",
            "LNAME": "lastName",
            "PHONE": "phone",
            "STATUS": "status",
        },
        (4, 4, 0, 0),
        [],
        hows={
            "STATUS": "field name; 4 of 4 values looked at are lead statuses; values translated: "
            "cleaned -> bounced, subscribed -> active"
        },
        # "active" is the API's default and never sent (a restore keeps an opt-out).
        every_lead={"status": [ABSENT, "unsubscribed", "bounced", ABSENT]},
    ),
    Export(
        "mailchimp_pending.csv",
        {"EMAIL": "email", "FNAME": "firstName", "LNAME": "lastName"},
        (3, 3, 0, 0),
        [],
        # Pending members: the status column stays custom.
        hows={
            "STATUS": f"values such as 'pending' are not lead statuses ({STATUSES}; 1 of 3 values "
            f"looked at are lead statuses): {CUSTOM}; --map 'STATUS=status' imports it anyway, "
            f"rejecting rows that hold others{OPT_OUTS}"
        },
    ),
    Export(
        "mailchimp_pending.csv",
        {"EMAIL": "email", "FNAME": "firstName", "LNAME": "lastName", "STATUS": "status"},
        (3, 1, 2, 0),
        [
            (3, "rui.sousa@example.com", f"status 'pending' {NOT_A_STATUS}"),
            (4, "eva.kos@example.com", f"status 'pending' {NOT_A_STATUS}"),
        ],
        extra=("--map", "STATUS=status"),
        id="mailchimp_pending.csv--map-STATUS=status",
    ),
    Export(
        "outlook_contacts.csv",
        {
            "First Name": "firstName",
            "Last Name": "lastName",
            "Company": "company",
            "Job Title": "title",
            "Business Phone": "phone",
            "Categories": "tags",
            "E-mail Address": "email",
            "Notes": "notes",
            "Web Page": "website",
        },
        (3, 2, 1, 0),
        [(4, "", MISSING)],
        # The Title column of prefixes is not the job title; an empty Primary Phone gives
        # way to a filled Business Phone.
        hows={
            "Title": f"values are name prefixes (Mr., Ms., Dr.), not job titles: {CUSTOM}",
            "Primary Phone": f"second column for phone (after 'Business Phone'): {CUSTOM}",
        },
        leads={
            0: {
                "title": "Sales Director",
                "customFields.Title": "Ms.",
                "tags": ["Clients", "VIP"],
                "customFields.E-mail 2 Address": "priya@example.net",
            }
        },
        every_lead={"phone": ["+1 206 555 0150", "+46 8 555 0152"]},
    ),
    Export(
        "outreach_sheet_full_names.csv",
        {"Email": "email", "Company": "company", "Status": "status"},
        (3, 3, 0, 0),
        [],
        # One Full Name column fills first and last name, and stays as it was written.
        hows={
            "Full Name": f"not recognised: {CUSTOM}; split into firstName and lastName: "
            "3 of 3 sampled cells are names"
        },
        every_lead={
            "firstName": ["Ines", "Jan", "Prince"],
            "lastName": ["Varga", "van Dijk", ABSENT],
            "customFields.Full Name": ["Varga, Ines", "Jan van Dijk", "Prince"],
        },
    ),
    Export(
        "pipedrive_people.csv",
        {
            "Person - First name": "firstName",
            "Person - Last name": "lastName",
            "Person - Organization": "company",
            "Person - Email - Work": "email",
            "Person - Phone - Work": "phone",
            "Person - Label": "tags",
        },
        # Only a home address: the lead's own, so it stands in for the empty work address.
        (3, 3, 0, 0),
        [],
        hows={
            "Person - Email - Work": f"synonym: 'Person - Email - Work'; {fit(2, 2)}; chosen over "
            f"'Person - Email - Home', 'Person - Email - Other': {PRIMARY}"
        },
        leads={1: {"email": "dmitri.v@example.org"}},
        fallbacks={"Person - Email - Home": 1},
        # "Marketing status" holds Subscribed and "No consent": not the status, but read for
        # opt-outs on every row, and the run says so.
        notes=[
            "'Person - Marketing status' was not used for the status (1 of 2 values looked at "
            "are lead statuses, such as 'No consent'); it is read for opt-outs on every row: a "
            "cell that says unsubscribed or bounced makes the lead so."
        ],
    ),
    Export(
        "salesforce_leads.csv",
        {
            "LastName": "lastName",
            "FirstName": "firstName",
            "Title": "title",
            "Company": "company",
            "Phone": "phone",
            "Email": "email",
            "Website": "website",
        },
        (4, 3, 1, 0),
        [(4, "lucia.reyes(at)example.com", "invalid email: An email address must have an @-sign.")],
        # "Open - Not Contacted" is a CRM stage, not a lead status: the column stays custom.
        hows={
            "Status": f"values such as 'Open - Not Contacted' are not lead statuses ({STATUSES}; "
            f"0 of 4 values looked at are lead statuses): {CUSTOM}; --map 'Status=status' imports "
            f"it anyway, rejecting rows that hold others{OPT_OUTS}"
        },
    ),
    Export(
        "salesforce_leads.csv",
        {
            "LastName": "lastName",
            "FirstName": "firstName",
            "Title": "title",
            "Company": "company",
            "Phone": "phone",
            "Email": "email",
            "Website": "website",
            "Status": "status",
        },
        (4, 0, 4, 0),
        # An explicit status mapping still rejects stage values, row by row.
        [
            (
                2,
                "marta.kowalski@example.com",
                f"status 'Open - Not Contacted' {NOT_A_STATUS}",
            ),
            (
                3,
                "tunde.adeyemi@example.com",
                f"status 'Working - Contacted' {NOT_A_STATUS}",
            ),
            (
                4,
                "lucia.reyes(at)example.com",
                "invalid email: An email address must have an @-sign.",
            ),
            (5, "petr.novak@example.com", f"status 'Closed - Converted' {NOT_A_STATUS}"),
        ],
        extra=("--map", "Status=status"),
        id="salesforce_leads.csv--map-Status=status",
    ),
    Export(
        "salesforce_contacts.csv",
        {
            "LastName": "lastName",
            "FirstName": "firstName",
            "Phone": "phone",
            "Email": "email",
            "Title": "title",
        },
        (3, 2, 0, 1),
        [],
        hows={"Salutation": f"not recognised: {CUSTOM}"},
        duplicates=[(3, "HANA.SATO@example.com")],
    ),
    Export(
        "thunderbird_addressbook.csv",
        {
            "First Name": "firstName",
            "Last Name": "lastName",
            "Primary Email": "email",
            "Work Phone": "phone",
            "Job Title": "title",
            "Organization": "company",
            "Web Page 1": "website",
            "Notes": "notes",
        },
        # Only a secondary address: it is the lead's own, so it stands in, and the report says so.
        (3, 3, 0, 0),
        [],
        every_lead={
            "email": ["rosa.lindqvist@example.com", "omar.h@example.org", "kit.moreau@example.com"]
        },
        fallbacks={"Secondary Email": 1},
        # Thunderbird ends every line with a comma: an unnamed last column, kept by position.
        unnamed={"": "customFields.column 38"},
        hows={
            "": "no header: kept as custom field 'column 38'",
            "Primary Email": f"synonym: 'Primary Email'; {fit(2, 2)}; chosen over "
            f"'Secondary Email': {PRIMARY}",
            "Secondary Email": f"second column for email (after 'Primary Email'): {CUSTOM}; "
            "used as the email where 'Primary Email' is empty",
        },
    ),
    Export(
        "zoho_leads.csv",
        {
            "Company": "company",
            "First Name": "firstName",
            "Last Name": "lastName",
            "Designation": "title",
            "Email": "email",
            "Phone": "phone",
            "Website": "website",
        },
        (3, 2, 1, 0),
        [(4, "", MISSING)],
    ),
]


def cases(exports: list[Export]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("export", exports, ids=lambda e: e.id or e.file)


CASES = cases(EXPORTS_TABLE)


def target(export: Export, column: str) -> str:
    """Where a column must go: a lead field, or a custom field under its own name."""
    if column in export.lead_fields:
        return export.lead_fields[column]
    return export.unnamed.get(column, f"customFields.{column}")


def lookup(lead: dict[str, Any], path: str) -> Any:
    """``lead["customFields"]["Title"]`` for ``"customFields.Title"``; ABSENT when missing."""
    head, _, rest = path.partition(".")
    if rest and head == "customFields":
        return lead.get("customFields", {}).get(rest, ABSENT)
    return lead.get(path, ABSENT)


@CASES
def test_the_dry_run_maps_counts_and_rejects_as_expected(export: Export) -> None:
    report = dry_run(export.file, *export.extra)
    assert lead_fields(report) == export.lead_fields
    assert counts(report) == export.counts
    assert errors(report) == export.errors
    assert [(d["row"], d["email"]) for d in report["duplicateDetails"]] == export.duplicates
    assert report["files"][0]["emailFallbacks"] == export.fallbacks
    if export.notes is not None:
        assert report["files"][0]["mappingNotes"] == export.notes
    for column, how in export.hows.items():
        assert hows(report)[column] == how
    # Every other column is a custom field under its own name (or its position, unnamed).
    assert fields(report) == {column: target(export, column) for column in fields(report)}


@cases([e for e in EXPORTS_TABLE if e.hows])
def test_map_shows_each_column_its_target_and_why(export: Export) -> None:
    rows: dict[str, tuple[str, str]] = {}
    last = None
    for line in map_table(export.file, *export.extra).splitlines():
        if line.startswith("│"):
            column, _sample, target_, how = (c.strip() for c in line.strip("│").split("│"))
            if not column and not target_ and last is not None:  # a wrapped cell goes on
                rows[last] = (rows[last][0], f"{rows[last][1]} {how}".strip())
                continue
            rows[column] = (target_, how)
            last = column
    assert {c: rows[c] for c in export.hows} == {
        c: (target(export, c), how) for c, how in export.hows.items()
    }


@cases([e for e in EXPORTS_TABLE if (e.leads or e.every_lead) and not e.extra])
def test_the_leads_hold_the_cells_as_expected(export: Export) -> None:
    leads = leads_of(export.file)
    for index, expected in export.leads.items():
        assert {path: lookup(leads[index], path) for path in expected} == expected
    for path, values in export.every_lead.items():
        assert [lookup(lead, path) for lead in leads] == values
    # A blank or "null" cell never becomes a value.
    for lead in leads:
        assert "null" not in lead.get("customFields", {}).values()


@CASES
def test_the_header_is_found_where_the_tool_puts_it(export: Export) -> None:
    with open_source(str(EXPORTS / export.file)) as source:
        assert source.info.header_row == export.header_row


@pytest.mark.parametrize(
    ("full", "split"),
    [
        ("King, Ada", ("Ada", "King")),
        ("Ada  King", ("Ada", "King")),
        ("Ada King, PhD", ("Ada", "King")),
        ("Cher", ("Cher", "")),
    ],
)
def test_split_rules(full: str, split: tuple[str, str]) -> None:
    assert split_full_name(full) == split
