"""``foxreach import``: options -> config -> run -> render -> exit code.

The options come in groups (:mod:`.option_groups`), each parsed into its part of the config;
the run itself, with its log, display, embedded sandbox and campaign, is :mod:`.import_run`'s,
imported only once the options are known to be good.
"""

from __future__ import annotations

import typer

from . import options as opt
from .errors import FailOn, user_errors
from .option_groups import (
    CredentialArgs,
    HygieneArgs,
    LeadArgs,
    OutputArgs,
    ReadArgs,
    RunArgs,
    SendArgs,
    StateArgs,
    View,
    grouped,
)


@grouped
def import_command(
    files: opt.Files,
    run: RunArgs,
    credentials: CredentialArgs,
    read: ReadArgs,
    lead: LeadArgs,
    send: SendArgs,
    hygiene: HygieneArgs,
    outputs: OutputArgs,
    view: View,
    state: StateArgs,
    campaign: opt.Campaign = None,
    fail_on: opt.FailOnOption = FailOn.errors,
) -> None:
    """Import leads from FILE(s) into FoxReach (or the sandbox, or nowhere with --dry-run)."""
    with user_errors(view.verbose):
        from ..import_config import build_config
        from .import_run import run_and_show

        cfg = build_config(
            files,
            mode=run.parse(),
            read=read.parse(),
            send=send.parse(),
            state=state.parse(),
            defaults=lead.parse(),
            hygiene=hygiene.parse(),
            outputs=outputs.parse(),
            credentials=credentials.parse(),
        )
        code = run_and_show(
            cfg,
            view,
            fail_on,
            sandbox_key=credentials.api_key,
            sandbox_db=run.sandbox_db,
            campaign=campaign,
        )
    raise typer.Exit(code)
