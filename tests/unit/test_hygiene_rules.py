"""Role and disposable addresses, verdict columns, and the Hygiene stage that applies every rule
to a chunk with one reason per row and counts."""

from __future__ import annotations

import pytest

from foxreach_cli.hygiene import (
    VerdictClass,
    find_verdict_columns,
)
from foxreach_cli.hygiene.roles import disposable_domains, role_local, role_locals
from foxreach_cli.reasons import ReasonCode


def test_role_local_parts_are_found_after_tags_and_separators() -> None:
    addresses = ["info@acme.com", "no-reply@acme.com", "Sales+EU@acme.com", "no.reply@x.io",
                 "postmaster@x.io", "ann@acme.com", "information.desk@x.io", ""]  # fmt: skip
    assert list(role_locals([a.lower() for a in addresses])) == [
        "info", "noreply", "sales", "noreply", "postmaster", "", "", ""
    ]  # fmt: skip


def test_disposable_domains_come_from_the_maintained_package_with_subdomains() -> None:
    assert list(disposable_domains(["mailinator.com", "x.mailinator.com", "acme.com", ""])) == [
        "mailinator.com",
        "mailinator.com",
        "",
        "",
    ]


# -- verdict columns: real headers, each service's words --------------------------------------

ZB = ["valid", "invalid", "catch-all", "unknown", "spamtrap", "abuse", "do_not_mail"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("valid", VerdictClass.OK),
        ("invalid", VerdictClass.INVALID),
        ("catch-all", VerdictClass.RISKY),
        ("unknown", VerdictClass.UNKNOWN),
        ("spamtrap", VerdictClass.DO_NOT_MAIL),
        ("abuse", VerdictClass.DO_NOT_MAIL),
        ("do_not_mail", VerdictClass.DO_NOT_MAIL),
        ("Do Not Mail", VerdictClass.DO_NOT_MAIL),
        ("maybe", None),
        ("", None),
    ],
)
def test_each_zerobounce_status(value: str, expected: VerdictClass | None) -> None:
    [column] = find_verdict_columns(["Email Address", "ZB Status"], {"ZB Status": ZB})
    assert (column.service, column.header) == ("ZeroBounce", "ZB Status")
    assert list(column.classes([value])) == [expected]


@pytest.mark.parametrize(
    ("header", "values", "service", "classes"),
    [
        ("result", ["valid", "invalid", "disposable", "catchall", "unknown"], "NeverBounce",
         ["ok", "invalid", "disposable", "risky", "unknown"]),
        ("Email Status", ["Verified", "Unverified", "Likely to engage", "Update required",
                          "Unavailable", "Guessed", "Bounced"], "Apollo",
         ["ok", "unknown", "ok", "unknown", "unknown", "risky", "invalid"]),
        ("result", ["ok", "catch_all", "unknown", "invalid", "disposable", "error"],
         "MillionVerifier", ["ok", "risky", "unknown", "invalid", "disposable", "unknown"]),
        ("quality", ["good", "risky", "bad"], "MillionVerifier quality",
         ["ok", "risky", "invalid"]),
        ("Verification status", ["valid", "accept_all", "webmail", "disposable", "invalid",
                                 "unknown", "blocked"], "Hunter",
         ["ok", "risky", "ok", "disposable", "invalid", "unknown", "unknown"]),
        ("State", ["Deliverable", "Undeliverable", "Risky", "Unknown"],
         "Kickbox/Bouncer/Emailable", ["ok", "invalid", "risky", "unknown"]),
        ("status", ["valid", "invalid", "catch_all", "unknown"], "email verification",
         ["ok", "invalid", "risky", "unknown"]),
        ("ZB Sub Status", ["mailbox_not_found", "role_based", "disposable"],
         "ZeroBounce sub-status", ["detail", "detail", "detail"]),
    ],
)  # fmt: skip
def test_each_service_is_recognised_by_header_and_words(
    header: str, values: list[str], service: str, classes: list[str]
) -> None:
    [column] = find_verdict_columns([header], {header: values})
    assert column.service == service
    assert [str(c) for c in column.classes(values)] == classes
    assert column.evidence == (
        f"{header}: {len(values)} of {len(values)} sampled values are {service} verdicts"
    )


def test_a_header_alone_or_words_alone_are_not_a_verdict_column() -> None:
    samples = {
        "Status": ["active", "bounced", "unsubscribed"],  # lead statuses
        "Notes": ["valid", "invalid", "unknown"],  # verdict words, not a verdict header
        "ZB Status": ["hello", "world", "valid"],  # 1 of 3 words
    }
    assert find_verdict_columns(list(samples), samples) == []


# -- the stage ---------------------------------------------------------------------------------


def test_each_reason_reads_as_a_sentence() -> None:
    cases = {
        ReasonCode.EXCLUDED_LIST.of(list="dnc.csv", entry="*.acme.com"):
            "on the exclusion list dnc.csv (*.acme.com)",
        ReasonCode.DOMAIN_NOT_FOUND.of(domain="acme.test"):
            "the domain acme.test does not exist",
        ReasonCode.DOMAIN_NO_MAIL.of(domain="acme.test", why="null_mx"):
            "the domain acme.test says it receives no mail (null MX)",
        ReasonCode.DOMAIN_NO_MAIL.of(domain="acme.test", why="no_records"):
            "the domain acme.test cannot receive mail (no MX, A or AAAA record)",
        ReasonCode.ROLE_ADDRESS.of(local="info"): "a role address (info@)",
        ReasonCode.DISPOSABLE_DOMAIN.of(domain="mailinator.com"):
            "a disposable-mail domain (mailinator.com)",
        ReasonCode.SOURCE_VERDICT.of(column="ZB Status", value="spamtrap", service="ZeroBounce"):
            "the file's ZB Status says spamtrap",
    }  # fmt: skip
    assert {e: e.text for e in cases} == cases


def test_role_locals_of_a_chunk_agree_with_role_local_one_by_one() -> None:
    addresses = [
        "info@acme.com", "No-Reply+eu@acme.com", "ann@acme.com", "", "in.fo@x.com",
        '"info@x"@acme.com', "+sales@acme.com", "postmaster@a.com", "infos@a.com",
    ]  # fmt: skip
    expected = [role_local(a[: a.rfind("@")]) if a else "" for a in addresses]
    assert expected == ["info", "noreply", "", "", "info", "", "", "postmaster", ""]
    assert role_locals(addresses).tolist() == expected


@pytest.mark.parametrize(
    "emails",
    [
        ["a@x.com", "B@Y.ORG", "noat", "@x.com", "a@b@c.com", ""],
        ["a@x.com", " b@y.com", "c@z.com\t"],
        ["a@bücher.de", "b@x.com"],
        ["a\u200b@x.com"],
        [],
    ],
)
def test_the_fast_domain_cut_agrees_with_the_full_address_form(emails: list[str]) -> None:
    from foxreach_cli.hygiene.addresses import domains_of, split_addresses

    assert domains_of(emails).tolist() == split_addresses(emails)[1].tolist()


def test_disposable_domains_are_found_once_per_distinct_domain_and_spread_back() -> None:
    from foxreach_cli.hygiene.roles import disposable_domains

    domains = ["mailinator.com", "gmail.com", "", "x.mailinator.com", "gmail.com"]
    assert disposable_domains(domains).tolist() == [
        "mailinator.com", "", "", "mailinator.com", ""
    ]  # fmt: skip
