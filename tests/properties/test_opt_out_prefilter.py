"""The opt-out prefilter (optouts.opt_out_cells): it never misses a cell the exact,
cell-by-cell compare form would catch. Slow (every code point, hypothesis): kept out of the
fast unit loop."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from foxreach_cli.mapping import words
from foxreach_cli.mapping.words import compare_form
from foxreach_cli.optouts import OPT_OUT_WORDS, _stripped, opt_out_cells


def test_the_prefilter_strips_what_compare_forms_drop_and_no_letter_of_a_word_comes_from_afar():
    # What compare forms drop or make spaces, the prefilter deletes (so a word stays whole)...
    assert _stripped("".join(map(chr, words._TRANSLATE))) == b""
    # ...and every stripped word is long enough for the four-byte window the prefilter reads.
    assert min(len(_stripped(w)) for w in OPT_OUT_WORDS) >= 4
    # ...and no non-ASCII character lowercases to an ASCII letter of an opt-out word (the
    # prefilter deletes such a character, the compare form would keep the letter).
    lowered = {chr(cp).lower() for cp in range(0x80, 0x110000) if not 0xD800 <= cp <= 0xDFFF}
    ascii_lowers = {low for low in lowered if low.isascii()}
    assert ascii_lowers  # the Kelvin sign: the check has something to check
    assert [w for w in OPT_OUT_WORDS if set(w) & set("".join(ascii_lowers))] == []


_CELLS = st.lists(
    st.sampled_from(
        [*OPT_OUT_WORDS, "Lead", "New", "bounced back", "not unsubscribed", "", "opt-in"]
    ).flatmap(
        lambda w: st.tuples(
            st.sampled_from(["", " ", "\u00a0", "\u200b", "\t"]),
            st.sampled_from([w, w.upper(), w.title(), w.replace(" ", "  ")]),
            st.sampled_from(["", " ", "\u2003", "\ufeff"]),
        ).map("".join)
    ),
    max_size=30,
)


# No deadline: on a loaded machine an example can take longer than hypothesis' 200 ms.
@settings(deadline=None)
@given(st.lists(_CELLS, min_size=1, max_size=3))
def test_the_prefilter_finds_exactly_what_a_cell_by_cell_check_finds(columns) -> None:
    n = max(len(c) for c in columns)
    data = {f"c{i}": c + [""] * (n - len(c)) for i, c in enumerate(columns)}
    frame = pd.DataFrame(data, dtype=object)
    found = opt_out_cells(frame, list(data))
    for key, cells in data.items():
        expected = [OPT_OUT_WORDS.get(compare_form(c)) for c in cells]
        if any(expected):
            assert found[key].tolist() == expected
        else:
            assert key not in found
