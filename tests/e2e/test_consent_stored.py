"""Issue 25, end to end: subscription and permission columns read both ways, opt-out words in
every language of the lexicon and their look-alikes, and no one opted out by who they are.

Each test runs the real CLI (in-process) against the shared sandbox on a small file built
here, with invented people, and checks the statuses the sandbox STORED.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from tests.e2e.test_fidelity_stored import fresh_key, run_import, statuses, write_csv

runner = CliRunner()


def emails(n: int) -> list[str]:
    return [f"p{i}@example.com" for i in range(n)]


def one_column(tmp_path: Path, header: str, cells: list[str]) -> Path:
    rows = [["Email", "First Name", header]]
    rows += [[e, "Ann", c] for e, c in zip(emails(len(cells)), cells, strict=True)]
    return write_csv(tmp_path / "leads.csv", rows)


def opted(sandbox, key: str) -> dict[str, str]:
    return {e: s for e, s in statuses(sandbox, key).items() if s != "active"}


# --- subscription-state columns: a negative value unsubscribes ---------------------------------


@pytest.mark.parametrize(
    ("header", "cells", "out"),
    [
        ("Subscribed", ["TRUE", "FALSE", "", "true", "false"], [1, 4]),
        ("email_opt_in", ["1", "0", "1", "", "0"], [1, 4]),
        ("Opted In", ["yes", "no", "", "Yes", "No"], [1, 4]),
        ("Subscription Status", ["subscribed", "unsubscribed", "", "subscribed", "x"], [1]),
        ("Abonniert", ["ja", "nein", "", "ja", "ja"], [1]),
    ],
)
def test_a_negative_value_in_a_subscription_column_stores_unsubscribed(
    sandbox, api_key, tmp_path: Path, header: str, cells: list[str], out: list[int]
) -> None:
    # An empty cell where the column is otherwise filled is not a no; a yes changes nothing.
    report = run_import(sandbox, api_key, str(one_column(tmp_path, header, cells)))
    assert report["created"] == len(cells)
    assert opted(sandbox, api_key) == {f"p{i}@example.com": "unsubscribed" for i in out}


@pytest.mark.parametrize(
    ("header", "cells", "out"),
    [
        ("DoNotContact", ["true", "false", "", "TRUE"], [0, 3]),
        ("Do Not Contact", ["Yes", "No", "", "yes"], [0, 3]),
        ("Do Not Email", ["1", "0", "", "0"], [0]),
        ("Email Blocked", ["true", "false", "false", "false"], [0]),
        ("Suppressed", ["no", "yes", "", "no"], [1]),
    ],
)
def test_a_do_not_email_column_is_read_the_other_way_round(
    sandbox, api_key, tmp_path: Path, header: str, cells: list[str], out: list[int]
) -> None:
    run_import(sandbox, api_key, str(one_column(tmp_path, header, cells)))
    assert opted(sandbox, api_key) == {f"p{i}@example.com": "unsubscribed" for i in out}


@pytest.mark.parametrize("header", ["Do Not Call", "SMS Opt Out", "Do Not Mail (Post)", "Blocked"])
def test_columns_about_other_channels_or_the_account_change_nothing(
    sandbox, api_key, tmp_path: Path, header: str
) -> None:
    run_import(sandbox, api_key, str(one_column(tmp_path, header, ["Yes", "true", "No"])))
    assert opted(sandbox, api_key) == {}


def test_neither_kind_is_mapped_to_status_and_stays_a_custom_field(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [
            ["Email", "Subscribed", "Permission to email"],
            ["ann@example.com", "FALSE", "No"],
            ["bo@example.com", "TRUE", "Yes"],
        ],
    )
    run_import(sandbox, api_key, str(path))
    leads = {lead["email"]: lead for lead in sandbox.store.leads(api_key)}
    assert leads["ann@example.com"]["status"] == "unsubscribed"
    assert leads["ann@example.com"]["customFields"] == {
        "Subscribed": "FALSE",
        "Permission to email": "No",
    }
    assert leads["bo@example.com"]["status"] == "active"


# --- marketing permission: no status by default, one option to honour it ------------------------


def test_permission_to_email_no_changes_nothing_by_default_and_is_named_and_counted(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = one_column(tmp_path, "Permission to email", ["No", "Yes", "No", ""])
    result = runner.invoke(app, ["map", str(path)])
    assert result.exit_code == 0, result.output
    assert "Permission to email" in result.output
    assert "--consent-required" in result.output

    log = tmp_path / "run.log"
    report = run_import(sandbox, api_key, str(path), "--log-file", str(log))
    assert opted(sandbox, api_key) == {}
    assert report["files"][0]["consentNo"] == {"Permission to email": 2}
    assert (
        "'Permission to email' says no to marketing email on 2 rows: their status is unchanged "
        "(--consent-required imports them as unsubscribed)."
    ) in log.read_text(encoding="utf-8")


def test_consent_required_treats_a_no_as_unsubscribed(sandbox, api_key, tmp_path: Path) -> None:
    path = one_column(tmp_path, "Permission to email", ["No", "Yes", "No", ""])
    run_import(sandbox, api_key, str(path), "--consent-required")
    assert opted(sandbox, api_key) == {
        "p0@example.com": "unsubscribed",
        "p2@example.com": "unsubscribed",
    }


def test_map_ignore_overrules_a_subscription_column_and_says_so(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = one_column(tmp_path, "Subscribed", ["FALSE", "TRUE"])
    result = runner.invoke(
        app,
        ["import", str(path), "--dry-run", "--map", "Subscribed=ignore"],
    )
    assert result.exit_code == 0, result.output
    assert "Subscribed" in result.output and "ignore" in result.output
    run_import(sandbox, api_key, str(path), "--map", "Subscribed=ignore")
    assert opted(sandbox, api_key) == {}


def test_a_saved_mapping_replays_the_subscription_reading(sandbox, api_key, tmp_path: Path) -> None:
    path = one_column(tmp_path, "Subscribed", ["FALSE", "TRUE", "no"])
    saved = tmp_path / "m.toml"
    result = runner.invoke(app, ["map", str(path), "--write", str(saved)])
    assert result.exit_code == 0, result.output
    assert "subscription" in saved.read_text(encoding="utf-8")
    run_import(sandbox, api_key, str(path), "--mapping", str(saved))
    assert opted(sandbox, api_key) == {
        "p0@example.com": "unsubscribed",
        "p2@example.com": "unsubscribed",
    }


# --- every language of the lexicon, and look-alikes ----------------------------------------------

OPT_OUT_CELLS = [
    "dado de baja",  # es
    "abbestellt",  # de
    "Abgemeldet",  # de
    "uitgeschreven",  # nl
    "désabonné",  # fr
    "avregistrerad",  # sv
    "wypisany",  # pl
    "disiscritto",  # it
    "descadastrado",  # pt
    "ＵＮＳＵＢＳＣＲＩＢＥＤ",  # full-width
    "Unsubscribed.",  # trailing punctuation
    "Unsubscr\u0456b\u0435d",  # Cyrillic і and е
    "\u200eunsubscribed\u200f",  # bidi marks
]


def test_opt_out_words_of_every_language_and_their_look_alikes_in_a_status_column(
    sandbox, api_key, tmp_path: Path
) -> None:
    cells = [*OPT_OUT_CELLS, "active", "replied"]
    report = run_import(sandbox, api_key, str(one_column(tmp_path, "Status", cells)))
    assert report["created"] == len(cells)
    assert opted(sandbox, api_key) == {
        **{f"p{i}@example.com": "unsubscribed" for i in range(len(OPT_OUT_CELLS))},
        f"p{len(OPT_OUT_CELLS) + 1}@example.com": "replied",
    }


# --- no one is opted out by who they are ------------------------------------------------------


def test_a_surname_company_or_title_that_is_an_opt_out_word_stays_active(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [
            ["Email", "First Name", "Last Name", "Company", "Title", "Stage"],
            ["ann@example.com", "Ann", "Bounce", "Acme", "CEO", "Lead"],
            ["bo@example.com", "Bo", "Smith", "Bounce", "CTO", "Lead"],
            ["cy@example.com", "Cy", "Jones", "Globex", "Unsubscribe", "Lead"],
            ["di@example.com", "Di", "Brown", "Initech", "CFO", "Unsubscribed"],
        ],
    )
    report = run_import(sandbox, api_key, str(path))
    assert opted(sandbox, api_key) == {"di@example.com": "unsubscribed"}
    # The one that did opt out came from an unusual column, and the report names it.
    notes = report["files"][0]["mappingNotes"]
    assert [n for n in notes if "opt-outs" in n] == [
        "'Stage' was not used for the status (1 of 4 values looked at are lead statuses, such "
        "as 'Lead'); it is read for opt-outs on every row: a cell that says unsubscribed or "
        "bounced makes the lead so."
    ]


def test_a_verification_result_file_whose_surname_column_is_bounce_stays_active(
    sandbox, api_key, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [["Email", "Name", "Surname"], ["ann@example.com", "Ann", "Bounce"]],
    )
    run_import(sandbox, api_key, str(path))
    assert statuses(sandbox, api_key) == {"ann@example.com": "active"}


@pytest.mark.parametrize("zero", ["0000-00-00", "0000-00-00 00:00:00", "1900-01-00", "0", ""])
def test_a_zero_bounce_date_is_no_date(sandbox, api_key, tmp_path: Path, zero: str) -> None:
    path = one_column(tmp_path, "EmailBouncedDate", [zero, "2024-03-01"])
    run_import(sandbox, api_key, str(path))
    assert opted(sandbox, api_key) == {"p1@example.com": "bounced"}


def test_a_second_run_into_another_workspace_reads_the_same(sandbox, tmp_path: Path) -> None:
    # The look-alike table and the lexicon are read once per process: a second run is alike.
    path = one_column(tmp_path, "Status", ["Unsubscr\u0456bed", "active"])
    for key in (fresh_key(), fresh_key()):
        run_import(sandbox, key, str(path))
        assert opted(sandbox, key) == {"p0@example.com": "unsubscribed"}
