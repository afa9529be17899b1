"""The hygiene rules in a run (dry runs through the CLI: no server, no DNS): exclusion lists in
each format, the default list, verdict columns, role and disposable addresses, and how the
excluded rows are counted, named and exited on."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.hygiene.default_list import default_list_path
from foxreach_cli.hygiene.domains import DEFAULT_MAX_AGE
from foxreach_cli.import_config import HygieneOptions
from tests.accounting import assert_accounted, assert_split_locally

runner = CliRunner()

LEADS = """Email,First Name
ann@acme.com,Ann
bo@sub.acme.com,Bo
cy@wild.com,Cy
di@deep.sub.wild.com,Di
ed@other.com,Ed
ANN@ACME.COM,Ann again
"""


def dry(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["import", *args, "--dry-run", "--json"])
    assert result.stdout.strip(), result.output
    return result.exit_code, json.loads(result.stdout)


def leads(tmp_path: Path, text: str = LEADS) -> str:
    path = tmp_path / "leads.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def excluded(report: dict) -> list[tuple[int, str, str]]:
    return [(d["row"], d["code"], d["reason"]) for d in report["excludedDetails"]]


def write_list(tmp_path: Path, kind: str) -> str:
    """The same list (the address ann@acme.com, the domain other.com, *.wild.com) in each
    format a list may come in."""
    entries = ["ann@acme.com", "other.com", "*.wild.com"]
    path = tmp_path / f"dnc.{kind}"
    if kind == "txt":
        path.write_text("# do not contact\n" + "\n".join(entries) + "\n", encoding="utf-8")
    elif kind in ("csv", "tsv"):
        sep = "," if kind == "csv" else "\t"
        rows = [f"Name{sep}Email", f"Ann{sep}ann@acme.com", f"Ed{sep}ed@other.com"]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Name", "Email"])
        sheet.append(["Ann", "ann@acme.com"])
        sheet.append(["Ed", "ed@other.com"])
        book.save(path)
    return str(path)


def test_a_text_list_matches_the_address_the_domain_and_subdomains_only_with_a_star(tmp_path):
    code, r = dry(leads(tmp_path), "--exclude", write_list(tmp_path, "txt"))
    assert code == 0
    lst = str(tmp_path / "dnc.txt")
    # bo@sub.acme.com stays: only the address ann@acme.com is listed. The second ANN@ACME.COM
    # is a duplicate of row 2 (dedup comes first), not a second exclusion.
    assert excluded(r) == [
        (2, "excluded_list", f"on the exclusion list {lst} (ann@acme.com)"),
        (4, "excluded_list", f"on the exclusion list {lst} (*.wild.com)"),
        (5, "excluded_list", f"on the exclusion list {lst} (*.wild.com)"),
        (6, "excluded_list", f"on the exclusion list {lst} (other.com)"),
    ]
    assert r["excludedDetails"][1] == {
        "file": leads(tmp_path),
        "row": 4,
        "email": "cy@wild.com",
        "code": "excluded_list",
        "reason": f"on the exclusion list {lst} (*.wild.com)",
        "params": {"list": lst, "entry": "*.wild.com"},
        "list": lst,
        "entry": "*.wild.com",
    }
    assert [d["reason"] for d in r["duplicateDetails"]] == ["duplicate of row 2"]
    assert (r["excluded"], r["duplicates"], r["notSent"]) == (4, 1, 1)
    assert r["hygiene"]["lists"] == [{"path": lst, "entries": 3}]
    assert_accounted(r)
    assert_split_locally(r)


@pytest.mark.parametrize("kind", ["csv", "tsv", "xlsx"])
def test_a_table_list_excludes_the_addresses_of_its_email_column(tmp_path, kind):
    path = write_list(tmp_path, kind)
    _, r = dry(leads(tmp_path), "--exclude", path)
    assert [(row, d) for row, _, d in excluded(r)] == [
        (2, f"on the exclusion list {path} (ann@acme.com)"),
        (6, f"on the exclusion list {path} (ed@other.com)"),
    ]
    assert_accounted(r)


def test_the_default_list_applies_without_a_flag_and_config_show_names_it(tmp_path):
    path = default_list_path()
    path.parent.mkdir(parents=True)
    path.write_text("acme.com\n", encoding="utf-8")
    _, r = dry(leads(tmp_path))
    assert excluded(r) == [(2, "excluded_list", f"on the exclusion list {path} (acme.com)")]
    shown = runner.invoke(app, ["config", "show"])
    assert shown.exit_code == 0
    assert f"exclusion list: {path} (9 bytes; applies to every import)\n" in shown.stdout


def test_config_show_says_where_a_default_list_would_go():
    shown = runner.invoke(app, ["config", "show"])
    assert (
        f"exclusion list: {default_list_path()} (none; create it to exclude addresses and "
        "domains from every import)\n"
    ) in shown.stdout


def test_a_default_list_that_cannot_be_read_stops_the_run_before_anything_with_exit_2(tmp_path):
    path = default_list_path()
    path.mkdir(parents=True)  # a folder where the list should be
    result = runner.invoke(app, ["import", leads(tmp_path), "--dry-run"])
    assert result.exit_code == 2
    assert (
        f"The default exclusion list cannot be used: Cannot read the exclusion list {path}: it "
        "is a folder. Fix or remove it; it applies to every run."
    ) in " ".join(result.output.split())


ZB = """Email,First Name,ZB Status
a@one.com,A,valid
b@one.com,B,invalid
c@one.com,C,catch-all
d@one.com,D,unknown
e@one.com,E,spamtrap
f@one.com,F,abuse
g@one.com,G,do_not_mail
h@one.com,H,
"""


def test_zerobounce_verdicts_leave_out_invalid_spamtrap_abuse_and_do_not_mail(tmp_path):
    code, r = dry(leads(tmp_path, ZB))
    assert code == 0
    assert [(row, d["value"]) for row, d in ((d["row"], d) for d in r["excludedDetails"])] == [
        (3, "invalid"),
        (6, "spamtrap"),
        (7, "abuse"),
        (8, "do_not_mail"),
    ]
    assert r["excludedDetails"][0]["reason"] == "the file's ZB Status says invalid"
    assert r["excludedDetails"][0]["service"] == "ZeroBounce"
    assert r["notSent"] == 4  # valid, catch-all, unknown and the empty cell are imported
    assert r["hygiene"]["sourceVerdicts"] == [
        {"column": "ZB Status", "value": "abuse", "rows": 1},
        {"column": "ZB Status", "value": "do_not_mail", "rows": 1},
        {"column": "ZB Status", "value": "invalid", "rows": 1},
        {"column": "ZB Status", "value": "spamtrap", "rows": 1},
    ]
    # The verdict column is never the lead status: it is kept as a custom field.
    mapping = {m["column"]: m["field"] for m in r["files"][0]["mapping"]}
    assert mapping["ZB Status"] == "customFields.ZB Status"
    assert_accounted(r)


def test_ignore_verdicts_imports_every_row(tmp_path):
    _, r = dry(leads(tmp_path, ZB), "--ignore-verdicts")
    assert (r["excluded"], r["notSent"]) == (0, 8)
    assert len(r["hygiene"]["sourceVerdicts"]) == 4  # still counted


def test_map_shows_the_verdict_column_and_a_saved_mapping_replays_it(tmp_path):
    path = leads(tmp_path, ZB)
    saved = tmp_path / "m.toml"
    shown = runner.invoke(app, ["map", path, "--write", str(saved)])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert (
        "'ZB Status' holds ZeroBounce verdicts (ZB Status: 7 of 7 sampled values are "
        "ZeroBounce verdicts): rows whose verdict says invalid or do-not-mail are left out "
        "(--ignore-verdicts imports them)."
    ) in text
    assert '[decisions.verdict_zerobounce]\ncolumns = [\n    "ZB Status",\n]' in saved.read_text()
    # Replayed as recorded, even for a file whose sample would not show the verdicts.
    other = leads(tmp_path, "Email,First Name,ZB Status\n" + "x@one.com,X,invalid\n")
    _, r = dry(other, "--mapping", str(saved))
    assert [d["value"] for d in r["excludedDetails"]] == ["invalid"]


ROLES = """Email
info@acme.com
ann@acme.com
no-reply@acme.com
joe@mailinator.com
"""


def test_role_and_disposable_addresses_are_named_and_imported_unless_skipped(tmp_path):
    path = leads(tmp_path, ROLES)
    lst = tmp_path / "empty.txt"
    lst.write_text("nobody@nowhere.com\n", encoding="utf-8")
    _, r = dry(path, "--exclude", str(lst))
    assert (r["excluded"], r["notSent"]) == (0, 4)
    assert (r["hygiene"]["role"], r["hygiene"]["disposable"]) == (2, 1)
    assert [(d["row"], d["local"]) for d in r["roleAddresses"]] == [(2, "info"), (4, "noreply")]
    assert [(d["row"], d["domain"]) for d in r["disposableAddresses"]] == [(5, "mailinator.com")]
    _, r = dry(path, "--skip-role", "--skip-disposable")
    assert excluded(r) == [
        (2, "role_address", "a role address (info@)"),
        (4, "role_address", "a role address (noreply@)"),
        (5, "disposable_domain", "a disposable-mail domain (mailinator.com)"),
    ]
    assert (r["roleAddresses"], r["disposableAddresses"]) == ([], [])
    assert_accounted(r)


def test_a_run_without_rules_still_counts_and_names_role_and_disposable_addresses(tmp_path):
    _, r = dry(leads(tmp_path, ROLES))
    assert [(d["row"], d["local"]) for d in r["roleAddresses"]] == [(2, "info"), (4, "noreply")]
    assert [(d["row"], d["domain"]) for d in r["disposableAddresses"]] == [(5, "mailinator.com")]
    assert r["hygiene"] == {
        "lists": [],
        "checkDomains": False,
        "verdictColumns": [],
        "excluded": 0,
        "excludedByRule": {},
        "role": 2,  # counted and named by default, imported unless --skip-role
        "disposable": 1,
        "sourceVerdicts": [],
        "domainsChecked": 0,
        "domainsUnchecked": 0,
        "rowsUnchecked": 0,
    }


def test_fail_on_errors_does_not_count_excluded_rows(tmp_path):
    path = leads(tmp_path, ROLES)
    result = runner.invoke(app, ["import", path, "--dry-run", "--skip-role", "-q"])
    assert result.exit_code == 0, result.output
    assert " 0 errors, 2 excluded, 2 not sent " in result.stdout
    bad = leads(tmp_path, ROLES + "broken@\n")
    result = runner.invoke(app, ["import", bad, "--dry-run", "--skip-role", "-q"])
    assert result.exit_code == 1  # the invalid row, not the excluded ones


def test_the_dry_run_prints_the_hygiene_section(tmp_path):
    path = leads(tmp_path, ROLES)
    result = runner.invoke(app, ["import", path, "--dry-run", "--skip-disposable"])
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    start = lines.index("Hygiene (before sending):")
    assert lines[start : start + 4] == [
        "Hygiene (before sending):",
        "  excluded: 1 row would be left out (disposable (--skip-disposable) 1)",
        "  role addresses: 2, 2 kept (--skip-role leaves them out): info@acme.com (row 2), "
        "no-reply@acme.com (row 4)",
        "  disposable addresses: 1",
    ]


def test_the_rejected_file_names_the_excluded_rows_with_their_reason(tmp_path):
    out = tmp_path / "rejected.csv"
    result = runner.invoke(
        app, ["import", leads(tmp_path, ROLES), "--dry-run", "--skip-role", "--rejected", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines() == [
        "Email,row,reason",
        "info@acme.com,2,a role address (info@)",
        "no-reply@acme.com,4,a role address (noreply@)",
    ]


def test_a_resolver_needs_check_domains(tmp_path):
    result = runner.invoke(app, ["import", leads(tmp_path), "--dry-run", "--resolver", "1.1.1.1"])
    assert result.exit_code == 2
    assert "--resolver is for --check-domains; add it or drop --resolver." in result.output


def test_the_domain_cache_period_is_the_library_default_in_days():
    assert HygieneOptions.domain_cache_days * 86400 == DEFAULT_MAX_AGE


def test_the_summary_and_the_log_say_what_the_report_counts_without_hygiene_options(tmp_path):
    """Role and disposable addresses, with a few of them, in the human summary and the log of
    a run with no list and no hygiene flag (the report counts them; so must the summary)."""
    log = tmp_path / "run.log"
    result = runner.invoke(
        app, ["import", leads(tmp_path, ROLES), "--dry-run", "--log-file", str(log)]
    )
    assert result.exit_code == 0, result.output
    role = "role addresses: 2, 2 kept (--skip-role leaves them out): info@acme.com (row 2), "
    role += "no-reply@acme.com (row 4)"
    disposable = "disposable addresses: 1, 1 kept (--skip-disposable leaves them out): "
    disposable += "joe@mailinator.com (row 5)"
    output = " ".join(result.output.split())
    assert role in output and disposable in output
    logged = log.read_text(encoding="utf-8")
    assert role in logged and disposable in logged


def test_a_run_without_role_or_disposable_addresses_says_nothing_of_them(tmp_path):
    result = runner.invoke(app, ["import", leads(tmp_path, "Email\nann@acme.com\n"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "role addresses" not in result.output
    assert "disposable addresses" not in result.output
