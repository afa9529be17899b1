"""Issue 19: opt-outs are never lost, and columns map by header words and by their values.

Exports under tests/data/exports/ carry the real header rows of each tool (Shopify, Stripe,
Zoom, Mailchimp's unsubscribed and cleaned exports, Salesforce and HubSpot opt-out fields,
ZeroBounce, a small CRM, a German CRM) with invented people. Leads are the objects a live
import would send (``leads_of``), so the assertions are on the values, not the report.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from foxreach_cli.batch import to_leads
from foxreach_cli.cli import app
from foxreach_cli.errors import InputError
from foxreach_cli.mapping import build_mapping
from foxreach_cli.stage_data import Chunk, SourceInfo
from foxreach_cli.validate import validate_chunk
from tests.exports import EXPORTS, counts, dry_run, lead_fields, leads_of

runner = CliRunner()
STATUS_REASON = "status 'Lead' is not one of active, bounced, unsubscribed, replied"


def statuses(name: str) -> dict[str, str | None]:
    return {lead["email"]: lead.get("status") for lead in leads_of(name)}


def notes(report: dict) -> list[str]:
    return report["files"][0]["mappingNotes"]


# --- opt-outs in exports ----------------------------------------------------------------------


def test_mailchimp_unsubscribed_export_imports_every_lead_as_unsubscribed() -> None:
    assert statuses("mailchimp_unsubscribed.csv") == {
        "hana.berg@example.com": "unsubscribed",
        "jonas.lund@example.com": "unsubscribed",
    }
    assert (
        "'UNSUB_TIME' is read for opt-outs on every row: any value makes the lead unsubscribed."
        in notes(dry_run("mailchimp_unsubscribed.csv"))
    )


def test_mailchimp_cleaned_export_imports_every_lead_as_bounced() -> None:
    assert statuses("mailchimp_cleaned.csv") == {"old.box@example.com": "bounced"}


def test_salesforce_opt_out_and_bounce_fields_set_the_status_and_do_not_call_does_not() -> None:
    assert statuses("salesforce_contacts_optouts.csv") == {
        "mina.park@example.com": "unsubscribed",  # HasOptedOutOfEmail true
        "luca.romano@example.com": "bounced",  # EmailBouncedDate/Reason, IsEmailBounced
        "sara.nilsen@example.com": None,  # DoNotCall is about the phone
        "omar.aziz@example.com": "unsubscribed",  # HasOptedOutOfEmail 1
    }
    report = dry_run("salesforce_contacts_optouts.csv")
    assert lead_fields(report)["Email"] == "email"
    assert notes(report)[0] == (
        "'HasOptedOutOfEmail' is read for opt-outs on every row: a yes makes the lead "
        "unsubscribed (4 of 4 values looked at are yes or no; a row holding anything else "
        "is rejected)."
    )


def test_hubspot_opt_out_fields_and_an_unsubscribed_lead_status_are_kept() -> None:
    assert statuses("hubspot_contacts_optouts.csv") == {
        "ava.lindgren@example.com": None,
        "ben.okoro@example.com": "unsubscribed",  # Unsubscribed from all email
        "chloe.duval@example.com": "bounced",  # Marketing emails bounced: 2
        "dev.anand@example.com": "unsubscribed",  # Lead Status "Unsubscribed"
    }
    report = dry_run("hubspot_contacts_optouts.csv")
    # The CRM's stages are not lead statuses: nobody is rejected for them.
    assert counts(report) == (4, 4, 0, 0)
    assert notes(report)[0] == (
        "'Lead Status' was not used for the status (1 of 4 values looked at are lead "
        "statuses, such as 'Open'); it is read for opt-outs on every row: a cell that says "
        "unsubscribed or bounced makes the lead so."
    )


def test_stripe_subscription_status_is_not_the_lead_status_and_quiet_runs_warn() -> None:
    assert statuses("stripe_customers.csv") == {
        "ines.moreau@example.com": None,
        "kofi.mensah@example.com": None,
        "lea.vogel@example.com": None,
    }
    result = runner.invoke(
        app, ["import", str(EXPORTS / "stripe_customers.csv"), "--dry-run", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Warning: {EXPORTS / 'stripe_customers.csv'}: 'Status' was not used for the "
        "status (1 of 3 values "
        "looked at are lead statuses, such as 'canceled'); it is read for opt-outs on every "
        "row: a cell that says unsubscribed or bounced makes the lead so.\n"
    )


def test_log_file_says_what_was_decided_about_opt_out_columns(tmp_path) -> None:
    log = tmp_path / "run.log"
    result = runner.invoke(
        app,
        [
            "import",
            str(EXPORTS / "mailchimp_cleaned.csv"),
            "--dry-run",
            "-q",
            "--log-file",
            str(log),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [line.split(" ", 2)[2] for line in log.read_text(encoding="utf-8").splitlines()]
    assert (
        f"{EXPORTS / 'mailchimp_cleaned.csv'}: 'CLEAN_TIME' is read for opt-outs on every "
        "row: any value "
        "makes the lead bounced."
    ) in lines


# --- mapping by header words and values -------------------------------------------------------


def test_small_crm_maps_by_header_words_and_linkedin_values() -> None:
    report = dry_run("small_crm_contacts.csv")
    assert lead_fields(report) == {
        "contact_first_name": "firstName",
        "contact_last_name": "lastName",
        "User Email": "email",
        "Contact LI Profile URL": "linkedinUrl",
        "company_name": "company",
        "contact_phone": "phone",
    }
    assert report["files"][0]["emailFallbacks"] == {"Email (s.email)": 1}
    ilse, tariq = leads_of("small_crm_contacts.csv")
    assert ilse["email"] == "ilse.janssen@example.com"  # User Email empty: Email (s.email)
    assert ilse["linkedinUrl"] == "https://www.linkedin.com/in/ilse-janssen-0a1b2c"
    assert "status" not in ilse  # Opted out: No
    assert (tariq["email"], tariq["status"]) == ("tariq@example.org", "unsubscribed")


def test_german_crm_maps_by_header_words_and_abgemeldet_opts_out() -> None:
    report = dry_run("german_crm_kontakte.csv")
    assert lead_fields(report) == {
        "Vorname": "firstName",
        "Nachname": "lastName",
        "E-Mail-Adresse": "email",
        "Firma": "company",
        "Telefon": "phone",
        "Webseite": "website",
    }
    jana, paul = leads_of("german_crm_kontakte.csv")
    assert (jana["email"], jana["lastName"], jana.get("status")) == (
        "jana.krueger@example.de",
        "Krüger",
        None,
    )
    assert (paul["website"], paul["status"]) == ("https://schmid.example.de", "unsubscribed")


def test_shopify_customers_map_the_default_address_company_and_the_phone() -> None:
    report = dry_run("shopify_customers.csv")
    assert lead_fields(report) == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Email": "email",
        "Default Address Company": "company",
        "Phone": "phone",
        "Note": "notes",
        "Tags": "tags",
    }
    noor = leads_of("shopify_customers.csv")[0]
    assert (noor["company"], noor["phone"], noor["tags"]) == (
        "Cedar Loom",
        "+1 503 555 0141",
        ["vip", "wholesale"],
    )
    # "Accepts Email Marketing: no" is a consent not given, not an opt-out: kept as written.
    assert leads_of("shopify_customers.csv")[1]["customFields"]["Accepts Email Marketing"] == "no"


def test_zoom_and_zerobounce_exports_map_without_flags() -> None:
    zoom = dry_run("zoom_webinar_attendees.csv")
    assert lead_fields(zoom) == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Email": "email",
        "Phone": "phone",
    }
    zb = dry_run("zerobounce_results.csv")
    # The verifier's copies of the names stay custom fields; its verdict is not a status.
    assert lead_fields(zb) == {"Email": "email", "First Name": "firstName", "Last Name": "lastName"}
    assert counts(zb) == (2, 2, 0, 0)


def test_a_file_without_a_header_row_is_refused_rather_than_losing_its_first_lead() -> None:
    result = runner.invoke(app, ["import", str(EXPORTS / "no_header_row.csv"), "--dry-run"])
    assert result.exit_code == 2
    # The reader refuses it before the mapping sees it (readers/header.py).
    assert result.stderr == (
        f"Error: {EXPORTS / 'no_header_row.csv'}: row 1 holds an email address "
        "(ann.lee@example.com), so it is a lead, not column names; put a header row (such as "
        "Email,First Name) above it, or pass --header-row N with the row that holds the column "
        "names.\n"
    )


def test_a_header_row_holding_an_address_is_refused_by_the_mapping() -> None:
    with pytest.raises(InputError) as caught:
        build_mapping(SourceInfo("x.csv", "csv", ["a@b.io", "Ann"], ["a@b.io", "Ann"]))
    assert str(caught.value) == (
        "x.csv: row 1, read as the header, holds the email address 'a@b.io': it looks like "
        "data, not column names, so the file seems to have no header row; add one (e.g. "
        "Email,First Name,...) or pass --header-row N with the row that holds the column names."
    )


def info(headers: list[str], samples: dict[str, tuple[str, ...]]) -> SourceInfo:
    return SourceInfo("x.csv", "csv", headers, list(headers), samples=samples)


def test_an_email_column_of_nulls_loses_to_a_filled_one() -> None:
    m = build_mapping(
        info(["Email", "Work Email"], {"Email": ("null", "null"), "Work Email": ("a@x.io",)})
    )
    assert m.email_column == "Work Email"


def test_a_header_that_names_a_field_whose_values_do_not_fit_is_not_mapped_to_it() -> None:
    m = build_mapping(
        info(
            ["Email", "Phone", "Website"],
            {"Email": ("a@x.io",), "Phone": ("ask me", "n/a", "later"), "Website": ("yes",)},
        )
    )
    targets = {cm.header: str(cm.target) for cm in m.columns}
    assert targets == {
        "Email": "email",
        "Phone": "customFields.Phone",
        "Website": "customFields.Website",
    }
    how = {cm.header: cm.how for cm in m.columns}
    assert how["Phone"] == (
        "header says phone but values such as 'ask me' are not phone numbers (0 of 3 values "
        "looked at are phone numbers): kept as custom field"
    )


def test_header_headers_in_other_languages_name_the_email() -> None:
    for header in ("Courriel", "Correo electrónico", "Adresse e-mail", "E-Mail-Adresse"):
        m = build_mapping(info([header, "x"], {header: ("a@x.io",), "x": ("1",)}))
        assert m.email_column == header


# --- the status rule --------------------------------------------------------------------------


def frame_chunk(status: list[str], extra: dict[str, list[str]] | None = None) -> Chunk:
    data = {"Email": [f"p{i}@example.com" for i in range(len(status))], "Status": status}
    data.update(extra or {})
    frame = pd.DataFrame(data, dtype=object)
    return Chunk("x.csv", frame, np.arange(2, len(status) + 2, dtype=np.int64))


def leads_for(chunk: Chunk, sample_rows: int = 200) -> tuple[list[dict], list[str]]:
    frame = chunk.frame
    headers = list(frame.columns)
    samples = {h: tuple(v for v in frame[h].iloc[:sample_rows] if v) for h in headers}
    mapping = build_mapping(SourceInfo("x.csv", "csv", headers, headers, samples=samples))
    checked = validate_chunk(chunk, mapping)
    invalid = checked.invalid
    texts = [c.text(c.unpack(p)) for c, p in zip(invalid["code"], invalid["params"], strict=True)]
    return to_leads(checked.cells, checked.valid), texts


@pytest.mark.parametrize(
    "status",
    [
        # 89% statuses, 11% "Lead" (the file)
        (["unsubscribed"] * 120 + ["bounced"] * 58 + ["Lead"] * 22),
        # one stray value in a small file
        ["active", "replied", "Lead", "unsubscribed", "active", "active", "bounced"],
        # exactly 90%
        ["unsubscribed"] * 9 + ["Lead"],
    ],
)
def test_a_mostly_status_column_fills_status_and_rejects_the_others_row_by_row(status) -> None:
    leads, reasons = leads_for(frame_chunk(status))
    # "active" is the API's default and never sent (batch.to_leads).
    stored = {lead.get("status", "active") for lead in leads}
    assert sorted(stored) == sorted(set(status) - {"Lead"})
    assert reasons == [STATUS_REASON] * status.count("Lead")


def test_invisible_characters_and_case_do_not_hide_a_status() -> None:
    leads, reasons = leads_for(frame_chunk(["Replied\u200b", "\u00a0UNSUBSCRIBED ", "Cleaned"]))
    assert [lead["status"] for lead in leads] == ["replied", "unsubscribed", "bounced"]
    assert reasons == []


def test_an_opt_out_far_below_the_sample_in_a_column_not_used_is_still_an_opt_out() -> None:
    status = ["Lead"] * 500 + ["Unsubscribed"]
    leads, reasons = leads_for(frame_chunk(status))
    assert reasons == []
    assert leads[-1]["status"] == "unsubscribed"
    assert all("status" not in lead for lead in leads[:-1])


def test_an_opt_out_flag_beats_the_status_cell_and_unsubscribed_beats_bounced() -> None:
    chunk = frame_chunk(
        ["active", "replied", "bounced", "Lead", "active"],
        {
            "Email Opt Out": ["Yes", "", "true", "✓", "maybe"],
            "IsEmailBounced": ["", "1", "", "", ""],
        },
    )
    leads, reasons = leads_for(chunk)
    assert [(lead["email"], lead["status"]) for lead in leads] == [
        ("p0@example.com", "unsubscribed"),
        ("p1@example.com", "bounced"),
        ("p2@example.com", "unsubscribed"),
        ("p3@example.com", "unsubscribed"),  # not a status, but opted out whatever it said
    ]
    assert reasons == ["opt-out column 'Email Opt Out' holds 'maybe', which is neither yes nor no"]


# The property (no status column, however mixed, turns an opt-out into active, wherever the
# opt-out sits) is tests/properties/test_opt_out_properties.py.


# --- opt-out words in any other column, on every row ------------------------------------------


def stage_chunk(n: int, cells: dict[int, str], **extra: list[str]) -> Chunk:
    """``n`` rows (file rows 2..n+1) with a ``Stage`` column of ``Lead`` except ``cells``
    (file row -> cell)."""
    stage = [cells.get(row, "Lead") for row in range(2, n + 2)]
    data = {"Email": [f"p{i}@example.com" for i in range(n)], "Stage": stage, **extra}
    return Chunk("x.csv", pd.DataFrame(data, dtype=object), np.arange(2, n + 2, dtype=np.int64))


def checked(chunk: Chunk):
    frame = chunk.frame
    headers = list(frame.columns)
    samples = {h: tuple(v for v in frame[h].iloc[:200] if v) for h in headers}
    mapping = build_mapping(SourceInfo("x.csv", "csv", headers, headers, samples=samples))
    return validate_chunk(chunk, mapping), mapping


def reasons_of(vc) -> dict[int, str]:
    invalid = vc.invalid
    texts = [c.text(c.unpack(p)) for c, p in zip(invalid["code"], invalid["params"], strict=True)]
    return dict(zip(invalid["row"].tolist(), texts, strict=True))


def status_by_row(chunk: Chunk) -> dict[int, str]:
    """File row -> status of the leads that have one."""
    vc, _ = checked(chunk)
    leads = to_leads(vc.cells, vc.valid)
    return {
        int(row): lead["status"]
        for row, lead in zip(vc.valid["row"], leads, strict=True)
        if "status" in lead
    }


@pytest.mark.parametrize(
    ("cell", "status"),
    [
        ("Unsubscribed", "unsubscribed"),
        ("  BOUNCED ", "bounced"),
        ("Opted\u00a0Out", "unsubscribed"),
        ("do  not   contact", "unsubscribed"),
        ("Clean\u200bed", "bounced"),
        ("\ufeffhard bounce\u2003", "bounced"),
        ("Désabonné", "unsubscribed"),
        ("COMPLAINED", "unsubscribed"),
    ],
)
def test_a_cell_that_is_an_opt_out_word_in_any_column_opts_its_row_out(cell, status) -> None:
    chunk = stage_chunk(7000, {5000: cell})
    assert status_by_row(chunk) == {5000: status}
    vc, mapping = checked(chunk)
    assert [o.header for o in mapping.opt_outs] == []  # the sample showed no opt-out
    found = vc.opt_outs_found["Stage"]
    assert (found.rows, found.first_row, found.first_value) == (1, 5000, cell.strip())


def test_opt_out_words_at_any_row_of_any_column_unsubscribed_winning_over_bounced() -> None:
    chunk = stage_chunk(
        7000,
        {300: "unsubscribed", 5000: "Bounced", 6000: "Bounced", 7001: "Cleaned"},
        Lifecycle=["Customer"] * 5998 + ["Unsubscribed"] + ["Customer"] * 1001,
    )
    assert status_by_row(chunk) == {
        300: "unsubscribed",
        5000: "bounced",
        6000: "unsubscribed",  # Stage says bounced, Lifecycle unsubscribed: the person wins
        7001: "bounced",
    }
    vc, _ = checked(chunk)
    assert {h: (f.unsubscribed, f.bounced, f.first_row) for h, f in vc.opt_outs_found.items()} == {
        "Stage": (2, 2, 300),
        "Lifecycle": (1, 0, 6000),
    }


def test_an_opt_out_word_inside_a_sentence_is_not_an_opt_out() -> None:
    notes = ["customer bounced back", "asked to unsubscribe? no", "Do not contact before May"]
    chunk = stage_chunk(3, {}, Notes=notes, Stage2=["cleaned up", "opt-in", "unsubscribed2"])
    assert status_by_row(chunk) == {}
    vc, _ = checked(chunk)
    assert vc.opt_outs_found == {}


def test_an_email_column_is_never_read_for_opt_out_words() -> None:
    frame = pd.DataFrame(
        {
            "Email": [f"p{i}@example.com" for i in range(10)] + ["Unsubscribed", ""],
            "Secondary Email": [f"s{i}@example.com" for i in range(10)]
            + ["x@example.com", "Bounced"],
        },
        dtype=object,
    )
    vc, mapping = checked(Chunk("x.csv", frame, np.arange(2, 14, dtype=np.int64)))
    assert mapping.email_fallbacks == ("Secondary Email",)
    assert vc.valid["status"].tolist() == [None] * 10
    assert reasons_of(vc) == {
        12: "invalid email: An email address must have an @-sign.",
        13: "invalid email: An email address must have an @-sign.",
    }
    assert vc.opt_outs_found == {}


def test_an_opt_out_word_clears_a_bad_status_cell_and_beats_status_option() -> None:
    frame = pd.DataFrame(
        {
            "Email": ["a@example.com", "b@example.com", "c@example.com"],
            "Status": ["active", "Lead", "replied"],
            "Stage": ["New", "Unsubscribed", "New"],
        },
        dtype=object,
    )
    chunk = Chunk("x.csv", frame, np.arange(2, 5, dtype=np.int64))
    vc, _ = checked(chunk)
    assert vc.invalid.empty
    assert vc.valid["status"].tolist() == ["active", "unsubscribed", "replied"]


def test_a_rejected_row_is_not_counted_as_opted_out_by_a_column() -> None:
    chunk = stage_chunk(300, {250: "Unsubscribed", 260: "Bounced"})
    chunk.frame.loc[248, "Email"] = "not an email"  # file row 250
    vc, _ = checked(chunk)
    assert reasons_of(vc) == {250: "invalid email: An email address must have an @-sign."}
    found = vc.opt_outs_found["Stage"]
    assert (found.unsubscribed, found.bounced, found.first_row) == (0, 1, 260)


def test_quiet_runs_warn_and_the_json_counts_rows_opted_out_by_a_column(tmp_path) -> None:
    path = tmp_path / "crm.csv"
    rows = ["Email,Stage"] + [
        f"p{i}@example.com,{ {5000: 'Unsubscribed', 6000: 'Bounced'}.get(i, 'Lead') }"
        for i in range(2, 7001)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    quiet = runner.invoke(app, ["import", str(path), "--dry-run", "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == (
        f"Warning: {path}: 'Stage' says an opt-out on 2 rows (first row 5000: "
        "'Unsubscribed'): imported 1 as unsubscribed and 1 as bounced, not active.\n"
    )
    as_json = runner.invoke(app, ["import", str(path), "--dry-run", "--json"])
    assert json.loads(as_json.stdout)["files"][0]["optOutsFound"] == {"Stage": 2}
    path.write_text("\n".join(rows[:5000]) + "\n", encoding="utf-8")
    log = tmp_path / "run.log"
    one = runner.invoke(app, ["import", str(path), "--dry-run", "-q", "--log-file", str(log)])
    assert one.stderr == (
        f"Warning: {path}: 'Stage' row 5000 says 'Unsubscribed': imported as unsubscribed, "
        "not active.\n"
    )
    lines = [line.split(" ", 2)[2] for line in log.read_text(encoding="utf-8").splitlines()]
    assert (
        f"{path}: 'Stage' row 5000 says 'Unsubscribed': imported as unsubscribed, not active."
        in lines
    )
