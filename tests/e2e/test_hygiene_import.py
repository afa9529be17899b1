"""Hygiene end to end: the CLI against the real sandbox server and a real local DNS server.
Each test checks what the sandbox stored (excluded leads never are) and the accounting."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.hygiene import domains
from tests.accounting import assert_accounted
from tests.dns_server import Answer, LocalDns

runner = CliRunner()
FAST = ["--rate-window", "2", "--rate-limit", "1000"]

#: One address per way DNS can answer, plus one on the exclusion list.
LEADS = """Email,First Name
ann@mail-x.com,Ann
bo@gone-x.com,Bo
cy@nomail-x.com,Cy
di@a-only-x.com,Di
ed@empty-x.com,Ed
fay@broken-x.com,Fay
gus@slow-x.com,Gus
hal@listed-x.com,Hal
ivy@mail-x.com,Ivy
"""
TABLE = {
    "mail-x.com": Answer("mx"),
    "gone-x.com": Answer("nxdomain"),
    "nomail-x.com": Answer("null_mx"),
    "a-only-x.com": Answer("a_only"),
    "empty-x.com": Answer("empty"),
    "broken-x.com": Answer("servfail"),
    "slow-x.com": Answer("mx", delay=5.0),  # later than both attempts (DNS_TIMEOUT each)
    "listed-x.com": Answer("mx"),
}

#: Seconds each DNS attempt waits here (2 by default): slow-x.com's answer is still later than
#: both attempts, and the local server answers the others within milliseconds.
DNS_TIMEOUT = 0.5


@pytest.fixture
def short_dns_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runs in this process give up on a DNS attempt after DNS_TIMEOUT, not 2 s."""
    short = functools.partial(domains.DomainChecker, timeout=DNS_TIMEOUT)
    monkeypatch.setattr(domains, "DomainChecker", short)


def run(sandbox, key: str, state: Path, *args: str) -> tuple[int, dict]:
    result = runner.invoke(
        app,
        ["import", *args, "--base-url", sandbox.base_url, "--api-key", key,
         "--state-dir", str(state), "--json", *FAST],
    )  # fmt: skip
    assert result.stdout.strip(), result.output
    return result.exit_code, json.loads(result.stdout)


def stored(sandbox, key: str) -> list[str]:
    return sorted(x["email"] for x in sandbox.store.leads(key) if not x.get("deletedAt"))


def test_domain_checks_and_a_list_leave_rows_out_and_the_sandbox_never_gets_them(
    sandbox, api_key, tmp_path, short_dns_timeout
):
    path = tmp_path / "leads.csv"
    path.write_text(LEADS, encoding="utf-8")
    lst = tmp_path / "dnc.txt"
    lst.write_text("@listed-x.com\n", encoding="utf-8")
    state = tmp_path / "state"
    rejected = tmp_path / "rejected.csv"
    with LocalDns(TABLE) as dns:
        code, r = run(sandbox, api_key, state, str(path), "--exclude", str(lst),
                      "--check-domains", "--resolver", dns.resolver,
                      "--rejected", str(rejected))  # fmt: skip
        asked = dns.total_queries()
    # Excluded rows are the user's policy, not errors: --fail-on errors (the default) is 0.
    assert code == 0, r["errorDetails"][:2]
    assert stored(sandbox, api_key) == [
        "ann@mail-x.com", "di@a-only-x.com", "fay@broken-x.com", "gus@slow-x.com", "ivy@mail-x.com",
    ]  # fmt: skip
    assert [(d["row"], d["code"], d["reason"]) for d in r["excludedDetails"]] == [
        (3, "domain_not_found", "the domain gone-x.com does not exist"),
        (4, "domain_no_mail", "the domain nomail-x.com says it receives no mail (null MX)"),
        (
            6,
            "domain_no_mail",
            "the domain empty-x.com cannot receive mail (no MX, A or AAAA record)",
        ),
        (9, "excluded_list", f"on the exclusion list {lst} (listed-x.com)"),
    ]
    assert (r["created"], r["excluded"], r["errors"]) == (5, 4, 0)
    h = r["hygiene"]
    # listed-x.com was left out by the list first, so DNS was never asked about it.
    assert (h["domainsChecked"], h["domainsUnchecked"], h["rowsUnchecked"]) == (5, 2, 2)
    assert h["excludedByRule"] == {"excluded_list": 1, "domain_not_found": 1, "domain_no_mail": 2}
    assert_accounted(r)
    lines = rejected.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Email,First Name,row,reason"
    assert lines[-1] == f"hal@listed-x.com,Hal,9,on the exclusion list {lst} (listed-x.com)"

    # A dry run the next day (without the list) asks DNS only about the domains it could not
    # check and the one the list had left out; the others come from the cache (7 days).
    with LocalDns(TABLE) as dns:
        result = runner.invoke(app, ["import", str(path), "--dry-run", "--json",
                                     "--check-domains", "--resolver", dns.resolver,
                                     "--state-dir", str(state)])  # fmt: skip
        again = json.loads(result.stdout)
        assert {name for name, _ in dns.queries} == {"broken-x.com", "slow-x.com", "listed-x.com"}
    assert asked > dns.total_queries()
    assert again["excluded"] == 3  # the list was not given this time
    assert_accounted(again)


def test_a_reproduced_report_keeps_what_that_run_excluded_after_the_list_changed(
    sandbox, api_key, tmp_path
):
    path = tmp_path / "leads.csv"
    path.write_text("Email\nann@acme-x.com\nbo@beta-x.com\ncy@acme-x.com\n", encoding="utf-8")
    lst = tmp_path / "dnc.txt"
    lst.write_text("acme-x.com\n", encoding="utf-8")
    state = tmp_path / "state"
    _, first = run(sandbox, api_key, state, str(path), "--exclude", str(lst))
    assert stored(sandbox, api_key) == ["bo@beta-x.com"]
    assert (first["created"], first["excluded"]) == (1, 2)
    imports = sandbox.stats.imports

    lst.write_text("beta-x.com\n", encoding="utf-8")  # the list says otherwise today
    _, again = run(sandbox, api_key, state, str(path), "--exclude", str(lst))
    assert sandbox.stats.imports == imports  # nothing sent
    assert again["reproduced"] is True
    assert [(d["row"], d["entry"]) for d in again["excludedDetails"]] == [
        (2, "acme-x.com"),
        (4, "acme-x.com"),
    ]
    assert (again["created"], again["excluded"]) == (1, 2)
    assert_accounted(again)

    shown = runner.invoke(app, ["runs", "show", "1", "--state-dir", str(state), "--json"])
    assert shown.exit_code == 0, shown.output
    replayed = json.loads(shown.stdout)
    assert replayed["excludedDetails"] == first["excludedDetails"]
    assert_accounted(replayed)
    listed = runner.invoke(app, ["runs", "--state-dir", str(state), "--json"])
    assert [(r["id"], r["excluded"]) for r in json.loads(listed.stdout)] == [(2, 2), (1, 2)]
