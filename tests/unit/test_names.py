"""Full names split into firstName and lastName (foxreach_cli.names), the split decision with
its evidence in the mapping, and a saved mapping that replays it (``map --write`` then
``import --mapping`` sends the same leads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nameparser import HumanName
from typer.testing import CliRunner

from foxreach_cli import names
from foxreach_cli.batch import to_leads
from foxreach_cli.cli import app
from foxreach_cli.mapping import SPLIT_NAME, Decision, build_mapping
from foxreach_cli.mapping_file import load_mapping_file
from foxreach_cli.names import split_full_name
from foxreach_cli.read import open_source
from foxreach_cli.stage_data import SourceInfo
from foxreach_cli.validate import validate_chunk

runner = CliRunner()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Ada King", ("Ada", "King")),
        ("  Ada   King ", ("Ada", "King")),
        ("King, Ada", ("Ada", "King")),
        ("King, Ada, Jr.", ("Ada", "King")),
        ("Dr. Ada King", ("Ada", "King")),
        ("Ada King, M.D.", ("Ada", "King")),
        ("Ada King, PhD", ("Ada", "King")),
        ("Prof. Dr. Ada King III", ("Ada", "King")),
        ("Jan van Dijk", ("Jan", "van Dijk")),
        ("José Núñez", ("José", "Núñez")),
        ("ADA KING", ("ADA", "KING")),
        ("山田 太郎", ("太郎", "山田")),
        ("김 민준", ("민준", "김")),
        ("山田太郎", ("山田太郎", "")),
        ("Cher", ("Cher", "")),
        ("Prince", ("Prince", "")),
        ("ada.king@example.com", ("", "")),
        ("Ada King <ada@example.com>", ("", "")),
        ("Dr.", ("", "")),
        ("12345", ("", "")),
        # a company in a name column is not a person: it is not split
        ("Acme Inc", ("", "")),
        ("Globex LLC", ("", "")),
        ("Initech GmbH", ("", "")),
        ("Acme, Inc.", ("", "")),
        ("Globex L.L.C.", ("", "")),
        ("Initech GmbH & Co. KG", ("", "")),
        ("Hooli Group", ("", "")),
        ("Kim Sa Rang", ("Kim", "Rang")),  # a short form inside a name is a name
        # an emoji is not a name
        ("\U0001f680", ("", "")),
        ("\U0001f680 Ada King", ("Ada", "King")),
        ("Ada \U0001f44b", ("Ada", "")),
        ("\U0001f469\u200d\U0001f4bb Ada", ("Ada", "")),
    ],
)
def test_split_full_name(cell: str, expected: tuple[str, str]) -> None:
    assert split_full_name(cell) == expected


def test_plain_names_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parser(text: str) -> tuple[str, str]:
        raise AssertionError(f"parser called for {text!r}")

    monkeypatch.setattr(names, "_parse", no_parser)
    for cell in ["Ada King", "Grace Hopper", "Zoë O'Neil", "Anne-Marie Lévy-Dubois"]:
        first, last = split_full_name(cell)
        assert f"{first} {last}" == cell
    assert split_full_name("King, Ada") == ("Ada", "King")
    assert split_full_name("King,Ada") == ("Ada", "King")


_LATIN_WORD = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéñüøł'-"),
    min_size=1,
    max_size=9,
).filter(lambda w: w[0].isalpha())
_KNOWN_WORDS = st.sampled_from(
    ["Dr", "Mr", "King", "van", "de", "Jr", "III", "PhD", "MD", "and", "y", "St", "Sir", "Esq"]
)


@settings(max_examples=400, deadline=None)
@given(first=st.one_of(_LATIN_WORD, _KNOWN_WORDS), last=st.one_of(_LATIN_WORD, _KNOWN_WORDS))
def test_the_fast_path_agrees_with_the_parser(first: str, last: str) -> None:
    for cell in (f"{first} {last}", f"{last}, {first}", f"{last},{first}"):
        if names.is_company(cell):
            continue  # "A AB": a company's name, not split (test_split_full_name)
        parsed = HumanName(cell)
        assert split_full_name(cell) == (parsed.first, parsed.last), cell


# --- the split decision in the mapping -----------------------------------------------------


def _info(samples: dict[str, tuple[str, ...]], *headers: str) -> SourceInfo:
    return SourceInfo(
        file="people.csv",
        format="csv",
        headers=list(headers),
        columns=list(headers),
        samples=samples,
    )


def test_the_split_is_shown_with_its_evidence() -> None:
    info = _info(
        {"Name": ("Ada King", "Dr. Grace Hopper", "null"), "Email": ("a@example.com",)},
        "Name",
        "Email",
    )
    mapping = build_mapping(info)
    assert mapping.decisions == (Decision(SPLIT_NAME, ("Name",), "2 of 2 sampled cells are names"),)
    assert mapping.columns[0].how == (
        "not recognised: kept as custom field; split into firstName and lastName: "
        "2 of 2 sampled cells are names"
    )
    assert str(mapping.columns[0].target) == "customFields.Name"


def test_a_name_column_of_email_addresses_is_not_split() -> None:
    info = _info(
        {
            "Name": ("ada@example.com", "grace@example.com", "Alan Turing"),
            "Email": ("a@example.com", "g@example.com", "t@example.com"),
        },
        "Name",
        "Email",
    )
    mapping = build_mapping(info)
    assert mapping.split_name is None
    assert mapping.columns[0].how == (
        "second column for email (after 'Email'): kept as custom field; not split into "
        "firstName and lastName: only 1 of 3 sampled cells are names"
    )


def test_no_split_when_the_file_has_first_name_column() -> None:
    info = _info({"Name": ("Ada King",)}, "Name", "First Name", "Email")
    assert build_mapping(info).decisions == ()


# --- a saved mapping is the same mapping -----------------------------------------------------


def _leads(path: Path, mapping_file: str | None = None) -> list[dict[str, Any]]:
    """The leads a live import would send for ``path``'s valid rows (a dry run builds none)."""
    saved = load_mapping_file(mapping_file) if mapping_file else None
    with open_source(str(path)) as source:
        mapping = build_mapping(source.info, mapping_file=saved)
        out: list[dict[str, Any]] = []
        for chunk in source.chunks():
            checked = validate_chunk(chunk, mapping)
            out += to_leads(checked.cells, checked.valid.sort_values("row"))
        return out


def _made_files(folder: Path) -> list[Path]:
    made = {
        "names.csv": (
            "Full Name,Email,Notes\n"
            '"King, Ada, Jr.",ada@example.com,=1+1\n'
            "Dr. Grace Hopper,grace@example.com,\n"
            "山田 太郎,taro@example.com,\n"
            "alan@example.com,alan@example.com,\n"
        ),
        "name_of_emails.csv": (
            "Name,Email\nada@example.com,ada@example.com\ngrace@example.com,grace@example.com\n"
        ),
        "contact_name.csv": "Contact Name,E-mail,Company\nAda King,ada@example.com,Acme\n",
    }
    paths = []
    for name, text in made.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def test_a_recorded_split_is_replayed_whatever_the_new_file_holds(tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text("Name,Email\nAda King,ada@example.com\n", encoding="utf-8")
    saved = tmp_path / "m.toml"
    assert runner.invoke(app, ["map", str(first), "--write", str(saved)]).exit_code == 0
    # The later file's sample would not be split by content (mostly email addresses).
    later = tmp_path / "later.csv"
    later.write_text(
        "Name,Email\nx@example.com,x@example.com\ny@example.com,y@example.com\n"
        "Grace Hopper,grace@example.com\n",
        encoding="utf-8",
    )
    assert [(lead.get("firstName"), lead.get("lastName")) for lead in _leads(later)] == [
        (None, None),
        (None, None),
        (None, None),
    ]
    assert [
        (lead.get("firstName"), lead.get("lastName")) for lead in _leads(later, str(saved))
    ] == [(None, None), (None, None), ("Grace", "Hopper")]


def test_a_mapping_file_without_decisions_decides_as_without_it(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("Name,Email\nAda King,ada@example.com\n", encoding="utf-8")
    old = tmp_path / "old.toml"  # as map --write wrote it before decisions were recorded
    old.write_text('[columns]\nName = "customFields.Name"\nEmail = "email"\n', encoding="utf-8")
    assert _leads(path, str(old)) == _leads(path)
    assert _leads(path)[0]["firstName"] == "Ada"


def test_company_words_are_data_and_make_a_cell_no_name() -> None:
    words = names.company_words()
    assert {"inc", "llc", "gmbh", "ltd"} <= words
    assert not names.is_name("Acme Inc")
    assert names.name_evidence(["Acme Inc", "Globex LLC", "Ada King"]) == (1, 3)
