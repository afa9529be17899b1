"""``import --campaign ID`` in the CLI: check the campaign before anything is sent, enroll after
the import (before the report is shown, so the report carries it), say what became of the
leads (and, for a dry run, what it would cost)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..credentials import resolve_credentials
from ..errors import StorageError
from ..outputs import write_report
from .display import log_line
from .errors import EXIT_AFTER_SENDING, EXIT_INTERRUPTED, EXIT_PRECEDENCE, describe, err_console

if TYPE_CHECKING:
    from ..enroll import CampaignStage, EnrollResult
    from ..import_config import ImportConfig
    from ..outputs import LogFile
    from ..pipeline import RunResult
    from .display import View

ACTIVE_WARNING = "Campaign {id} is active: adding leads to it starts sending to them."


def open_stage(cfg: ImportConfig, campaign_id: str) -> tuple[ImportConfig, CampaignStage | None]:
    """The run's config (its leads tagged with the run's tag) and the checked campaign stage;
    for a dry run, the stage only when a key is at hand (it then reads the campaign)."""
    # Imported here: the stage's client (httpx) is not for runs without --campaign to load.
    from ..enroll import CampaignStage, with_run_tag

    if cfg.dry_run:
        creds = resolve_credentials(api_key=None, base_url=None, env_file=None)
        if not creds.api_key:
            return cfg, None
        cfg = replace(cfg, credentials=creds)
    stage = CampaignStage(cfg, campaign_id)
    return with_run_tag(cfg, stage.tag), stage


@dataclass
class CampaignOutcome:
    """What to say after the report, and the exit code it adds."""

    lines: list[str] = field(default_factory=list)  # plain lines for stderr
    error: str | None = None  # the enrollment's failure, one sentence
    interrupted: bool = False  # Ctrl-C while enrolling
    quiet_lines: int = 1  # how many of ``lines`` --quiet keeps

    def show(self, view: View, code: int, log: LogFile | None = None) -> int:
        """Print it on stderr (and in the ``--log-file``) and return the run's exit code."""
        if log is not None:
            for text in self.lines:
                log_line(log, text)
            if self.error is not None:
                log_line(log, f"error: {self.error}")
        err = err_console()
        for text in self.lines if not view.quiet else self.lines[: self.quiet_lines]:
            err.print(text, markup=False)
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.error is None:
            return code
        err.print(f"[red]Error:[/] {self.error}", markup=True)
        return next(c for c in EXIT_PRECEDENCE if c in (code, EXIT_AFTER_SENDING))


def enroll_after(
    stage: CampaignStage | None, campaign_id: str, cfg: ImportConfig, result: RunResult
) -> CampaignOutcome:
    """Enroll the imported leads (a dry run: estimate), put it in the run's report (and the
    ``--report`` file, written again), and return what to say."""
    from ..enroll import EnrollmentError, estimate

    outcome = CampaignOutcome()
    campaign: dict[str, Any] = {"id": campaign_id}
    if cfg.dry_run:
        tally = result.report.tally
        rows = max(0, tally.valid - tally.excluded)
        requests, seconds = estimate(rows, cfg.send.rate_limit, cfg.send.rate_window)
        campaign |= {"estimatedRequests": requests, "estimatedSeconds": round(seconds, 1)}
        outcome.lines.append(
            f"--campaign {campaign_id}: about {requests:,} requests to add {rows:,} leads "
            f"(plus one per lead already in the workspace), about {seconds:,.0f} s at "
            f"{cfg.send.rate_limit} requests per {cfg.send.rate_window:g} s."
        )
        if stage is None:
            outcome.lines.append("The campaign was not checked: no API key.")
        else:
            campaign |= {"name": stage.campaign.name, "status": stage.campaign.status}
            if stage.campaign.active:
                outcome.lines.append(ACTIVE_WARNING.format(id=campaign_id))
                outcome.quiet_lines = 2
    elif result.fatal is not None or result.interrupted:
        campaign["notEnrolledBecause"] = "the import did not finish"
        outcome.lines.append(
            f"Nothing was added to campaign {campaign_id}: the import did not finish; run the "
            "same command again."
        )
    else:
        assert stage is not None
        try:
            enrolled = stage.finish()
        except EnrollmentError as exc:
            campaign["notEnrolled"] = exc.not_enrolled
            outcome.error = describe(exc)
        except KeyboardInterrupt:  # the import's report is still shown; the journal has the rest
            campaign["notEnrolledBecause"] = "interrupted"
            outcome.interrupted = True
            outcome.lines.append(
                f"Interrupted while adding the leads to campaign {campaign_id}; run the same "
                "command again to add the rest (none is added twice)."
            )
        else:
            # The rows the import itself left out (never sent) are left out here too.
            tally = result.report.tally
            for why, n in (("invalid", tally.invalid), ("excluded", tally.excluded)):
                if n:
                    enrolled.left_out[why] = n
            campaign = enrolled.as_dict()
            outcome.lines += _summary(enrolled)
            outcome.quiet_lines = len(outcome.lines)
    result.report = replace(result.report, campaign=campaign)
    if cfg.outputs.report_path:  # written by the import before the enrollment ran
        try:
            write_report(cfg.outputs.report_path, result.report)
        except StorageError as exc:
            exc.sent = exc.sent or result.sent
            raise
    return outcome


def _summary(enrolled: EnrollResult) -> list[str]:
    """One line of counts (and the warning for an active campaign)."""
    c = enrolled.campaign
    left = ", ".join(f"{n:,} {why}" for why, n in sorted(enrolled.left_out.items())) or "none"
    earlier = f", {enrolled.earlier:,} by an earlier run" if enrolled.earlier else ""
    lines = [
        f"Campaign {c.name or c.id} ({c.id}): {enrolled.added:,} added, "
        f"{enrolled.already:,} already in it{earlier}; left out: {left}."
    ]
    if c.active and enrolled.added:
        lines.append(ACTIVE_WARNING.format(id=c.id))
    return lines
