"""``import --campaign ID`` in the CLI: check the campaign before anything is sent, enroll after
the import, say what became of the leads (and, for a dry run, what it would cost)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rich.console import Console

from ..credentials import resolve_credentials
from ..enroll import CampaignStage, EnrollmentError, EnrollResult, estimate, with_run_tag
from ..errors import FoxReachImportError
from .errors import EXIT_AFTER_SENDING, EXIT_PRECEDENCE, describe, err_console

if TYPE_CHECKING:
    from ..import_config import ImportConfig
    from ..pipeline import RunResult
    from .display import View

ACTIVE_WARNING = "Campaign {id} is active: adding leads to it starts sending to them."


def open_stage(cfg: ImportConfig, campaign_id: str) -> tuple[ImportConfig, CampaignStage | None]:
    """The run's config (its leads tagged with the run's tag) and the checked campaign stage;
    for a dry run, the stage only when a key is at hand (it then reads the campaign)."""
    if cfg.dry_run:
        creds = resolve_credentials(api_key=None, base_url=None, env_file=None)
        if not creds.api_key:
            return cfg, None
        cfg = replace(cfg, credentials=creds)
    stage = CampaignStage(cfg, campaign_id)
    return with_run_tag(cfg, stage.tag), stage


def after_import(
    stage: CampaignStage | None,
    campaign_id: str,
    cfg: ImportConfig,
    result: RunResult,
    view: View,
    code: int,
) -> int:
    """Enroll (or, for a dry run, estimate), show it, and return the run's exit code."""
    err = err_console()
    if cfg.dry_run:
        tally = result.report.tally
        rows = max(0, tally.valid - tally.excluded)
        requests, seconds = estimate(rows, cfg.send.rate_limit, cfg.send.rate_window)
        if not view.quiet:
            err.print(
                f"--campaign {campaign_id}: about {requests:,} requests to add {rows:,} leads "
                f"(plus one per lead already in the workspace), about {seconds:,.0f} s at "
                f"{cfg.send.rate_limit} requests per {cfg.send.rate_window:g} s.",
                markup=False,
            )
        if stage is None:
            err.print("The campaign was not checked: no API key.", markup=False)
        elif stage.campaign.active:
            err.print(ACTIVE_WARNING.format(id=campaign_id), markup=False)
        return code
    assert stage is not None
    if result.fatal is not None or result.interrupted:
        err.print(
            f"Nothing was added to campaign {campaign_id}: the import did not finish; run the "
            "same command again.",
            markup=False,
        )
        return code
    try:
        enrolled = stage.finish()
    except EnrollmentError as exc:
        err.print(f"[red]Error:[/] {describe(exc)}", markup=True)
        return _worst(code, EXIT_AFTER_SENDING)
    except FoxReachImportError as exc:  # pragma: no cover - run() wraps every error
        err.print(f"[red]Error:[/] {describe(exc)}", markup=True)
        return _worst(code, EXIT_AFTER_SENDING)
    # The rows the import itself left out (never sent) are left out of the campaign too.
    tally = result.report.tally
    for why, n in (("invalid", tally.invalid), ("excluded", tally.excluded)):
        if n:
            enrolled.left_out[why] = n
    show_enrollment(enrolled, view, err)
    return code


def show_enrollment(enrolled: EnrollResult, view: View, err: Console) -> None:
    """One line of counts (and the warning for an active campaign)."""
    c = enrolled.campaign
    left = ", ".join(f"{n:,} {why}" for why, n in sorted(enrolled.left_out.items())) or "none"
    earlier = f", {enrolled.earlier:,} by an earlier run" if enrolled.earlier else ""
    err.print(
        f"Campaign {c.name or c.id} ({c.id}): {enrolled.added:,} added, "
        f"{enrolled.already:,} already in it{earlier}; left out: {left}.",
        markup=False,
    )
    if c.active and enrolled.added:
        err.print(ACTIVE_WARNING.format(id=c.id), markup=False)


def _worst(code: int, other: int) -> int:
    return next(c for c in EXIT_PRECEDENCE if c in (code, other)) if code else other
