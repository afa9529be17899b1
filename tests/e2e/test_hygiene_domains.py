"""Domain checks against a real DNS server on 127.0.0.1 (tests/dns_server.py): every kind of
answer, the cache (a hit asks nothing, an expired entry is asked again), the wire codec against
dnspython's, and --resolver parsing."""

from __future__ import annotations

from pathlib import Path

import dns.message
import dns.rrset
import pytest

from foxreach_cli.errors import UsageError
from foxreach_cli.hygiene.domains import (
    MX,
    DomainCache,
    DomainChecker,
    DomainResult,
    DomainStatus,
    encode_query,
    parse_resolver,
    parse_response,
)
from tests.dns_server import Answer, LocalDns

TABLE = {
    "mail.test": Answer("mx"),
    "gone.test": Answer("nxdomain"),
    "nomail.test": Answer("null_mx"),
    "a-only.test": Answer("a_only"),
    "aaaa-only.test": Answer("aaaa_only"),
    "empty.test": Answer("empty"),
    "broken.test": Answer("servfail"),
    "refusing.test": Answer("refused"),
    "slow.test": Answer("mx", delay=1.0),
}

EXPECTED = {
    "mail.test": DomainResult(DomainStatus.MAIL, "mx"),
    "gone.test": DomainResult(DomainStatus.NOT_FOUND, "nxdomain"),
    "nomail.test": DomainResult(DomainStatus.NULL_MX, "null_mx"),
    "a-only.test": DomainResult(DomainStatus.MAIL, "a"),
    "aaaa-only.test": DomainResult(DomainStatus.MAIL, "aaaa"),
    "empty.test": DomainResult(DomainStatus.NO_RECORDS, "no_records"),
    "broken.test": DomainResult(DomainStatus.UNCHECKED, "servfail"),
    "refusing.test": DomainResult(DomainStatus.UNCHECKED, "refused"),
    "slow.test": DomainResult(DomainStatus.UNCHECKED, "timeout"),
}


def test_every_kind_of_answer_is_read_as_a_mail_server_would() -> None:
    with LocalDns(TABLE) as server:
        checker = DomainChecker(resolver=server.resolver, timeout=0.3, attempts=1)
        assert checker.check(list(TABLE)) == EXPECTED
        # MX first; A only without MX; AAAA only without MX or A; never more than needed.
        asked = server.queries
        assert asked[("mail.test", "MX")] == 1 and asked[("mail.test", "A")] == 0
        assert asked[("a-only.test", "A")] == 1 and asked[("a-only.test", "AAAA")] == 0
        assert asked[("aaaa-only.test", "AAAA")] == 1
        assert asked[("empty.test", "MX")] == asked[("empty.test", "AAAA")] == 1


def test_a_timeout_is_asked_again_before_it_counts_as_unchecked() -> None:
    with LocalDns({"slow.test": Answer("mx", delay=1.0)}) as server:
        checker = DomainChecker(resolver=server.resolver, timeout=0.2, attempts=2)
        assert checker.check(["slow.test"]) == {"slow.test": EXPECTED["slow.test"]}
        assert server.queries[("slow.test", "MX")] == 2
        assert checker.queries == 2


def test_each_distinct_domain_is_asked_once() -> None:
    with LocalDns(TABLE) as server:
        checker = DomainChecker(resolver=server.resolver, timeout=0.3)
        result = checker.check(["mail.test", "mail.test", "", "gone.test"])
        assert list(result) == ["mail.test", "gone.test"]
        assert server.total_queries() == 2


def test_a_cached_domain_is_not_asked_again_and_unchecked_ones_are_not_cached(
    tmp_path: Path,
) -> None:
    now = [1_000_000.0]
    path = tmp_path / "state" / "domains.sqlite"
    with LocalDns(TABLE) as server:
        cache = DomainCache(path, clock=lambda: now[0])
        checker = DomainChecker(resolver=server.resolver, timeout=0.3, attempts=1, cache=cache)
        first = checker.check(["mail.test", "gone.test", "broken.test"])
        assert server.total_queries() == 3
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        # A new run (a new checker and cache object) a day later: the file answers.
        now[0] += 24 * 3600
        again = DomainChecker(
            resolver=server.resolver,
            timeout=0.3,
            attempts=1,
            cache=DomainCache(path, clock=lambda: now[0]),
        )
        assert again.check(["mail.test", "gone.test", "broken.test"]) == first
        # Only the unchecked domain was asked again.
        assert server.queries[("broken.test", "MX")] == 2
        assert server.queries[("mail.test", "MX")] == server.queries[("gone.test", "MX")] == 1


def test_an_entry_older_than_the_period_is_asked_again(tmp_path: Path) -> None:
    now = [1_000_000.0]
    path = tmp_path / "domains.sqlite"
    with LocalDns(TABLE) as server:

        def checker() -> DomainChecker:
            cache = DomainCache(path, max_age=7 * 24 * 3600, clock=lambda: now[0])
            return DomainChecker(resolver=server.resolver, timeout=0.3, cache=cache)

        checker().check(["mail.test"])
        now[0] += 7 * 24 * 3600  # exactly the period: still fresh
        checker().check(["mail.test"])
        assert server.queries[("mail.test", "MX")] == 1
        now[0] += 1  # one second past it: asked again
        assert checker().check(["mail.test"]) == {"mail.test": EXPECTED["mail.test"]}
        assert server.queries[("mail.test", "MX")] == 2


def test_a_server_that_does_not_answer_at_all_leaves_every_domain_unchecked() -> None:
    with LocalDns({"x.test": Answer("silent")}) as server:
        checker = DomainChecker(resolver=server.resolver, timeout=0.1, attempts=1)
        assert checker.check(["x.test"]) == {
            "x.test": DomainResult(DomainStatus.UNCHECKED, "timeout")
        }


def test_a_name_that_cannot_exist_in_dns_is_not_found_without_asking() -> None:
    with LocalDns({}) as server:
        checker = DomainChecker(resolver=server.resolver, timeout=0.3)
        name = "a" * 64 + ".test"
        assert checker.check([name]) == {name: DomainResult(DomainStatus.NOT_FOUND, "invalid_name")}
        assert server.total_queries() == 0


def test_the_codec_reads_what_dnspython_writes() -> None:
    query = dns.message.from_wire(encode_query(4660, "Mail.Example.COM", MX))
    assert (query.id, str(query.question[0].name), query.question[0].rdtype) == (
        4660,
        "Mail.Example.COM.",
        MX,
    )
    response = dns.message.make_response(query)
    response.answer.append(
        dns.rrset.from_text("mail.example.com.", 60, "IN", "CNAME", "mx-host.example.net.")
    )
    response.answer.append(
        dns.rrset.from_text("mx-host.example.net.", 60, "IN", "MX", "0 .", "10 mx.example.net.")
    )
    parsed = parse_response(response.to_wire())
    assert (parsed.qid, parsed.qname, parsed.qtype, parsed.rcode, parsed.truncated) == (
        4660,
        "mail.example.com",
        MX,
        0,
        False,
    )
    assert sorted(parsed.mx) == [(0, ""), (10, "mx.example.net")]
    assert parsed.types == frozenset({5, MX})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1.1.1.1", ("1.1.1.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("[::1]:5353", ("::1", 5353)),
        ("2001:db8::1", ("2001:db8::1", 53)),
        ("dns.example.net", ("dns.example.net", 53)),
    ],
)
def test_resolver_takes_host_and_port(given: str, expected: tuple[str, int]) -> None:
    assert parse_resolver(given) == expected


def test_a_resolver_with_a_bad_port_is_refused_in_one_sentence() -> None:
    with pytest.raises(UsageError) as caught:
        parse_resolver("127.0.0.1:99999")
    assert caught.value.describe("--resolver") == (
        "--resolver '127.0.0.1:99999' has no valid port; give HOST or HOST:PORT with a port "
        "from 1 to 65535, such as 1.1.1.1 or 127.0.0.1:5353."
    )
