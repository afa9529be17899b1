"""Batching: validated rows become API lead objects (absent fields omitted), cut into batches."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pandas as pd

from foxreach_cli.batch import Batcher, UniqueRows, split_tags, to_leads
from foxreach_cli.dedup import Deduper
from foxreach_cli.mapping import Target, build_mapping
from foxreach_cli.stage_data import LEAD_FIELDS, Batch, Chunk, SourceInfo
from foxreach_cli.validate import LeadDefaults, validate_chunk

API_KEYS = {*LEAD_FIELDS, "customFields", "tags"}


def validated(columns: dict[str, list], defaults: LeadDefaults | None = None, file="a.csv", **kw):
    frame = pd.DataFrame(columns, dtype="str")
    headers = list(columns)
    mapping = build_mapping(SourceInfo(file, "csv", headers, headers), **kw)
    rows = np.arange(2, 2 + len(frame), dtype=np.int64)
    return validate_chunk(Chunk(file, frame, rows), mapping, defaults or LeadDefaults())


def test_a_full_row_becomes_a_camelcase_lead_with_trimmed_values():
    vc = validated(
        {
            "Email Address": [" Ann@Acme.com "],
            "First Name": [" Ann "],
            "Last Name": ["Lee"],
            "Company": ["Acme"],
            "Job Title": ["CEO"],
            "Phone": ["+1 415 555 0100"],
            "LinkedIn URL": ["https://linkedin.com/in/ann"],
            "Website": ["acme.com"],
            "Notes": ["met at fair"],
            "Status": ["Replied"],
            "Tags": ["vip; q1 | vip,  ,west"],
            "Industry": [" fintech "],
            "deal Size": ["10"],
        },
        LeadDefaults(source="fair-2025", tags=("imported", "q1")),
    )
    [lead] = to_leads(vc.cells, vc.valid)
    assert lead == {
        "email": "Ann@Acme.com",
        "firstName": "Ann",
        "lastName": "Lee",
        "company": "Acme",
        "title": "CEO",
        "phone": "+1 415 555 0100",
        "linkedinUrl": "https://linkedin.com/in/ann",
        "website": "acme.com",
        "notes": "met at fair",
        "source": "fair-2025",
        "status": "replied",
        "customFields": {"Industry": "fintech", "deal Size": "10"},
        "tags": ["vip", "q1", "west", "imported"],
    }
    assert list(lead)[:1] + list(lead)[-2:] == ["email", "customFields", "tags"]
    json.dumps(lead)  # plain JSON types only


def test_blank_and_missing_cells_are_omitted_never_sent_empty():
    vc = validated(
        {"Email": ["a@x.com", "b@x.com"], "Company": ["  ", None], "Region": ["", None],
         "Tags": [" , ;", None]}
    )  # fmt: skip
    assert to_leads(vc.cells, vc.valid) == [
        {"email": "a@x.com", "source": "csv_import"},
        {"email": "b@x.com", "source": "csv_import"},
    ]


def test_default_status_and_tags_apply_where_the_row_has_none():
    vc = validated(
        {"Email": ["a@x.com", "b@x.com"], "Status": ["bounced", ""]},
        LeadDefaults(status="replied", tags=("batch-7",)),
    )
    leads = to_leads(vc.cells, vc.valid)
    assert [(lead["status"], lead["tags"]) for lead in leads] == [
        ("bounced", ["batch-7"]),
        ("replied", ["batch-7"]),
    ]


def test_active_is_never_sent_so_a_restore_never_makes_an_opted_out_lead_active():
    vc = validated(
        {"Email": ["a@x.com", "b@x.com"], "Status": ["active", "unsubscribed"]},
        LeadDefaults(status="active"),
    )
    leads = to_leads(vc.cells, vc.valid)
    assert [lead.get("status") for lead in leads] == [None, "unsubscribed"]


def test_several_tag_columns_merge_in_column_order_without_repeats():
    vc = validated(
        {"Email": ["a@x.com"], "Tags": ["b, a"], "Segment": ["a|c"]},
        overrides={"Segment": Target("tags")},
    )
    assert to_leads(vc.cells, vc.valid)[0]["tags"] == ["b", "a", "c"]


def test_split_tags_handles_every_separator():
    assert split_tags(" a, b;c |d ,, ") == ["a", "b", "c", "d"]
    assert split_tags(None) == [] and split_tags(float("nan")) == []


def test_batches_take_each_rows_own_cells_and_never_mix_files():
    d = Deduper()
    parts = []
    for file, emails, companies in (
        ("a.csv", ["a@x.com", "b@x.com"], ["A", "B"]),
        ("a.csv", ["c@x.com"], ["C"]),
        ("b.csv", ["d@x.com", "A@x.com", "e@x.com"], ["D", "dup", "E"]),
    ):
        vc = validated({"Email": emails, "Company": companies}, file=file)
        unique, _ = d.split(vc)
        parts.append(UniqueRows(file, vc.cells, unique))
    batches = list(Batcher(iter(parts), size=2))
    assert [(b.seq, b.files, b.rows) for b in batches] == [
        (0, ["a.csv", "a.csv"], [2, 3]),
        (1, ["a.csv"], [2]),  # the file changes: a.csv's last row goes alone
        (2, ["b.csv", "b.csv"], [2, 4]),
    ]
    leads = [orjson.loads(b"[" + b.payload() + b"]") for b in batches]
    assert [[(lead["email"], lead["company"]) for lead in part] for part in leads] == [
        [("a@x.com", "A"), ("b@x.com", "B")],
        [("c@x.com", "C")],
        [("d@x.com", "D"), ("e@x.com", "E")],
    ]
    assert [b.emails for b in batches] == [
        ["a@x.com", "b@x.com"],
        ["c@x.com"],
        ["d@x.com", "e@x.com"],
    ]


def test_drain_hands_back_what_was_not_cut_yet():
    vc = validated({"Email": [f"u{i}@x.com" for i in range(5)]})
    batcher = Batcher(iter([UniqueRows("a.csv", vc.cells, vc.valid)]), size=3)
    it = iter(batcher)
    first = next(it)
    assert first.rows == [2, 3, 4]
    left = list(batcher.drain())
    assert [p.rows["row"].tolist() for p in left] == [[5, 6]]


def test_slices_of_a_validated_frame_build_only_their_rows():
    vc = validated({"Email": [f"u{i}@x.com" for i in range(2500)], "Title": ["T"] * 2500})
    leads = [
        lead
        for s in range(0, 2500, 1000)
        for lead in to_leads(vc.cells, vc.valid.iloc[s : s + 1000])
    ]
    assert [lead["email"] for lead in leads] == [f"u{i}@x.com" for i in range(2500)]
    assert all(set(lead) <= API_KEYS for lead in leads)
    assert to_leads(vc.cells, vc.valid.iloc[:0]) == []


def test_a_batch_keeps_its_leads_encoded_and_hands_out_any_subset():
    leads = [{"email": f"u{i}@x.io", "tags": ["a", "b"]} for i in range(5)]
    batch = Batch.of(0, ["f"] * 5, [2, 3, 4, 5, 6], [x["email"] for x in leads], leads)
    assert len(batch) == 5
    assert orjson.loads(b"[" + batch.payload() + b"]") == leads
    assert orjson.loads(b"[" + batch.payload([1, 3]) + b"]") == [leads[1], leads[3]]
    assert orjson.loads(b"[" + batch.payload([4]) + b"]") == [leads[4]]
