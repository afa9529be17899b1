"""The fault matrix under pytest: a few thousand leads through every failure the API can throw.

The cases, the runner and the verdict (nothing lost, nothing twice, report == sandbox) are in
``benchmarks/fault_matrix.py``, shared with ``benchmarks/bench_faults.py``, which runs the same
matrix at larger sizes. Here each case runs at the default size (2500 leads), must pass every
verdict, and must show what its fault specifically implies (:func:`_case_specific`).
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from benchmarks.fault_matrix import (
    CASES,
    PLAN_LIMIT,
    POISON_PREFIX,
    CaseRun,
    FaultCase,
    judge,
    run_case,
)
from foxreach_cli.sandbox.faults import Fault
from tests.fault_replay import draws_until_served

#: The reason the rejected file gives a row whose resend came back as already stored.
EARLIER_ATTEMPT = (
    "already in the workspace: probably imported by an earlier attempt of the same request that "
    "got no answer"
)


def _case_specific(run: CaseRun) -> None:
    """What each fault must additionally show (beyond :func:`judge`)."""
    r, s = run.report, run.stats
    reasons = Counter(x["reason"] for x in run.rejected)
    case = run.case.id
    batches = math.ceil(len(run.valid) / int(run.case.options[1]))  # --batch-size
    auth_refusal = (
        f"The API key otr_…{run.key[-4:]} was refused (403): API key has been revoked. "
        "Check FOXREACH_API_KEY (or --api-key) and that the key has the write scope."
    )
    if case == "server_500":
        drawn = draws_until_served(0.2, 0.0, 3, batches)
        assert s["injected_500"] == drawn[Fault.FAIL] == r["retries"]
        assert r["requests"] == batches + drawn[Fault.FAIL]
        assert r["duplicatesFromRetries"] == 0  # a 500 stores nothing
        assert r["notSent"] == 0
    elif case in ("dropped_after_store", "sometimes_slow"):
        if case == "dropped_after_store":
            drawn = draws_until_served(0.0, 0.1, 5, batches)
            assert s["injected_drops"] == drawn[Fault.DROP] == r["retries"]
            assert r["requests"] == batches + drawn[Fault.DROP]
        # the resend of a request stored without an answer comes back as duplicates, reported
        # as most likely imported by the earlier attempt
        assert r["duplicatesFromRetries"] > 0  # how many batches were hit depends on timing
        assert reasons[EARLIER_ATTEMPT] == r["duplicatesFromRetries"]
        assert r["notSent"] == 0
    elif case == "slow_beyond_timeout":
        assert r["created"] == 0 and r["notSent"] == len(run.valid)
        timed_out = (
            f"No answer from {run.base_url} in time (ReadTimeout): the request may or may not "
            "have been processed."
        )
        assert r["stoppedBecause"] == (
            f"The server could not be reached or kept failing after 6 attempts: {timed_out} "
            "Run the import again later."
        )
        assert set(r["notSentReasons"]) == {
            "sent without an answer before the run stopped: it may have been imported "
            "(the next run will tell)",
            "no answer after 6 attempts, so it may have been imported (the next run will "
            f"tell): {timed_out}",
        }
    elif case == "rate_limit_storm":
        assert r["rateLimited"] > 0  # how many depends on timing; each is resent once
        assert r["retries"] == r["rateLimited"]
        assert s["imports"] == r["requests"] - r["rateLimited"] == batches
        assert r["notSent"] == 0 and r["created"] == len(run.valid)
    elif case == "plan_limit_402":
        assert r["created"] == len(run.stored) == PLAN_LIMIT
        assert r["notSent"] == len(run.valid) - PLAN_LIMIT
        assert r["notSentReasons"] == {"plan contact limit reached (402)": r["notSent"]}
        assert r["stoppedBecause"] == (
            "The workspace's plan contact limit would be exceeded (402): Plan contact limit of "
            f"{PLAN_LIMIT} would be exceeded: the workspace has {PLAN_LIMIT} active leads and "
            "this request would add 1. Raise the plan's limit or remove leads, then re-import "
            "the rows not sent."
        )
    elif case == "poisoned_422":
        poisoned = [
            (d["email"], d["reason"])
            for d in r["errorDetails"]
            if d["email"].startswith(POISON_PREFIX)
        ]
        assert poisoned == [
            (
                f"{POISON_PREFIX}{run.rows // 4}@example.com",
                "refused by the server: leads[0].customFields must be an object.",
            )
        ]
        assert r["errors"] == r["invalid"] + 1
        assert r["created"] == len(run.valid) - 1
    elif case == "key_revoked_403":
        # exactly 6 imports got in before the revocation, each a full batch of 100
        assert (run.revoked_at, s["imports"], r["created"]) == (6, 6, 600)
        assert r["notSent"] == len(run.valid) - 600
        assert r["stoppedBecause"] == auth_refusal
        # the batches refused with 403, then those never sent because the run stopped
        assert set(r["notSentReasons"]) == {
            "not sent: the API key was refused (403)",
            f"not sent: the run stopped ({auth_refusal})",
        }
        assert run.key not in run.stderr  # the refusal names the key masked only


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_matrix_loses_nothing_stores_nothing_twice_and_reports_what_the_sandbox_did(
    case: FaultCase, tmp_path: Path
) -> None:
    run = run_case(case, tmp_path)
    assert run.problems == [], "\n".join(run.problems)
    _case_specific(run)


def test_rows_sent_but_unanswered_when_a_run_stops_are_not_reported_as_never_sent(
    tmp_path: Path,
) -> None:
    """Every import is stored and then its connection reset: the run stops after 6 attempts.

    The rows of the other batches in flight were sent (and stored) before the stop; the report
    may count them as not sent, but its reason must not say they were never sent.
    """
    case = FaultCase(
        "all_dropped", {"drop_rate": 1.0, "seed": 1}, ("--batch-size", "250"), exit_code=5
    )
    run = run_case(case, tmp_path, rows=2000)
    assert run.exit_code == 5
    stored = set(run.stored)
    # all 8 batches go out at once, and each first attempt is stored before its reset
    assert stored == run.valid
    misreported = [
        (x["Email"], x["reason"])
        for x in run.rejected
        if x["Email"].lower() in stored
        and "may" not in x["reason"]
        and not x["reason"].startswith("duplicate of row")  # a local duplicate: never sent
    ]
    assert misreported == [], f"{len(misreported)} stored rows said to be not sent"


def test_the_verdict_catches_a_lost_lead_a_double_and_a_wrong_count() -> None:
    """:func:`judge` itself: a run that lost, doubled or miscounted a lead is not passed."""
    case = FaultCase("fake", {}, (), exit_code=0)
    valid = {"a@x.io", "b@x.io", "c@x.io"}
    report = {
        "rowsRead": 3, "created": 3, "restored": 0, "duplicates": 0, "errors": 0, "notSent": 0,
        "localDuplicates": 0, "duplicatesFromRetries": 0, "notSentReasons": {},
        "errorDetails": [], "requests": 1, "rateLimited": 0,
    }  # fmt: skip
    stats = {"requests": 1, "rate_limited": 0}

    def fake(stored: list[str], **changes: Any) -> list[str]:
        run = CaseRun(case, "otr_x", 3, valid, 0, {**report, **changes}, [], stored,
                      len(stored), stats, 0.0)  # fmt: skip
        return judge(run)

    assert fake(sorted(valid)) == []
    assert fake(["a@x.io", "b@x.io"]) == [
        "nothing lost: 1 valid leads neither stored nor reported, e.g. ['c@x.io']",
        "report == sandbox: created + restored + duplicatesFromRetries: report says 3, sandbox 2",
    ]
    assert fake(["a@x.io", "a@x.io", *valid]) == [
        "nothing twice: 5 stored for 3 emails (5 including deleted)"
    ]
    assert fake(sorted(valid), requests=2) == [
        "report == sandbox: requests: report says 2, sandbox 1"
    ]
