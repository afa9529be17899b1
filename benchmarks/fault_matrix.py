"""The fault matrix: a lead file through every failure the API can throw at the importer.

Each case starts the real sandbox (in this process) with one fault, runs the real CLI as a
subprocess against it, then compares what the sandbox holds with the input file:

- **nothing lost**: every valid unique lead is stored, or named in the rejected file as not
  sent (with its reason) or as refused by the server; nothing else is stored;
- **nothing twice**: each email is stored once (case-insensitively);
- **report == sandbox**: the accounting identity holds, ``created + duplicatesFromRetries``
  equals the leads stored (nothing pre-existed), the not-sent rows are exactly the valid emails
  not stored, and the request and 429 counts equal what the sandbox received;
- the documented exit code.

Three faults the sandbox has no knob for are added by ASGI middleware wrapped around the
sandbox app (see :func:`running_sandbox`): a poisoned row (one lead's ``customFields`` turned
into a list on the wire, which the sandbox refuses with 422 for the whole request: no CSV cell
can do that, since every cell is text and ``status`` is checked locally), "sometimes slow"
(a share of import answers held back after the leads are stored, past the client's timeout)
and a key revoked right after a given number of imports were admitted.

The case table, the runner and the verdict live here, beside the benchmark, because two
callers share them: ``test_fault_matrix.py`` in the test suite runs the matrix at a small size
under pytest, and ``bench_faults.py`` runs it at larger sizes and prints a table. Both judge
with the same :func:`judge`; the benchmark imports no test module.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from starlette.middleware import Middleware

from foxreach_cli.sandbox import server as sandbox_server
from foxreach_cli.sandbox.app import create_app
from foxreach_cli.sandbox.config import MEMORY_DB, SandboxConfig
from foxreach_cli.sandbox.gateway import IMPORT_PATH
from foxreach_cli.sandbox.server import RunningSandbox, run_in_thread
from foxreach_cli.sandbox.state import SandboxState

#: Leads per case in the test (the benchmark passes bigger sizes).
ROWS = 2500
POISON_PREFIX = "poison"
PLAN_LIMIT = 1234
CHILD_TIMEOUT = 120.0  # seconds one import subprocess may take before the case fails

ASGIApp = Callable[..., Any]


# --------------------------------------------------------------------------------------------
# Faults the sandbox has no knob for, as ASGI middleware around its app
# --------------------------------------------------------------------------------------------


class PoisonLeads:
    """Rewrites import bodies: leads whose email starts with ``prefix`` get a list as
    ``customFields``, a type the API refuses with 422 for the whole request."""

    def __init__(self, app: ASGIApp, prefix: str = POISON_PREFIX) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["path"] != IMPORT_PATH:
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
        doc = json.loads(body)
        for lead in doc["leads"]:
            if lead["email"].lower().startswith(self.prefix):
                lead["customFields"] = ["not", "an", "object"]
        poisoned = json.dumps(doc).encode()
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": poisoned, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class SlowSometimes:
    """Holds back a seeded ``share`` of import answers for ``delay`` seconds *after* the
    sandbox has stored the leads: a client with a shorter timeout never sees the answer."""

    def __init__(self, app: ASGIApp, share: float, delay: float, seed: int) -> None:
        self.app = app
        self.share = share
        self.delay = delay
        self._rng = random.Random(seed)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["path"] != IMPORT_PATH:
            await self.app(scope, receive, send)
            return

        async def maybe_late(message: dict) -> None:
            # Only stored answers (200) are held back: a late 429 or 500 is another fault.
            if (
                message["type"] == "http.response.start"
                and message["status"] == 200
                and self._rng.random() < self.share
            ):
                await asyncio.sleep(self.delay)
            await send(message)  # uvicorn drops it if the client is gone

        await self.app(scope, receive, maybe_late)


def poison_rows(app: Any) -> None:
    """Wrap a sandbox app with :class:`PoisonLeads`."""
    app.add_middleware(PoisonLeads)


def slow_sometimes(app: Any) -> None:
    """Wrap a sandbox app with :class:`SlowSometimes` (15% of answers 0.8 s late)."""
    app.add_middleware(SlowSometimes, share=0.15, delay=0.8, seed=7)


class RevokeAfter:
    """Revokes the key of the ``after``-th admitted import request as it is admitted, so
    exactly ``after`` imports get through and every later request is refused with 403.

    It sits inside the sandbox's gateway (see :func:`running_sandbox`), so it only sees
    requests the gateway admitted; nothing awaits between the gateway's revocation check and
    this middleware, so no other request can be admitted in between.
    """

    def __init__(self, app: ASGIApp, state: SandboxState, after: int) -> None:
        self.app = app
        self.state = state
        self.after = after
        self.admitted = 0

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == IMPORT_PATH:
            self.admitted += 1
            if self.admitted == self.after:
                key = dict(scope["headers"]).get(b"x-api-key", b"").decode("latin-1")
                self.state.revoke(key)
        await self.app(scope, receive, send)


@contextmanager
def running_sandbox(
    overrides: Mapping[str, Any],
    wrap: Callable[[Any], None] | None = None,
    revoke_after_imports: int | None = None,
) -> Iterator[RunningSandbox]:
    """The real sandbox in a thread (leads in memory), its app optionally wrapped by ``wrap``.

    ``wrap`` gets the FastAPI app before it starts (``app.add_middleware`` puts the new
    middleware outside the sandbox's own gateway). With ``revoke_after_imports``, a
    :class:`RevokeAfter` goes inside the gateway. The server module builds the app with the
    ``create_app`` it imported, so that name is patched while the server starts.
    """
    config = SandboxConfig(db=MEMORY_DB, **overrides)

    def build(cfg: SandboxConfig, **kwargs: Any) -> Any:
        app = create_app(cfg, **kwargs)
        if wrap is not None:
            wrap(app)
        if revoke_after_imports is not None:
            # Last in the user middleware: innermost, just inside the gateway.
            app.user_middleware.append(
                Middleware(RevokeAfter, state=app.state.sandbox, after=revoke_after_imports)
            )
        return app

    with mock.patch.object(sandbox_server, "create_app", build):
        ctx = run_in_thread(config)
        sandbox = ctx.__enter__()
    try:
        yield sandbox
    finally:
        ctx.__exit__(None, None, None)


# --------------------------------------------------------------------------------------------
# The case table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultCase:
    """One row of the matrix: the sandbox's fault, the client's options, the expected exit."""

    id: str
    sandbox: Mapping[str, Any]  # SandboxConfig overrides
    options: tuple[str, ...]  # extra `foxreach import` options
    exit_code: int
    fail_on: str = "never"
    wrap: Callable[[Any], None] | None = None  # middleware around the sandbox app
    revoke_after_imports: int | None = None  # revoke the key as this many imports got in
    note: str = ""


#: Fast client settings: the client's budget is far above what these sandboxes enforce,
#: except in the 429 storm, where the gap is the point; a retry waits at most 0.05 s, 0.1 s,
#: ... (not 0.5 s, 1 s, ...), so the cases that run out of retries need not wait 8 s for it.
FAST = ("--rate-limit", "1000", "--rate-window", "1", "--retry-backoff", "0.05")
#: The sandbox's budget matching FAST, so that only the storm case meets 429s.
ROOMY = {"rate_limit": 1000, "window": 1.0}

CASES: tuple[FaultCase, ...] = (
    FaultCase(
        "server_500",
        {**ROOMY, "fail_rate": 0.2, "seed": 3},
        ("--batch-size", "100"),
        exit_code=0,
        note="20% of imports answered 500, nothing stored",
    ),
    FaultCase(
        "dropped_after_store",
        {**ROOMY, "drop_rate": 0.1, "seed": 5},
        ("--batch-size", "100"),
        exit_code=0,
        note="10% of imports stored, then the connection is reset",
    ),
    FaultCase(
        "slow_beyond_timeout",
        {**ROOMY, "latency": 0.4},
        ("--batch-size", "250", "--timeout", "0.2"),
        exit_code=5,
        note="every answer later than --timeout: retries run out",
    ),
    FaultCase(
        "sometimes_slow",
        ROOMY,
        ("--batch-size", "100", "--timeout", "0.4"),
        exit_code=0,
        wrap=slow_sometimes,
        note="15% of answers held back after storing, past --timeout",
    ),
    FaultCase(
        "rate_limit_storm",
        {"rate_limit": 2, "window": 1.0, "window_mode": "sliding", "latency": 0.2},
        ("--batch-size", "500"),
        exit_code=0,
        # The client learns the real limit from the first answer's headers; the latency keeps
        # that answer back until 4 requests are in flight, so 2 of them always meet a 429.
        # Batches of 500: 2500 leads in 5 requests, which take 2 s at 2 a second.
        note="client told 1000/s, sandbox allows 2/s: 429 + Retry-After",
    ),
    FaultCase(
        "plan_limit_402",
        {**ROOMY, "contact_limit": PLAN_LIMIT},
        ("--batch-size", "1000"),
        exit_code=4,
        note=f"plan limit of {PLAN_LIMIT} contacts",
    ),
    FaultCase(
        "poisoned_422",
        ROOMY,
        ("--batch-size", "1000"),
        exit_code=1,
        fail_on="errors",
        wrap=poison_rows,
        note="one lead's customFields a list on the wire: 422 for its request",
    ),
    FaultCase(
        "key_revoked_403",
        {**ROOMY, "latency": 0.02},
        ("--batch-size", "100", "--concurrency", "2"),
        exit_code=3,
        revoke_after_imports=6,
        note="key revoked after 6 imports",
    ),
)


# --------------------------------------------------------------------------------------------
# Input, run, verdict
# --------------------------------------------------------------------------------------------


def write_leads(path: Path, n: int) -> set[str]:
    """A lead file of ``n`` rows with invalid rows, case-changed duplicates and one poison row.

    Returns the valid unique emails, lowercased.
    """
    bad = {5, n // 3, n - 7}
    dups = {9, n // 2, n - 3}  # each repeats the row before it in upper case
    poison = n // 4
    valid: set[str] = set()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Email", "First Name", "Company", "Phone"])
        for i in range(n):
            if i in bad:
                email = f"broken{i}@"
            elif i in dups:
                email = f"LEAD{i - 1}@EXAMPLE.COM"
            else:
                email = f"{POISON_PREFIX if i == poison else 'lead'}{i}@example.com"
                valid.add(email)
            w.writerow([email, f"Name{i}", "Acme", f"0{i:09d}"])
    return valid


@dataclass
class CaseRun:
    """What one case did: the CLI's answer and what the sandbox holds afterwards."""

    case: FaultCase
    key: str
    rows: int
    valid: set[str]
    exit_code: int
    report: dict[str, Any]
    rejected: list[dict[str, str]]
    stored: list[str]  # active leads, lowercased, in store order
    stored_all: int  # leads including deleted ones
    stats: dict[str, Any]
    elapsed: float
    stderr: str = ""
    revoked_at: int | None = None  # imports admitted before the key was revoked
    base_url: str = ""  # the sandbox's, as the CLI was given it
    problems: list[str] = field(default_factory=list)


def import_command(
    base_url: str, key: str, path: Path, workdir: Path, case: FaultCase
) -> list[str]:
    """The `foxreach import` command line of a case."""
    return [
        sys.executable, "-m", "foxreach_cli.cli", "import", str(path),
        "--base-url", base_url, "--api-key", key, "--json", "--fail-on", case.fail_on,
        "--rejected", str(workdir / "rejected.csv"), "--state-dir", str(workdir / "state"),
        *FAST, *case.options,
    ]  # fmt: skip


def run_case(case: FaultCase, workdir: Path, rows: int = ROWS) -> CaseRun:
    """Run one case end to end in ``workdir`` and judge it (``CaseRun.problems``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "leads.csv"
    valid = write_leads(path, rows)
    key = f"otr_matrix_{case.id}_{os.getpid()}"
    with running_sandbox(case.sandbox, case.wrap, case.revoke_after_imports) as sandbox:
        base_url = sandbox.base_url
        cmd = import_command(base_url, key, path, workdir, case)
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=CHILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        elapsed = time.monotonic() - started
        leads = sandbox.store.leads(key)
        stats = sandbox.stats.snapshot()
        revoked = bool(sandbox.state.revoked)
    try:
        report = json.loads(out)
    except ValueError:
        report = {}
    rejected_path = workdir / "rejected.csv"
    rejected = []
    if rejected_path.exists():
        with open(rejected_path, newline="", encoding="utf-8") as fh:
            rejected = list(csv.DictReader(fh))
    run = CaseRun(
        case=case,
        key=key,
        rows=rows,
        valid=valid,
        exit_code=proc.returncode,
        report=report,
        rejected=rejected,
        stored=[x["email"].lower() for x in leads if not x.get("deletedAt")],
        stored_all=len(leads),
        stats=stats,
        elapsed=elapsed,
        stderr=err,
        revoked_at=case.revoke_after_imports if revoked else None,
        base_url=base_url,
    )
    run.problems = judge(run)
    return run


#: Verdict names, in the benchmark table's order.
VERDICTS = ("nothing lost", "nothing twice", "report == sandbox")


def judge(run: CaseRun) -> list[str]:
    """Every way the run broke the matrix's promises, each prefixed with its verdict name."""
    r = run.report
    if not r:
        return [f"report == sandbox: no JSON report (exit {run.exit_code}): {run.stderr[-500:]}"]
    problems: list[str] = []
    stored = set(run.stored)
    not_sent_reasons = r["notSentReasons"]
    not_sent_rows = [x for x in run.rejected if x["reason"] in not_sent_reasons]
    not_sent = {x["Email"].lower() for x in not_sent_rows}
    refused = {d["email"].lower() for d in r["errorDetails"]} & run.valid  # by the server

    # nothing lost
    lost = run.valid - stored - not_sent - refused
    if lost:
        problems.append(
            f"nothing lost: {len(lost)} valid leads neither stored nor reported, "
            f"e.g. {sorted(lost)[:3]}"
        )
    if stored - run.valid:
        problems.append(
            f"nothing lost: stored leads not in the input: {sorted(stored - run.valid)[:3]}"
        )
    if not all(x["reason"].strip() for x in not_sent_rows):
        problems.append("nothing lost: a not-sent row has no reason")

    # nothing twice
    if len(run.stored) != len(stored) or run.stored_all != len(run.stored):
        problems.append(
            f"nothing twice: {len(run.stored)} stored for {len(stored)} emails "
            f"({run.stored_all} including deleted)"
        )

    # report == sandbox
    def differ(what: str, reported: Any, actual: Any) -> None:
        if reported != actual:
            problems.append(f"report == sandbox: {what}: report says {reported}, sandbox {actual}")

    total = r["created"] + r["restored"] + r["duplicates"] + r["errors"] + r["notSent"]
    differ("rowsRead vs the sum of the buckets", r["rowsRead"], total)
    differ("rowsRead", r["rowsRead"], run.rows)
    differ(
        "created + restored + duplicatesFromRetries",
        r["created"] + r["restored"] + r["duplicatesFromRetries"],
        len(stored),
    )
    differ(
        "duplicates not from retries (nothing pre-existed: local ones only)",
        r["duplicates"] - r["duplicatesFromRetries"],
        r["localDuplicates"],
    )
    differ("notSent vs the rejected file's not-sent rows", r["notSent"], len(not_sent_rows))
    differ("notSent vs the reasons' counts", r["notSent"], sum(not_sent_reasons.values()))
    differ("not-sent emails stored anyway", sorted(not_sent & stored)[:3], [])
    differ("server-refused emails stored anyway", sorted(refused & stored)[:3], [])
    differ("requests", r["requests"], run.stats["requests"])
    differ("429s", r["rateLimited"], run.stats["rate_limited"])
    differ("exit code", run.exit_code, run.case.exit_code)
    return problems


def verdicts(run: CaseRun) -> dict[str, bool]:
    """Each verdict of :data:`VERDICTS`: True when no problem falls under it."""
    return {v: not any(p.startswith(v + ":") for p in run.problems) for v in VERDICTS}
