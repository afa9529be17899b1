"""What import --campaign says and exits with after the import (cli/import_campaign.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from foxreach_cli.cli.display import View
from foxreach_cli.cli.import_campaign import enroll_after
from foxreach_cli.details import DetailStore
from foxreach_cli.enroll import Campaign, EnrollmentError, EnrollResult
from foxreach_cli.import_config import ImportConfig
from foxreach_cli.pipeline import RunResult
from foxreach_cli.report import ImportReport
from foxreach_cli.stage_data import Tally


@dataclass
class FakeStage:
    outcome: Any
    campaign: Campaign = field(default_factory=lambda: Campaign("cmp_1", "Q", "active"))

    def finish(self) -> EnrollResult:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def result(**tally: int) -> RunResult:
    report = ImportReport(
        dry_run=False, tally=Tally(**tally), elapsed_seconds=0.1, details=DetailStore()
    )
    return RunResult(report=report, sent=True)


CFG = ImportConfig(files=("leads.csv",))


def test_enrolled_counts_go_to_the_report_and_the_warning_is_said(
    capsys: pytest.CaptureFixture[str],
) -> None:
    done = EnrollResult(Campaign("cmp_1", "Q", "active"), added=3, left_out={"status x": 1})
    run = result(valid=5, invalid=2)
    told = enroll_after(FakeStage(done), "cmp_1", CFG, run)  # type: ignore[arg-type]
    assert told.show(View(), 0) == 0
    err = capsys.readouterr().err
    assert "3 added, 0 already in it; left out: 2 invalid, 1 status x." in err
    assert "is active: adding leads to it starts sending to them" in err
    assert run.report.campaign is not None and run.report.campaign["added"] == 3


def test_a_failed_enrollment_is_exit_7_over_rejected_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    failure = EnrollmentError("adding failed; 2 not enrolled: a@x.test, b@x.test.", ["a", "b"])
    run = result()
    told = enroll_after(FakeStage(failure), "cmp_1", CFG, run)  # type: ignore[arg-type]
    assert told.show(View(), 1) == 7
    assert "2 not enrolled: a@x.test, b@x.test" in capsys.readouterr().err
    assert run.report.campaign == {"id": "cmp_1", "notEnrolled": ["a", "b"]}


def test_ctrl_c_while_enrolling_still_shows_the_import_and_exits_130(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = result()
    told = enroll_after(FakeStage(KeyboardInterrupt()), "cmp_1", CFG, run)  # type: ignore[arg-type]
    assert told.show(View(), 0) == 130
    assert "run the same command again to add the rest" in capsys.readouterr().err


def test_an_unfinished_import_enrolls_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    run = result()
    run.interrupted = True
    stage = FakeStage(AssertionError("must not enroll"))
    told = enroll_after(stage, "cmp_1", CFG, run)  # type: ignore[arg-type]
    assert told.show(View(), 130) == 130
    assert "Nothing was added to campaign cmp_1" in capsys.readouterr().err


def test_the_dry_run_estimates(capsys: pytest.CaptureFixture[str]) -> None:
    run = result(valid=250, excluded=50)
    dry = ImportConfig(files=("leads.csv",), dry_run=True)
    told = enroll_after(None, "cmp_1", dry, run)
    told.show(View(), 0)
    err = capsys.readouterr().err
    assert "about 6 requests to add 200 leads" in err
    assert "not checked: no API key" in err
    assert run.report.campaign == {"id": "cmp_1", "estimatedRequests": 6, "estimatedSeconds": 3.6}
