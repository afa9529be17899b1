"""``import --campaign ID``: after the leads are imported, add the file's leads that are in the
workspace and ``active`` to the campaign (docs/campaign-import.md).

The stage runs in four steps, each with the run's shared rate budget:

1. :func:`check_campaign`, before anything is sent: the campaign exists (404 -> exit 2) and the
   key may write to it (a probe with no ids; 403 -> exit 3).
2. While the import runs, :meth:`Enrollment.batch_answered` records the emails of every answered
   batch (not those the server refused) in the enrollment journal, so a rerun knows them even
   when the import journal sends nothing again.
3. :meth:`Enrollment.run` finds the lead ids: every lead the import created or restored carries
   the run's tag (:func:`run_tag`), listed at one request per 100 leads; only the leads not
   found there (they existed before) are looked up by email, one request each. Every returned
   lead's email is compared with the file's; only ``active`` leads are kept.
4. It adds them, 100 ids per request (halved on 400/413/422), journaling each answered request,
   so a killed run resumes without adding anything twice. A failure raises
   :class:`EnrollmentError` (exit 7) naming the leads not enrolled.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .campaign_client import PAGE_SIZE, Answer, CampaignClient
from .details import DetailPart
from .errors import (
    ApiError,
    AuthError,
    FoxReachImportError,
    TransientError,
    UsageError,
    storage_errors,
)
from .rate_budget import Budget, RateBudget
from .send import Retries, SendPolicy
from .stage_data import ERROR, NOT_SENT, Batch
from .state.journal import key_fingerprint
from .state.shared_rate_budget import SharedBudget

if TYPE_CHECKING:
    import httpx

    from .import_config import ImportConfig

#: The tag prefix of the leads an import into a campaign created or restored.
RUN_TAG_PREFIX = "foxreach-run-"
#: How many unenrolled leads an error message names.
NAMED = 10


def run_tag(campaign_id: str, files: Sequence[str]) -> str:
    """The tag naming the import of ``files`` into ``campaign_id``: the same for a rerun of the
    same files, so the leads of a killed run are found again."""
    names = sorted(f if f == "-" else str(Path(f).resolve()) for f in files)
    digest = hashlib.sha256("\0".join([campaign_id, *names]).encode()).hexdigest()
    return RUN_TAG_PREFIX + digest[:12]


@dataclass(frozen=True)
class Campaign:
    """What the check found: the campaign's id, name and status."""

    id: str
    name: str
    status: str

    @property
    def active(self) -> bool:
        """Adding leads to an active campaign starts sending to them."""
        return self.status == "active"


class EnrollmentError(FoxReachImportError):
    """Adding the imported leads to the campaign failed; they are imported, not enrolled.
    ``sent`` is set: the CLI exits 7."""

    sent = True

    def __init__(self, message: str, not_enrolled: Sequence[str]) -> None:
        super().__init__(message)
        self.not_enrolled = list(not_enrolled)


@dataclass
class EnrollResult:
    """What the enrollment did: counts, and the leads left out by reason."""

    campaign: Campaign
    added: int = 0
    already: int = 0  # already in the campaign (this run's earlier attempt or before)
    earlier: int = 0  # enrolled by an earlier, interrupted run of the same import
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> leads
    requests: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The report's ``campaign`` object."""
        return {
            "id": self.campaign.id,
            "name": self.campaign.name,
            "status": self.campaign.status,
            "added": self.added,
            "alreadyInCampaign": self.already,
            "enrolledEarlier": self.earlier,
            "leftOut": dict(sorted(self.left_out.items())),
            "requests": self.requests,
        }


class Requests:
    """Requests under the run's rate budget, retried as the sender retries an import
    (:class:`foxreach_cli.send.Retries`: a 429 waits its Retry-After in the shared budget,
    5xx and network failures back off)."""

    def __init__(
        self,
        budget: Budget,
        policy: SendPolicy,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.budget = budget
        self.policy = policy
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.count = 0

    def __call__(self, send: Callable[[], Answer]) -> Answer:
        """``send()``'s answer, or its last error."""
        retries = Retries(self.policy, self.rng)
        while True:
            sent_at = self.budget.acquire()
            assert sent_at is not None  # no cancel event: acquire waits until allowed
            self.count += 1
            try:
                answer = send()
            except TransientError as exc:
                self.budget.observe(getattr(exc, "rate", None), sent_at=sent_at)
                delay = retries.delay_after(exc)
                if delay is None:
                    raise
                if exc.status == 429:  # everyone on the key waits it out
                    self.budget.penalise(delay)
                else:
                    self.sleep(delay)
                continue
            except FoxReachImportError as exc:
                self.budget.observe(getattr(exc, "rate", None), sent_at=sent_at)
                raise
            self.budget.observe(answer.rate, sent_at=sent_at)
            return answer


def check_campaign(
    client: CampaignClient, campaign_id: str, requests: Requests, *, probe: bool = True
) -> Campaign:
    """The campaign, checked before the import sends anything: ``UsageError`` when it does not
    exist, ``AuthError`` when the key may not write to it (``probe``: a dry run only reads)."""
    try:
        answer = requests(lambda: client.get_campaign(campaign_id))
    except ApiError as exc:
        if exc.status == 404:
            raise UsageError(
                f"Campaign {campaign_id} does not exist in this workspace; nothing was sent."
            ) from None
        raise
    data = answer.body.get("data")
    if not isinstance(data, dict):
        raise ApiError(f"The server's answer for campaign {campaign_id} holds no campaign.")
    try:  # no ids: a key without the write scope is refused, any other answer is fine
        if probe:
            requests(lambda: client.add_campaign_leads(campaign_id, []))
    except AuthError as exc:
        raise AuthError(
            f"The API key may not add leads to campaign {campaign_id} ({exc.status}); "
            "nothing was sent.",
            status=exc.status,
            hint="Use a key with the write scope.",
        ) from None
    except ApiError as exc:
        if exc.status == 404:
            raise UsageError(
                f"Campaign {campaign_id} does not exist in this workspace; nothing was sent."
            ) from None
    return Campaign(
        id=campaign_id, name=str(data.get("name") or ""), status=str(data.get("status") or "")
    )


class EnrollJournal:
    """The emails an import into a campaign answered, and the ones already enrolled, as JSON
    lines in the state directory; a line is written (and synced) per answered batch or
    enrollment request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.candidates: dict[str, str] = {}  # casefolded email -> email as in the file
        self.enrolled: set[str] = set()  # casefolded emails
        if path.exists():
            with storage_errors(path, action="read"):
                lines = path.read_text(encoding="utf-8").splitlines()
            for line in lines:
                try:
                    entry = json.loads(line)
                except ValueError:  # a line cut by a kill: what it said is sent again
                    continue
                for email in entry.get("candidates", []):
                    self.candidates.setdefault(email.casefold(), email)
                self.enrolled.update(e.casefold() for e in entry.get("enrolled", []))

    def _append(self, entry: dict[str, list[str]]) -> None:
        with storage_errors(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")
                fh.flush()
                os.fsync(fh.fileno())

    def add_candidates(self, emails: Iterable[str]) -> None:
        """Record emails of the file that reached the workspace (or were already there)."""
        new = [e for e in emails if e.casefold() not in self.candidates]
        if new:
            self._append({"candidates": new})
            for email in new:
                self.candidates[email.casefold()] = email

    def add_enrolled(self, emails: Sequence[str]) -> None:
        """Record emails whose leads the campaign has accepted."""
        self._append({"enrolled": list(emails)})
        self.enrolled.update(e.casefold() for e in emails)


def journal_path(state_dir: Path, tag: str, campaign_id: str) -> Path:
    """Where the enrollment journal of one import into one campaign lives."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in campaign_id)[:64]
    return state_dir / "campaigns" / f"{tag}-{safe}.jsonl"


class Enrollment:
    """One import's enrollment into one campaign (see the module docstring)."""

    def __init__(self, campaign: Campaign, tag: str, journal: EnrollJournal) -> None:
        self.campaign = campaign
        self.tag = tag
        self.journal = journal
        self.refused = 0  # rows the server refused or that were not sent

    def batch_answered(self, batch: Batch, details: DetailPart) -> None:
        """Record an answered batch's emails, but not those of its rows the server refused or
        that were not sent (``details``: the batch's rows not imported)."""
        kinds = {}
        for i in range(len(details)):
            record = details.record(i)
            kinds[record.email.casefold()] = record.kind
        keep = []
        for email in batch.emails:
            if kinds.get(email.casefold()) in (ERROR, NOT_SENT):
                self.refused += 1
            else:
                keep.append(email)
        self.journal.add_candidates(keep)

    def run(self, client: CampaignClient, requests: Requests) -> EnrollResult:
        """Find the candidates' leads and add the active ones to the campaign; any failure is
        an :class:`EnrollmentError` naming the leads not enrolled."""
        try:
            return self._run(client, requests)
        except EnrollmentError:
            raise
        except FoxReachImportError as exc:
            journal = self.journal
            left = [e for k, e in journal.candidates.items() if k not in journal.enrolled]
            raise _failed(exc, left) from None

    def _run(self, client: CampaignClient, requests: Requests) -> EnrollResult:
        result = EnrollResult(self.campaign)
        journal = self.journal
        result.earlier = len(journal.enrolled)
        wanted = {k: e for k, e in journal.candidates.items() if k not in journal.enrolled}
        found: dict[str, dict[str, Any]] = {}
        page, pages = 1, 1
        while wanted and page <= pages:
            answer = requests(partial(client.list_leads, page=page, tags=self.tag))
            for lead in _leads(answer):
                key = str(lead.get("email") or "").casefold()
                if key in wanted:  # compared with the file's emails, never trusted alone
                    found[key] = lead
            pages = _total_pages(answer)
            page += 1
        for key, email in wanted.items():
            if key in found:
                continue
            answer = requests(partial(client.list_leads, email=email))
            match = [
                lead for lead in _leads(answer) if str(lead.get("email") or "").casefold() == key
            ]
            if match:
                found[key] = match[0]
        ids: list[tuple[str, str]] = []  # (lead id, email)
        for key, email in wanted.items():
            hit = found.get(key)
            if hit is None or not hit.get("id"):
                _count(result.left_out, "not found in the workspace")
            elif hit.get("status") != "active":
                _count(result.left_out, f"status {hit.get('status')}")
            else:
                ids.append((str(hit["id"]), email))
        if self.refused:
            result.left_out["refused by the server or not sent"] = self.refused
        self._enroll(client, requests, ids, result)
        result.requests = requests.count
        return result

    def _enroll(
        self,
        client: CampaignClient,
        requests: Requests,
        ids: list[tuple[str, str]],
        result: EnrollResult,
    ) -> None:
        pending = [ids[i : i + PAGE_SIZE] for i in range(0, len(ids), PAGE_SIZE)]
        while pending:
            chunk = pending.pop(0)
            try:
                answer = requests(
                    partial(client.add_campaign_leads, self.campaign.id, [i for i, _ in chunk])
                )
            except ApiError as exc:
                if exc.status in (400, 413, 422) and len(chunk) > 1:
                    half = len(chunk) // 2
                    pending[:0] = [chunk[:half], chunk[half:]]
                    continue
                left = [email for part in [chunk, *pending] for _, email in part]
                raise _failed(exc, left) from None
            data = answer.body.get("data")
            data = data if isinstance(data, dict) else {}
            added, already = data.get("added"), data.get("alreadyInCampaign")
            if isinstance(added, int):
                result.added += added
                result.already += already if isinstance(already, int) else len(chunk) - added
            else:
                result.added += len(chunk)
            self.journal.add_enrolled([email for _, email in chunk])


def _failed(exc: FoxReachImportError, left: Sequence[str]) -> EnrollmentError:
    shown = ", ".join(left[:NAMED]) + (
        f" and {len(left) - NAMED:,} more" if len(left) > NAMED else ""
    )
    return EnrollmentError(
        f"The leads were imported, but adding them to the campaign failed ({exc.describe()}); "
        f"{len(left):,} not enrolled: {shown}. Run the same command again to add them.",
        left,
    )


def _leads(answer: Answer) -> list[dict[str, Any]]:
    data = answer.body.get("data")
    return [lead for lead in data if isinstance(lead, dict)] if isinstance(data, list) else []


def _total_pages(answer: Answer) -> int:
    meta = answer.body.get("meta")
    pages = meta.get("totalPages") if isinstance(meta, dict) else None
    return pages if isinstance(pages, int) else 1


def _count(counts: dict[str, int], reason: str) -> None:
    counts[reason] = counts.get(reason, 0) + 1


def estimate(rows: int, rate_limit: int, window: float) -> tuple[int, float]:
    """(requests, seconds) the enrollment of ``rows`` new leads costs at the budget, besides
    one lookup per lead that already existed: the check and probe, the tag listing and the
    enrollment calls."""
    requests = 2 + 2 * max(1, math.ceil(rows / PAGE_SIZE))
    return requests, requests / rate_limit * window


class CampaignStage:
    """``import --campaign``'s moving parts for one run: its client and share of the rate
    budget, the checked campaign, and the enrollment (journal in the state directory)."""

    def __init__(
        self,
        cfg: ImportConfig,
        campaign_id: str,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        creds = cfg.credentials
        assert creds is not None and creds.api_key, "a run with --campaign has credentials"
        send = cfg.send
        self.client = CampaignClient(
            creds.base_url, creds.api_key, timeout=send.timeout, transport=transport
        )
        # The budget of the import's requests (shared by every process using the key).
        budget = SharedBudget(
            RateBudget(limit=send.rate_limit, window=send.rate_window),
            cfg.state.state_dir,
            key_fingerprint(creds.api_key),
            limit=send.rate_limit,
            window=send.rate_window,
        )
        self.requests = Requests(budget, send)
        self.tag = run_tag(campaign_id, cfg.files)
        try:
            self.campaign = check_campaign(
                self.client, campaign_id, self.requests, probe=not cfg.dry_run
            )
        except BaseException:
            self.client.close()
            raise
        path = journal_path(cfg.state.state_dir, self.tag, campaign_id)
        self.enrollment = Enrollment(self.campaign, self.tag, EnrollJournal(path))

    def finish(self) -> EnrollResult:
        """Enroll what the import answered (and what an earlier run of it did)."""
        return self.enrollment.run(self.client, self.requests)

    def close(self) -> None:
        """Close the connections."""
        self.client.close()


def with_run_tag(cfg: ImportConfig, tag: str) -> ImportConfig:
    """``cfg`` whose leads all carry ``tag`` (so the new leads can be listed by it)."""
    defaults = cfg.defaults
    if tag in defaults.tags:
        return cfg
    return replace(cfg, defaults=replace(defaults, tags=(*defaults.tags, tag)))
