"""The command line's options are declared once: import and map share the reading options, and
every group's defaults are the config's (defaults.py), whatever the command."""

from __future__ import annotations

import math

import pytest
import typer.main

from foxreach_cli.cli import app
from foxreach_cli.cli.option_groups import HygieneArgs, LeadArgs, ReadArgs, SendArgs
from foxreach_cli.errors import UsageError
from foxreach_cli.import_config import HygieneOptions, ReadOptions
from foxreach_cli.send import SendPolicy
from foxreach_cli.validate import LeadDefaults

READING = {
    "--sheet",
    "--encoding",
    "--delimiter",
    "--header-row",
    "--map",
    "--mapping",
    "--unmapped",
}


def _options(command: str) -> dict[str, tuple[object, str | None]]:
    cmd = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    return {
        p.opts[0]: (p.default, p.help)
        for p in cmd.params
        if getattr(p, "param_type_name", "") == "option"
    }


def test_import_and_map_take_the_same_reading_options_with_the_same_defaults_and_help() -> None:
    imported, mapped = _options("import"), _options("map")
    assert set(imported) >= READING and set(mapped) >= READING
    assert {o: imported[o] for o in READING} == {o: mapped[o] for o in READING}


def test_an_option_not_given_means_the_configs_default() -> None:
    assert ReadArgs().parse() == ReadOptions()
    assert LeadArgs().parse() == LeadDefaults()
    assert SendArgs().parse() == SendPolicy()
    assert HygieneArgs().parse() == HygieneOptions()


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_retry_backoff_is_the_first_retrys_longest_wait_and_a_positive_number(bad: float) -> None:
    assert SendArgs(retry_backoff=0.05).parse().backoff_base == 0.05
    with pytest.raises(UsageError) as refused:
        SendArgs(retry_backoff=bad).parse()
    assert str(refused.value) == "retry_backoff must be a positive number of seconds."
