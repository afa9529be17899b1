"""The report: merging server answers back onto rows, the identity, the rejected CSV."""

from __future__ import annotations

import csv
import json
from functools import partial

import numpy as np
import pytest

from foxreach_cli.details import DetailPart, DetailStore
from foxreach_cli.outputs import neutralise_formula, write_rejected_csv
from foxreach_cli.read import open_source, read_rows
from foxreach_cli.reasons import EARLIER_PREFIX, RETRY_DUPLICATE, ReasonCode
from foxreach_cli.reconcile import reconcile
from foxreach_cli.report import (
    DedupInfo,
    FileSummary,
    ReadInfo,
    ReportFold,
    SendInfo,
    UnsentInfo,
    ValidateInfo,
)
from foxreach_cli.stage_data import (
    DUPLICATE,
    ERROR,
    INVALID,
    NOT_SENT,
    UNRESOLVED,
    Batch,
    BatchResult,
    Reply,
)
from tests.accounting import assert_accounted


def make_batch(n: int, *, start_row: int = 2, file: str = "a.csv") -> Batch:
    return Batch.of(
        seq=0,
        files=[file] * n,
        rows=list(range(start_row, start_row + n)),
        emails=[f"Lead{i}@Example.com" for i in range(n)],
        leads=[{"email": f"Lead{i}@Example.com"} for i in range(n)],
    )


def answer(created=0, restored=0, duplicates=0, errors=0, dup_emails=(), error_details=()):
    return {
        "created": created,
        "restored": restored,
        "duplicates": duplicates,
        "errors": errors,
        "duplicateEmails": list(dup_emails),
        "errorDetails": list(error_details),
    }


def builder_with(batch: Batch, result: BatchResult) -> ReportFold:
    b = ReportFold([FileSummary("a.csv", "csv", "utf-8", ",", None, [])], dry_run=False)
    b.add(ReadInfo("a.csv", len(batch)))
    b.add(DedupInfo("a.csv", len(batch), local("a.csv", [], [], "duplicate_of", DUPLICATE)))
    b.add(SendInfo("a.csv", result.requests, result.retries, result.rate_limited,
                   reconcile(batch, result)))  # fmt: skip
    return b


def local(file: str, rows: list[int], emails: list[str], code: str, kind: str, params=""):
    """Rows rejected by a local stage, all for one reason."""
    return DetailPart.of(file, rows, emails, kind, code, params)


def kinds(report) -> dict[int, str]:
    return {d.row: d.kind for d in report.records()}


def test_listed_duplicates_and_errors_map_back_to_rows_case_insensitively():
    batch = make_batch(5)
    data = answer(
        created=3,
        duplicates=1,
        errors=1,
        dup_emails=["lead1@example.com"],
        error_details=[{"email": "LEAD3@EXAMPLE.COM", "reason": "bad"}],
    )
    report = builder_with(batch, BatchResult(replies=[Reply(list(range(5)), data)])).finish(
        elapsed=1
    )
    assert kinds(report) == {3: DUPLICATE, 5: ERROR}
    assert_accounted(report.to_dict())
    assert report.to_dict()["errorDetails"] == [
        {
            "file": "a.csv",
            "row": 5,
            "email": "Lead3@Example.com",
            "code": "server_error",
            "reason": "refused by the server: bad",
            "params": {"why": "bad"},
        }
    ]
    assert report.to_dict()["duplicateEmails"] == ["Lead1@Example.com"]


def test_more_duplicates_than_listed_names_the_unresolved_rows_instead_of_guessing():
    batch = make_batch(300)
    listed = [f"lead{i}@example.com" for i in range(100)]
    data = answer(created=150, duplicates=150, dup_emails=listed)
    report = builder_with(batch, BatchResult(replies=[Reply(list(range(300)), data)])).finish(
        elapsed=1
    )
    k = kinds(report)
    assert sum(v == DUPLICATE for v in k.values()) == 100
    assert report.unresolved == 200  # the 200 rows not listed: 150 created, 50 duplicates
    assert report.tally.duplicates == 150 and report.tally.created == 150
    assert_accounted(report.to_dict())


def test_unlisted_rows_are_resolved_when_the_counts_leave_no_doubt():
    batch = make_batch(250)
    listed = [f"lead{i}@example.com" for i in range(100)]
    data = answer(duplicates=250, dup_emails=listed)
    report = builder_with(batch, BatchResult(replies=[Reply(list(range(250)), data)])).finish(
        elapsed=1
    )
    assert report.unresolved == 0
    assert set(kinds(report).values()) == {DUPLICATE}
    assert len(report.details) == 250


def test_duplicates_of_a_resent_request_are_marked_as_probably_ours():
    batch = make_batch(3)
    data = answer(duplicates=3, dup_emails=[e.lower() for e in batch.emails])
    result = BatchResult(replies=[Reply([0, 1, 2], data, ambiguous=True)], retries=1)
    report = builder_with(batch, result).finish(elapsed=1)
    assert report.tally.retry_duplicates == 3
    assert {d.reason for d in report.records()} == {RETRY_DUPLICATE}
    assert report.to_dict()["duplicatesFromRetries"] == 3


def test_rejected_and_not_sent_items_are_accounted():
    batch = make_batch(4)
    result = BatchResult(
        replies=[Reply([0, 1], answer(created=2))],
        rejected=[(2, "customFields must be an object")],
        not_sent={3: ReasonCode.NOT_SENT_PLAN_LIMIT.of()},
        requests=5,
    )
    report = builder_with(batch, result).finish(elapsed=1)
    assert kinds(report) == {4: ERROR, 5: NOT_SENT}
    assert report.tally.created == 2 and report.tally.errors == 1 and report.tally.not_sent == 1
    assert_accounted(report.to_dict())
    assert report.to_dict()["notSentReasons"] == {"plan contact limit reached (402)": 1}


def test_a_server_answer_that_does_not_add_up_still_accounts_for_every_row():
    batch = make_batch(4)
    report = builder_with(batch, BatchResult(replies=[Reply([0, 1, 2, 3], answer(created=3))]))
    final = report.finish(elapsed=1)
    assert_accounted(final.to_dict())
    assert final.tally.errors == 1


def test_local_rejections_count_into_merged_totals():
    b = ReportFold([FileSummary("a.csv", "csv", "utf-8", ",", None, [])], dry_run=True)
    b.add(ReadInfo("a.csv", 6))
    b.add(ValidateInfo("a.csv", local("a.csv", [2], [""], "missing_email", INVALID)))
    b.add(DedupInfo("a.csv", 4, local("a.csv", [4], ["A@x.io"], "duplicate_of", DUPLICATE, "3")))
    not_sent = local("a.csv", [3, 5, 6, 7], list("abcd"), "not_sent_interrupted", NOT_SENT)
    b.add(UnsentInfo("a.csv", 4, not_sent))
    r = b.finish(elapsed=0.5)
    t = r.tally
    assert (t.rows_read, t.valid, t.invalid, t.local_duplicates) == (6, 4, 1, 1)
    assert (t.errors, t.duplicates, t.not_sent) == (1, 1, 4)
    assert t.rows_read == t.valid + t.invalid + t.local_duplicates
    assert_accounted(r.to_dict())
    assert [d.row for d in r.records()] == [2, 3, 4, 5, 6, 7]  # sorted by row for people
    assert r.to_dict()["duplicateDetails"] == [
        {"file": "a.csv", "row": 4, "email": "A@x.io", "code": "duplicate_of",
         "reason": "duplicate of row 3", "params": {"row": "3"}}
    ]  # fmt: skip
    assert r.to_json() == json.dumps(r.to_dict(), indent=2, ensure_ascii=False)


def test_the_streamed_json_is_the_indented_json_of_the_report_across_slices():
    # More rows than one orjson call encodes (report._SLICE), with text that needs escaping.
    b = ReportFold([FileSummary("a.csv", "csv", "utf-8", ",", None, [])], dry_run=True)
    n = 1300
    b.add(ReadInfo("a.csv", n + 1))
    emails = [f'é{i}"\t\u2028@x.io' for i in range(n)]
    b.add(DedupInfo("a.csv", 1, local("a.csv", list(range(3, n + 3)), emails, "duplicate_of",
                                      DUPLICATE, "2")))  # fmt: skip
    r = b.finish(elapsed=1.23456)
    assert r.to_json() == json.dumps(r.to_dict(), indent=2, ensure_ascii=False)
    assert len(r.to_dict()["duplicateDetails"]) == n
    assert r.to_dict()["duplicateDetails"][0]["params"] == {"row": "2"}


@pytest.mark.parametrize(
    "cell, expected",
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1 415 555 0100", "'+1 415 555 0100"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("'quoted", "''quoted"),  # escaped, so reading the file back restores it
    ],
)
def test_formula_cells_are_neutralised(cell, expected):
    assert neutralise_formula(cell) == expected


def test_rejected_csv_has_original_columns_row_and_reason(tmp_path):
    b = ReportFold([FileSummary("a.csv", "csv", "utf-8", ",", None, [])], dry_run=True)
    b.add(ReadInfo("a.csv", 3))
    b.add(ValidateInfo("a.csv", local("a.csv", [3], ["x"], "recorded", INVALID, "invalid email")))
    report = b.finish(elapsed=0)
    originals = {2: ["ok@x.io", "Ann"], 3: ["x", "=cmd()"], 4: ["b@x.io", "Bo"]}

    def read_rows(rows):
        for r in sorted(rows):
            yield r, originals[r]

    out = tmp_path / "rejected.csv"
    n = write_rejected_csv(out, report, [("a.csv", ["Email", "Name"], read_rows)])
    assert n == 1
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["Email", "Name", "row", "reason"], ["x", "'=cmd()", "3", "invalid email"]]


def test_rejected_csv_of_several_files_keeps_every_column_and_names_the_file(tmp_path):
    files = ("a.csv", "b.csv")
    b = ReportFold([FileSummary(f, "csv", "utf-8", ",", None, []) for f in files], dry_run=True)
    for f in files:
        b.add(ReadInfo(f, 1))
        b.add(ValidateInfo(f, local(f, [2], [""], "missing_email", INVALID)))
    report = b.finish(elapsed=0)
    sources = [
        ("a.csv", ["Email", "Name", "Name"], lambda rows: iter([(2, ["", "A", "A2"])])),
        ("b.csv", ["Email", "Phone"], lambda rows: iter([(2, ["", "+1"])])),
    ]
    out = tmp_path / "rejected.csv"
    write_rejected_csv(out, report, sources)
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["file", "Email", "Name", "Name", "Phone", "row", "reason"]
    assert rows[1] == ["a.csv", "", "A", "A2", "", "2", "missing email"]
    assert rows[2] == ["b.csv", "", "", "", "'+1", "2", "missing email"]


def test_unresolved_rows_are_listed_in_the_json():
    batch = make_batch(201)
    data = answer(
        created=1,
        errors=200,
        error_details=[{"email": f"lead{i}@example.com", "reason": "x"} for i in range(100)],
    )
    report = builder_with(batch, BatchResult(replies=[Reply(list(range(201)), data)])).finish(
        elapsed=1
    )
    d = report.to_dict()
    assert d["unresolved"] == 101
    assert len(d["unresolvedRows"]) == 101
    assert {k for k in kinds(report).values()} == {ERROR, UNRESOLVED}


def test_detail_store_gives_back_every_row_sorted_by_file_and_row():
    store = DetailStore()
    store.add(DetailPart.of("b.csv", [3], ["A@x.com"], DUPLICATE, "duplicate_of", "2\x1fa.csv"))
    store.add(DetailPart.of("a.csv", np.array([9, 2, 5]), ["日本@x.jp", "", "zoë@x.com"],
                            INVALID, ["missing_email", "missing_email", "bad_status"],
                            ["", "", "x"]))  # fmt: skip
    store.add(DetailPart.of("b.csv", [], [], DUPLICATE, "duplicate_of"))
    assert len(store) == 4
    got = [(d.file, d.row, d.email, d.kind, d.text) for d in store.records(order=["a.csv"])]
    assert got == [
        ("a.csv", 2, "", INVALID, "missing email"),
        ("a.csv", 5, "zoë@x.com", INVALID,
         "status 'x' is not one of active, bounced, unsubscribed, replied"),
        ("a.csv", 9, "日本@x.jp", INVALID, "missing email"),
        ("b.csv", 3, "A@x.com", DUPLICATE, "duplicate of row 2 in a.csv"),
    ]  # fmt: skip


def test_rejected_csv_streams_each_files_rows_in_order_with_the_last_reason_of_a_row(tmp_path):
    src = tmp_path / "leads.csv"
    src.write_text("Email,Name\nbad@,A\n\nok@example.com,C\nagain@,D\n", encoding="utf-8")
    b = ReportFold([FileSummary(str(src), "csv", "utf-8", ",", None, [])], dry_run=True)
    b.add(ReadInfo(str(src), 3))
    # Added out of order; row 5 twice (a later stage's reason wins, as before); row 3 is
    # blank in the file and row 9 beyond its end: neither is written.
    b.add(
        ValidateInfo(str(src), local(str(src), [5, 2, 9], ["", "", ""], "missing_email", INVALID))
    )
    b.add(ValidateInfo(str(src), local(str(src), [3, 5], ["", ""], "invalid_email", INVALID, "x")))
    report = b.finish(elapsed=0)
    out = tmp_path / "rejected.csv"
    with open_source(str(src)) as source:
        written = write_rejected_csv(
            out, report, [(str(src), source.info.headers, partial(read_rows, source))]
        )
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert written == 2
    assert rows == [
        ["Email", "Name", "row", "reason"],
        ["bad@", "A", "2", "missing email"],
        ["again@", "D", "5", "invalid email: x"],
    ]


def test_records_come_in_file_and_row_order_across_parts_and_slices():
    # Three parts whose rows interleave, more rows than one slice of records (1024).
    store = DetailStore()
    for k, (kind, code) in enumerate([(INVALID, "missing_email"), (DUPLICATE, "duplicate_of"),
                                      (ERROR, "server_error")]):  # fmt: skip
        rows = list(range(2 + k, 4500, 3))
        params = [str(r) for r in rows] if code != "missing_email" else ""
        store.add(DetailPart.of("a.csv", rows, [f"r{r}@x.io" for r in rows], kind, code, params))
    store.add(DetailPart.of("b.csv", [5, 2], ["b5@x.io", "b2@x.io"], ERROR, "not_mentioned"))
    one_by_one = sorted(
        (p.record(i) for p in store.parts for i in range(len(p))),
        key=lambda d: (d.file != "b.csv", d.row),
    )
    assert list(store.records(order=["b.csv"])) == one_by_one
    assert [d.row for d in store.records([DUPLICATE])] == list(range(3, 4500, 3))
    # Columns (the JSON report's entries) hold what the records hold, in their order, an
    # earlier run's rows with their prefix.
    store.add(DetailPart.of("a.csv", [7], ["e@x.io"], INVALID, "missing_email", earlier=True))
    records = list(store.records(order=["b.csv"]))
    columns = list(store.columns(order=["b.csv"]))
    assert [
        (c.file, row, email, kind, code, params, c.earlier, reason)
        for c in columns
        for row, email, kind, code, params, reason in zip(
            c.rows, c.emails, c.kinds, c.codes, c.params, c.reasons(), strict=True
        )
    ] == [(*d, d.text) for d in records]
    assert any(d.earlier and d.text.startswith(EARLIER_PREFIX) for d in records)
    one_by_one = records
    # The emails alone (the report's duplicateEmails) come in the records' order.
    assert list(store.emails(order=["b.csv"])) == [d.email for d in one_by_one]
    assert list(store.emails([DUPLICATE, ERROR])) == [
        d.email for d in store.records([DUPLICATE, ERROR])
    ]
