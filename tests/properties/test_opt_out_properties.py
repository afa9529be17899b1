"""Issue 19: no status column, however mixed, ever turns an opt-out into an active lead, nor
does any other column (``Stage``, ``Notes``) whose cell is an opt-out word.

A generated CSV goes through the real reader (its 200-row sample decides the mapping), the
mapping, validation chunk by chunk and ``batch.to_leads``: the lead objects a live import
sends. (A sandbox round per example would be too slow; tests/e2e/test_fidelity_stored.py
checks the stored leads for the issue's own files.) The opt-out rows sit anywhere: inside the
sample, or thousands of rows below it and in a later chunk.
"""

from __future__ import annotations

import csv
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foxreach_cli.batch import to_leads
from foxreach_cli.mapping import build_mapping
from foxreach_cli.read import open_source
from foxreach_cli.validate import validate_chunk

#: What a person reads as an opt-out in a status cell, and what it makes the lead.
OPT_OUTS = {
    "unsubscribed": "unsubscribed",
    "opted out": "unsubscribed",
    "do not contact": "unsubscribed",
    "bounced": "bounced",
    "cleaned": "bounced",
    "hard bounce": "bounced",
}
_ZERO_WIDTH = "\u200b\ufeff\u2060"
_SPACES = ["", " ", "  ", "\u00a0", "\u202f", "\u3000"]

_JUNK = st.text(alphabet=string.ascii_letters + " -_", min_size=1, max_size=12)
_STATUS = st.sampled_from(["active", "replied", "subscribed", "Lead", "Open", "canceled"])
_OPT_OUT = st.sampled_from(sorted(OPT_OUTS))


@st.composite
def _decorated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """``base`` as people's files hold it: any case, odd or doubled spaces between words, a
    zero-width character inside, spaces or invisible characters around."""
    words = draw(base).split(" ")
    text = "".join(
        (draw(st.sampled_from(_SPACES[1:])) if i else "") + w for i, w in enumerate(words)
    )
    text = "".join(c.upper() if draw(st.booleans()) else c for c in text)
    if text and draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(_ZERO_WIDTH)) + text[at:]
    edge = st.sampled_from(_SPACES + list(_ZERO_WIDTH))
    return draw(edge) + text + draw(edge)


_CELL = st.one_of(
    _decorated(_OPT_OUT), _decorated(_STATUS), _decorated(_JUNK), st.just(""), st.just("null")
)


def said(cell: str) -> str | None:
    """The opt-out a person reads in ``cell`` (None: none), by the test's own folding."""
    text = "".join(c for c in cell if c not in _ZERO_WIDTH)
    return OPT_OUTS.get(" ".join(text.replace("\u00a0", " ").split()).casefold())


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    # Status-like headers, and headers that are not (read for opt-out words all the same).
    header=st.sampled_from(
        [
            "Status",
            "Lead Status",
            "STATUS",
            "Email Status",
            "sub_status",
            "Stage",
            "Lifecycle",
            "Notes",
        ]
    ),
    head=st.lists(_CELL, max_size=240),
    filler=st.one_of(_decorated(_STATUS), _decorated(_JUNK), st.just("")),
    far=st.sampled_from([0, 150, 2500, 6000]),
    tail=st.lists(_CELL, min_size=1, max_size=40),
    chunk_rows=st.sampled_from([500, 50_000]),
)
def test_hypothesis_no_status_column_turns_an_opt_out_into_active(
    header: str,
    head: list[str],
    filler: str,
    far: int,
    tail: list[str],
    chunk_rows: int,
) -> None:
    cells = [*head, *[filler] * far, *tail]
    cells[len(head) + far] = "unsubscribed\u200b"  # at least one opt-out, maybe far below
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "leads.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["Email", header])
            writer.writerows([f"p{i}@example.com", cell] for i, cell in enumerate(cells))
        leads = []
        with open_source(str(path), delimiter=",", chunk_rows=chunk_rows) as source:
            mapping = build_mapping(source.info)
            for chunk in source.chunks():
                checked = validate_chunk(chunk, mapping)
                leads.extend(to_leads(checked.cells, checked.valid))
    status_of = {lead["email"]: lead.get("status") for lead in leads}
    for i, cell in enumerate(cells):
        meant = said(cell)
        if meant is not None:
            # Sent, and sent with the opt-out the cell says: never active, never lost.
            assert status_of.get(f"p{i}@example.com", "not sent") == meant, (i, cell, header)
