"""The compare form of a cell: the same word however it was typed, pasted or disguised."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from foxreach_cli.confusable_letters import LOOK_ALIKES
from foxreach_cli.text_fold import INVISIBLE, fold, fold_column
from tests.tools.derive_confusable_letters import derive


@pytest.mark.parametrize(
    "cell",
    [
        "Unsubscribed",
        "UNSUBSCRIBED",
        "  unsubscribed  ",
        "Unsubscribed.",
        "Unsubscribed!",
        "Unsubscribed ...",
        "Unsubscribed 。",
        "ＵＮＳＵＢＳＣＲＩＢＥＤ",  # full-width
        "Un\u00adsub\u200bscribed",  # soft hyphen, zero-width space
        "\ufeffUnsubscribed",  # BOM
        "\u200eUnsubscribed\u200f",  # bidi marks
        "\u202eUnsubscribed\u202c",  # bidi override
        "\u2066Unsubscribed\u2069",  # bidi isolate
        "Unsubscr\u0456b\u0435d",  # Cyrillic і and е
        "U\u039dSUBSCRIBED",  # Greek capital nu
        "𝐔𝐧𝐬𝐮𝐛𝐬𝐜𝐫𝐢𝐛𝐞𝐝",  # mathematical bold
    ],
)
def test_every_disguise_of_a_word_folds_to_the_word(cell: str) -> None:
    assert fold(cell) == "unsubscribed"


@pytest.mark.parametrize(
    ("cell", "form"),
    [
        ("Opted\u00a0 Out", "opted out"),  # non-breaking space, runs of spaces
        ("Opted\tOut", "opted out"),
        ("do\nnot  contact", "do not contact"),  # a line break inside the cell
        ("Straße", "strasse"),  # casefold, not lower
        ("DÉSABONNÉ", "désabonné"),  # accents stay: the lexicon lists both spellings
        ("Abgemeldet.", "abgemeldet"),
        ("annullato l'iscrizione", "annullato l'iscrizione"),
        ("✔️", "✔"),  # the emoji variation selector
        ("ﬁn", "fin"),  # ligature
    ],
)
def test_spaces_case_and_compatibility_forms(cell: str, form: str) -> None:
    assert fold(cell) == form


@pytest.mark.parametrize("cell", ["?", "-", "--", ".", " ? ", "..."])
def test_a_cell_of_punctuation_only_keeps_it(cell: str) -> None:
    # "?" in a yes/no column is a doubt to report, not an empty cell.
    assert fold(cell) == cell.strip()


def test_inner_punctuation_stays() -> None:
    assert fold("opt-out") == "opt-out"
    assert fold("n/a") == "n/a"
    assert fold("hard-bounced.") == "hard-bounced"
    assert fold("1.0") == "1.0"


def test_ascii_letters_are_never_folded_to_other_ascii() -> None:
    # TR39's skeleton maps "m" to "rn" and "0" to "O"; only other scripts are folded here,
    # so no plain word can turn into another.
    assert fold("modern 0 1 l I") == "modern 0 1 l i"


def test_a_word_of_another_script_meets_itself() -> None:
    # The lexicon's words go through the same fold, so a Cyrillic or Greek word still matches.
    word = "отписан"
    assert fold(word) == fold(word.upper())


def test_fold_column_equals_fold_of_each_cell_and_keeps_alignment() -> None:
    cells = ["A.", "b\nc", "", "  ", "Ｘ", "unsubscr\u0456bed", "?", "d\r\ne", "é"]
    folded = fold_column(np.array(cells, dtype=object))
    assert folded.dtype == object
    assert list(folded) == [fold(c) for c in cells]
    assert list(folded) == ["a", "b c", "", "", "x", "unsubscribed", "?", "d e", "é"]


def test_an_empty_column() -> None:
    assert len(fold_column(np.empty(0, dtype=object))) == 0


_cells = st.text(
    alphabet=st.sampled_from(
        [*"abcXYZ .,;:!?-\t\r\n", "\u0435", "\u200b", "\u00a0", "Ｕ", "é", "ß", "\u3002"]
    ),
    max_size=12,
)


@given(st.lists(_cells, max_size=20))
def test_a_column_folds_cell_by_cell(cells: list[str]) -> None:
    # The column is folded as one joined text; no cell may bleed into its neighbour.
    folded = fold_column(np.array(cells, dtype=object))
    assert len(folded) == len(cells)
    for cell, form in zip(cells, folded, strict=True):
        single = fold_column(np.array([cell], dtype=object))[0]
        assert form == single
        assert "\n" not in form
        assert form == form.strip()
        assert fold(form) == form  # idempotent


def test_invisible_characters_are_all_dropped() -> None:
    assert fold(f"a{INVISIBLE}b") == "ab"


def test_the_shipped_look_alike_table_matches_the_confusables_package() -> None:
    # Regenerate with `python -m tests.tools.derive_confusable_letters` after upgrading
    # confusable-homoglyphs.
    shipped = {char: latin for latin, chars in LOOK_ALIKES.items() for char in chars}
    assert shipped == derive()
