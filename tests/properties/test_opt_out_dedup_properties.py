"""Issue 25: for any file, shuffling its rows never turns an opted-out person into an active
lead. Dedup keeps the first row of each email; an opt-out in any of a person's rows must end
on the lead kept, whichever row comes first and however the rows fall into chunks.

A generated CSV goes through the real reader (chunks as small as one row), the mapping,
validation and the deduper; the status the workspace ends with is the kept row's status as
sent, raised by the updates of late carries (what ``optout_updates`` PATCHes). The sandbox
round trip is in tests/e2e/test_opt_out_dedup_stored.py.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foxreach_cli.dedup import OPT_OUT_RANK, Deduper
from foxreach_cli.mapping import build_mapping
from foxreach_cli.optout_updates import late_carries
from foxreach_cli.read import open_source
from foxreach_cli.validate import validate_chunk

#: Per column header: cells and the opt-out each means (None: none).
VOCABULARY: dict[str, dict[str, str | None]] = {
    "Stage": {
        "Lead": None,
        "Customer": None,
        "": None,
        "Unsubscribed": "unsubscribed",
        "Opted Out": "unsubscribed",
        "Bounced": "bounced",
    },
    "Status": {
        "active": None,
        "replied": None,
        "unsubscribed": "unsubscribed",
        "bounced": "bounced",
    },
    "HasOptedOutOfEmail": {"false": None, "0": None, "true": "unsubscribed", "1": "unsubscribed"},
}


def strongest(statuses: list[str | None]) -> str | None:
    return (
        max(statuses, key=lambda s: OPT_OUT_RANK.get(s, 0), default=None) if any(statuses) else None
    )


@st.composite
def files(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    """A header and rows (email, cell): a few people, each on one to four rows, in any case."""
    header = draw(st.sampled_from(sorted(VOCABULARY)))
    cells = sorted(VOCABULARY[header])
    rows = []
    for person in range(draw(st.integers(1, 6))):
        for _ in range(draw(st.integers(1, 4))):
            email = f"p{person}@x.example.com"
            email = "".join(c.upper() if draw(st.booleans()) else c for c in email)
            rows.append((email, draw(st.sampled_from(cells))))
    return header, rows


def workspace_status(header: str, rows: list[tuple[str, str]], chunk_rows: int) -> dict[str, str]:
    """What each person's lead ends as: the kept row's status, raised by late carries."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "leads.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["Email", "First Name", header])
            writer.writerows([email, "Ann", cell] for email, cell in rows)
        final: dict[str, str] = {}
        with open_source(str(path), delimiter=",", chunk_rows=chunk_rows) as source, Deduper() as d:
            mapping = build_mapping(source.info)
            for chunk in source.chunks():
                unique, dups = d.split(validate_chunk(chunk, mapping))
                for key, status in zip(unique["key"], unique["status"], strict=True):
                    final[key] = status or "active"
                for update in late_carries(chunk.file, dups):
                    if OPT_OUT_RANK[update.status] > OPT_OUT_RANK.get(final[update.key], 0):
                        final[update.key] = update.status
    return final


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    file=files(),
    order=st.randoms(use_true_random=False),
    chunk_rows=st.sampled_from([1, 2, 3, 1000]),
)
def test_hypothesis_shuffled_rows_never_make_an_opted_out_person_active(file, order, chunk_rows):
    header, rows = file
    shuffled = list(rows)
    order.shuffle(shuffled)
    vocabulary = VOCABULARY[header]
    for version in (rows, shuffled):
        final = workspace_status(header, version, chunk_rows)
        for person in {email.lower() for email, _ in rows}:
            said = strongest([vocabulary[c] for e, c in rows if e.lower() == person])
            if said is not None:
                # Opted out in any row: the lead ends with the strongest opt-out, never active.
                assert final.get(person) == said, (person, version, header, chunk_rows)
            else:
                assert final.get(person) not in OPT_OUT_RANK, (person, version)
