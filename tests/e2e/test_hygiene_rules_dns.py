"""The hygiene rules together against a real local DNS server (tests/dns_server.py, answers
that time out in real time): one reason per row, in the stated order of the rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from foxreach_cli.hygiene.domains import DomainChecker
from foxreach_cli.hygiene.stage import Hygiene, HygieneRules
from foxreach_cli.hygiene.suppression import Suppression, load_list
from foxreach_cli.hygiene.verdicts import find_verdict_columns
from tests.dns_server import Answer, LocalDns
from tests.unit.test_hygiene_rules import ZB

EMAILS = [
    "ann@listed.test",  # 0: on the list
    "bob@ok.test",  # 1: clean
    "cy@gone.test",  # 2: domain does not exist
    "dee@nomail.test",  # 3: null MX
    "info@ok.test",  # 4: role
    "eve@mailinator.com",  # 5: disposable (its domain answers MX)
    "fay@ok.test",  # 6: verdict invalid
    "gus@slow.test",  # 7: DNS times out: imported, unchecked
    "info@listed.test",  # 8: role AND listed: the list is the reason
]
VERDICTS = ["valid", "valid", "valid", "valid", "valid", "valid", "invalid", "", "valid"]


def run(tmp_path: Path, options: HygieneRules) -> tuple[list[object], Hygiene]:
    listed = tmp_path / "exclude.txt"
    listed.write_text("@listed.test\n", encoding="utf-8")
    table = {name: Answer("mx") for name in ("ok.test", "listed.test", "mailinator.com")}
    table |= {"gone.test": Answer("nxdomain"), "nomail.test": Answer("null_mx")}
    table["slow.test"] = Answer("mx", delay=1.0)
    [column] = find_verdict_columns(["ZB Status"], {"ZB Status": ZB})
    with LocalDns(table) as server:
        hygiene = Hygiene(
            suppression=Suppression([load_list(str(listed))]),
            domains=DomainChecker(resolver=server.resolver, timeout=0.2, attempts=1),
            options=options,
        )
        result = hygiene.check(np.array(EMAILS, dtype=object), verdicts=[(column, VERDICTS)])
    assert list(result.role) == ["", "", "", "", "info", "", "", "", "info"]
    assert list(result.disposable) == ["", "", "", "", "", "mailinator.com", "", "", ""]
    assert list(result.unchecked) == [False] * 7 + [True, False]
    return [{"code": e.code.value, **e.named()} if e else None for e in result.exclusions], hygiene


def test_one_reason_per_row_and_role_and_disposable_only_counted_by_default(
    tmp_path: Path,
) -> None:
    listed = str(tmp_path / "exclude.txt")
    reasons, hygiene = run(tmp_path, HygieneRules())
    assert reasons == [
        {"code": "excluded_list", "list": listed, "entry": "listed.test"},
        None,
        {"code": "domain_not_found", "domain": "gone.test"},
        {"code": "domain_no_mail", "domain": "nomail.test", "why": "null_mx"},
        None,
        None,
        {"code": "source_verdict", "column": "ZB Status", "value": "invalid",
         "service": "ZeroBounce"},
        None,
        {"code": "excluded_list", "list": listed, "entry": "listed.test"},
    ]  # fmt: skip
    counts = hygiene.counts
    assert counts.excluded == {
        "excluded_list": 2,
        "domain_not_found": 1,
        "domain_no_mail": 1,
        "source_verdict": 1,
    }
    assert (counts.role_seen, counts.disposable_seen, counts.rows_unchecked) == (2, 1, 1)
    assert (counts.domains_checked, counts.domains_unchecked) == (4, 1)
    assert counts.verdicts_seen == {("ZB Status", "invalid"): 1}


def test_skip_role_and_disposable_leave_them_out_and_ignore_verdicts_imports(
    tmp_path: Path,
) -> None:
    options = HygieneRules(skip_role=True, skip_disposable=True, ignore_verdicts=True)
    reasons, hygiene = run(tmp_path, options)
    assert reasons[4] == {"code": "role_address", "local": "info"}
    assert reasons[5] == {"code": "disposable_domain", "domain": "mailinator.com"}
    assert reasons[6] is None  # the verdict is still counted, not acted on
    assert hygiene.counts.verdicts_seen == {("ZB Status", "invalid"): 1}
    assert hygiene.counts.excluded["role_address"] == 1  # row 8 stays excluded_list
