"""DEDUP stage: one lead per email (any case or spacing) across a run; first occurrence wins."""

from __future__ import annotations

import numpy as np
import pandas as pd

from foxreach_cli.dedup import Deduper, python_hash
from foxreach_cli.mapping import build_mapping
from foxreach_cli.reasons import ReasonCode
from foxreach_cli.stage_data import Chunk, SourceInfo
from foxreach_cli.validate import ValidatedChunk, validate_chunk

INFO = SourceInfo("x", "csv", ["Email", "Name"], ["Email", "Name"])
MAPPING = build_mapping(INFO)


def worded(dups: pd.DataFrame) -> pd.DataFrame:
    """Duplicate rows with their reason in words instead of its code and parameters."""
    codes = [ReasonCode.parse(c) for c in dups["code"]]
    reason = [c.text(c.unpack(p)) for c, p in zip(codes, dups["params"], strict=True)]
    return dups.drop(columns=["code", "params", "carried", "late"]).assign(reason=reason)


def validated(emails: list[str], *, file: str = "a.csv", first_row: int = 2) -> ValidatedChunk:
    frame = pd.DataFrame({"Email": emails, "Name": [f"n{i}" for i in range(len(emails))]})
    rows = np.arange(first_row, first_row + len(emails), dtype=np.int64)
    return validate_chunk(Chunk(file, frame.astype("str"), rows), MAPPING)


def test_within_a_chunk_the_first_occurrence_wins_whatever_the_case_or_spacing():
    vc = validated(["Ann@X.com", "bob@x.com", " ann@x.COM ", "ANN@X.COM", "bob@x.com"])
    unique, dups = Deduper().split(vc)
    dups = worded(dups)
    assert unique["row"].tolist() == [2, 3]
    assert unique["email"].tolist() == ["Ann@X.com", "bob@x.com"]
    assert list(unique.columns) == list(vc.valid.columns)
    assert dups.to_dict("records") == [
        {"row": 4, "email": "ann@x.COM", "reason": "duplicate of row 2", "first_file": "a.csv",
         "first_row": 2},
        {"row": 5, "email": "ANN@X.COM", "reason": "duplicate of row 2", "first_file": "a.csv",
         "first_row": 2},
        {"row": 6, "email": "bob@x.com", "reason": "duplicate of row 3", "first_file": "a.csv",
         "first_row": 3},
    ]  # fmt: skip


def test_across_chunks_and_files_the_earlier_row_wins_and_the_reason_names_its_file():
    d = Deduper()
    u1, d1 = d.split(validated(["a@x.com", "b@x.com"], first_row=2))
    u2, d2 = d.split(validated(["c@x.com", "A@x.com"], first_row=4))
    u3, d3 = d.split(validated(["B@X.COM", "c@x.com", "d@x.com"], file="b.csv"))
    assert (u1["row"].tolist(), u2["row"].tolist(), u3["row"].tolist()) == ([2, 3], [4], [4])
    assert d1.empty
    assert worded(d2)[["row", "reason"]].values.tolist() == [[5, "duplicate of row 2"]]
    assert worded(d3)[["row", "reason", "first_file", "first_row"]].values.tolist() == [
        [2, "duplicate of row 3 in a.csv", "a.csv", 3],
        [3, "duplicate of row 4 in a.csv", "a.csv", 4],
    ]
    assert len(d) == 4  # a, b, c, d


def test_empty_chunk_and_duplicate_frame_columns():
    unique, dups = Deduper().split(validated([]))
    assert unique.empty and dups.empty
    assert list(dups.columns) == [
        "row",
        "email",
        "code",
        "params",
        "first_file",
        "first_row",
        "carried",
        "late",
    ]


def test_unique_rows_keep_their_data_for_sending():
    from foxreach_cli.batch import to_leads

    vc = validated(["a@x.com", "A@x.com", "b@x.com"])
    unique, _ = Deduper().split(vc)
    leads = to_leads(vc.cells, unique)
    # "Name" is no lead field, so it travels as a custom field of the surviving rows.
    assert [(lead["email"], lead["customFields"]["Name"]) for lead in leads] == [
        ("a@x.com", "n0"),
        ("b@x.com", "n2"),
    ]


def same_hash(keys: np.ndarray) -> np.ndarray:
    """A hash function under which every key collides with every other."""
    return np.full(len(keys), 7, dtype=np.uint64)


def test_different_emails_sharing_a_hash_are_both_kept_and_true_duplicates_still_found():
    with Deduper(hash_keys=same_hash) as d:
        u1, d1 = d.split(validated(["a@x.com", "b@x.com", "A@X.com"]))
        u2, d2 = d.split(validated(["c@x.com", "B@x.com", "d@x.com", "c@x.com"], first_row=5))
        u3, d3 = d.split(validated(["D@x.com", "e@x.com"], file="b.csv"))
        assert u1["email"].tolist() == ["a@x.com", "b@x.com"]
        assert u2["email"].tolist() == ["c@x.com", "d@x.com"]
        assert u3["email"].tolist() == ["e@x.com"]
        assert worded(d1)[["row", "reason"]].values.tolist() == [[4, "duplicate of row 2"]]
        assert worded(d2)[["row", "reason"]].values.tolist() == [
            [6, "duplicate of row 3"],
            [8, "duplicate of row 5"],
        ]
        assert worded(d3)[["row", "reason", "first_file", "first_row"]].values.tolist() == [
            [2, "duplicate of row 7 in a.csv", "a.csv", 7]
        ]
        assert len(d) == 5


def _weak_hash(keys: np.ndarray) -> np.ndarray:
    return python_hash(keys) & np.uint64(3)  # four hash values: collisions everywhere


# -- opt-outs survive dedup ---------------------------------------------------------------------

STAGED = SourceInfo("x", "csv", ["Email", "First Name", "Stage"], ["Email", "First Name", "Stage"])
STAGED_MAPPING = build_mapping(STAGED)


def staged(rows: list[tuple[str, str]], *, file: str = "a.csv", first_row: int = 2):
    """A validated chunk of (email, stage) rows; a stage that is an opt-out word opts out."""
    frame = pd.DataFrame(
        {
            "Email": [e for e, _ in rows],
            "First Name": ["Ann"] * len(rows),
            "Stage": [s for _, s in rows],
        }
    )
    numbers = np.arange(first_row, first_row + len(rows), dtype=np.int64)
    return validate_chunk(Chunk(file, frame, numbers), STAGED_MAPPING)


def test_a_later_opting_out_copy_in_the_same_chunk_opts_the_kept_lead_out():
    vc = staged([("dup@x.com", "Lead"), ("other@x.com", "Lead"), ("DUP@x.com", "Unsubscribed")])
    unique, dups = Deduper().split(vc)
    assert unique["row"].tolist() == [2, 3]
    assert unique["status"].tolist() == ["unsubscribed", None]
    (d,) = dups.to_dict("records")
    assert (d["row"], d["code"], d["carried"], d["late"]) == (
        4,
        "opt_out_carried",
        "unsubscribed",
        False,
    )
    assert d["code"].text(d["code"].unpack(d["params"])) == (
        "duplicate of row 2; its opt-out (unsubscribed) is kept on that lead"
    )


def test_unsubscribed_wins_over_bounced_and_an_equal_or_weaker_copy_carries_nothing():
    vc = staged(
        [
            ("a@x.com", "Bounced"),
            ("a@x.com", "Bounced"),  # nothing new
            ("a@x.com", "Unsubscribed"),  # raises bounced to unsubscribed
            ("a@x.com", "Bounced"),  # weaker
            ("b@x.com", "Unsubscribed"),
            ("b@x.com", "Lead"),  # never the other way
        ]
    )
    unique, dups = Deduper().split(vc)
    assert unique["status"].tolist() == ["unsubscribed", "unsubscribed"]
    assert dups["carried"].tolist() == [None, "unsubscribed", None, None]
    assert dups["code"].tolist() == [
        "duplicate_of",
        "opt_out_carried",
        "duplicate_of",
        "duplicate_of",
    ]


def test_a_copy_in_a_later_chunk_or_file_marks_the_carry_late_once():
    with Deduper() as d:
        u1, _ = d.split(staged([("dup@x.com", "Lead")]))
        u2, d2 = d.split(staged([("DUP@x.com", "Bounced")], first_row=3))
        u3, d3 = d.split(
            staged([("dup@x.com", "bounced"), ("Dup@x.com", "Unsubscribed")], file="b.csv")
        )
        u4, d4 = d.split(staged([("dup@x.com", "Unsubscribed")], file="b.csv", first_row=9))
    assert u1["status"].tolist() == [None] and u2.empty and u3.empty and u4.empty
    assert d2[["carried", "late"]].values.tolist() == [["bounced", True]]
    assert d3[["carried", "late"]].values.tolist() == [[None, False], ["unsubscribed", True]]
    code = d3["code"].iat[1]
    assert code.text(code.unpack(d3["params"].iat[1])) == (
        "duplicate of row 2 in a.csv; its opt-out (unsubscribed) is kept on that lead"
    )
    assert d4["carried"].tolist() == [None]  # the kept status was raised in the spill file


def test_carries_are_exact_under_hash_collisions():
    def same_hash(keys: np.ndarray) -> np.ndarray:
        return np.zeros(len(keys), dtype=np.uint64)

    with Deduper(hash_keys=same_hash) as d:
        d.split(staged([("a@x.com", "Lead"), ("b@x.com", "Lead")]))
        _, d2 = d.split(staged([("b@x.com", "Unsubscribed"), ("c@x.com", "Lead")], first_row=4))
        _, d3 = d.split(staged([("a@x.com", "Bounced"), ("b@x.com", "Bounced")], first_row=6))
    assert d2[["row", "first_row", "carried", "late"]].values.tolist() == [
        [4, 3, "unsubscribed", True]
    ]
    assert d3[["row", "first_row", "carried"]].values.tolist() == [[6, 2, "bounced"], [7, 3, None]]
