"""The one place a run learns that a write failed: the first failure stops sending once, later
ones are kept, and a failure after leads were sent says what a rerun will do."""

from __future__ import annotations

from foxreach_cli.errors import StorageError
from foxreach_cli.progress import Progress
from foxreach_cli.reasons import ReasonCode, Rejection
from foxreach_cli.stop_signal import StopSignal


class Sender:
    def __init__(self) -> None:
        self.stops: list[tuple[StorageError, Rejection]] = []

    def stop(self, error: StorageError, reason: Rejection) -> None:
        self.stops.append((error, reason))


def full(name: str) -> StorageError:
    error = StorageError(f"{name} cannot be written: the disk is full.")
    error.disk_full = True
    return error


def test_the_first_failed_write_stops_the_sender_once() -> None:
    signal, sender = StopSignal(), Sender()
    signal.sending(sender)
    signal.failed(first := full("journal.sqlite"))
    signal.failed(full("log.txt"))  # the stop's own note may fail: nothing more happens
    assert signal.stopped and signal.failure is first
    assert [error for error, _ in sender.stops] == [first]
    assert sender.stops[0][1].code is ReasonCode.NOT_SENT_STOPPED


def test_a_failure_before_sending_starts_is_recorded_and_stops_nothing_yet() -> None:
    signal, sender = StopSignal(), Sender()
    signal.failed(first := full("spill"))
    signal.sending(sender)
    assert signal.failure is first and sender.stops == []


def test_a_failure_after_sending_says_what_was_imported_and_what_a_rerun_does() -> None:
    signal = StopSignal()
    signal.failed(full("journal.sqlite"))
    assert signal.fatal(None, imported=3, journal="none") is signal.failure  # nothing sent
    signal.sent = True
    late = signal.fatal(None, imported=1_200, journal="kept")
    assert isinstance(late, StorageError) and late.sent and late.disk_full
    assert "1,200 leads were already imported" in late.describe()
    assert "once there is room: nothing is sent twice" in late.describe()
    lost = signal.fatal(None, imported=1, journal="lost").describe()  # type: ignore[union-attr]
    assert "1 lead was already imported" in lost and "may send some again" in lost


def test_a_progress_display_that_cannot_write_stops_sending_instead_of_failing() -> None:
    class FullLog(Progress):
        def note(self, text: str) -> None:
            raise full("run.log")

    signal = StopSignal()
    guarded = signal.guard(FullLog())
    guarded.note("halfway")  # no exception: the run goes on to account for every row
    assert signal.stopped and "run.log" in signal.failure.message  # type: ignore[union-attr]
