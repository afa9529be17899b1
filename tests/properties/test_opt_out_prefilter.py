"""The opt-out prefilter (optouts.opt_out_cells): it never misses a cell the exact,
cell-by-cell compare form (text_fold.fold) would catch, however the word is disguised.
Slow (hypothesis): kept out of the fast unit loop."""

from __future__ import annotations

import unicodedata

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from foxreach_cli.optouts import OPT_OUT_WORDS, _stripped, opt_out_cells
from foxreach_cli.text_fold import INVISIBLE, fold


def test_the_prefilter_strips_what_compare_forms_drop_and_every_word_fits_its_window():
    # What compare forms drop or make spaces, the prefilter deletes (so a word stays whole)...
    assert _stripped(INVISIBLE + " \t\r\f\v.,;:!?") == b""
    # ...and every stripped word is long enough for the four-byte window the prefilter reads.
    assert min(len(_stripped(w)) for w in OPT_OUT_WORDS) >= 4


def _disguises(word: str) -> list[str]:
    """A word as exports and copy-pastes write it: cased, full-width, with a Cyrillic look-alike
    letter, trailing punctuation, accents as combining marks (NFD)."""
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)
    return [
        word,
        word.upper(),
        word.title(),
        word.replace(" ", "  "),
        full_width,
        word.replace("e", "\u0435").replace("o", "\u043e"),
        f"{word}.",
        f"{word} !",
        unicodedata.normalize("NFD", word),
        unicodedata.normalize("NFD", word.upper()),
    ]


_CELL = st.sampled_from(
    [
        *OPT_OUT_WORDS,
        *("Lead", "New", "bounced back", "not unsubscribed", "", "opt-in", "Müller"),
        # Long notes in several scripts: a column of them is folded only where it must be.
        "met at the Köln fair, 東京オフィス, reunión en Málaga " * 3,
        "Straße " * 20,
        "unsubscribed " + "\u200b" * 40,
        "a\x1fb",  # the prefilter's own separator in a cell
    ]
).flatmap(
    lambda w: st.tuples(
        st.sampled_from(["", " ", "\u00a0", "\u200b", "\t", "\u200e"]),
        st.sampled_from(_disguises(w)),
        st.sampled_from(["", " ", "\u2003", "\ufeff"]),
    ).map("".join)
)
_CELLS = st.lists(_CELL, max_size=30)


# No deadline: on a loaded machine an example can take longer than hypothesis' 200 ms.
@settings(deadline=None)
@given(st.lists(_CELLS, min_size=1, max_size=3))
def test_the_prefilter_finds_exactly_what_a_cell_by_cell_check_finds(columns) -> None:
    n = max(len(c) for c in columns)
    data = {f"c{i}": c + [""] * (n - len(c)) for i, c in enumerate(columns)}
    frame = pd.DataFrame(data, dtype=object)
    found = opt_out_cells(frame, list(data))
    for key, cells in data.items():
        expected = [OPT_OUT_WORDS.get(fold(c)) for c in cells]
        if any(expected):
            assert found[key].tolist() == expected
        else:
            assert key not in found


@settings(deadline=None)
@given(
    st.text(max_size=40)
    | st.text("aeoAEO1- .,!\u0301\u0308\u0327\u200b\uff21\u00df\u0130", max_size=40)
)
def test_folding_never_makes_a_cell_shorter_than_its_ascii_characters(cell: str) -> None:
    # What the prefilter relies on to leave long cells unfolded: each ASCII character that is
    # not whitespace or sentence punctuation stays at least one character of the compare form.
    assert len(fold(cell)) >= len(_stripped(cell))


# No deadline: on a loaded machine an example can take longer than hypothesis' 200 ms.
@settings(deadline=None, max_examples=40)
@given(
    st.lists(st.sampled_from(["Lead", "SaaS", "1-10", "", "Müller", "a\x1fb"]), min_size=1),
    _CELL,
    st.booleans(),
    st.integers(0, 2**32),
)
def test_a_column_of_few_values_is_prefiltered_on_its_distinct_cells_alike(
    common, last, shared, seed
) -> None:
    # A column long enough for the distinct-cell path: a few values repeated over thousands
    # of rows (as one object each, or as equal copies as a reader might give them), and a
    # cell, often an opt-out word, in the last row only (after any sample of the first rows).
    # The cell-by-cell check decides.
    import random

    from foxreach_cli.optouts import _SAMPLE, _distinct_cells, _may_hold_opt_out_word

    rng = random.Random(seed)
    cells = [rng.choice(common) for _ in range(4 * _SAMPLE + 7)] + [last]
    if not shared:
        cells = [c.encode().decode() for c in cells]
    frame = pd.DataFrame({"c": cells}, dtype=object)
    column = frame["c"].to_numpy(dtype=object)
    assert len(_distinct_cells(column)) <= len(set(cells))  # the distinct path was taken
    assert _may_hold_opt_out_word(_distinct_cells(column)) == _may_hold_opt_out_word(column)
    expected = [OPT_OUT_WORDS.get(fold(c)) for c in cells]
    found = opt_out_cells(frame, ["c"])
    if any(expected):
        assert found["c"].tolist() == expected
    else:
        assert "c" not in found
