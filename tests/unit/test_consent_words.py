"""Issue 25 in the library: subscription and permission columns read both ways, the opt-out
words of every language of the lexicon and their look-alikes, and no one opted out by who
they are (what the sandbox stores: tests/e2e/test_consent_stored.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from foxreach_cli.mapping import Target, build_mapping
from foxreach_cli.mapping.headers import consent_header
from foxreach_cli.mapping.lexicon import lexicon
from foxreach_cli.mapping_file import load_mapping_file, write_mapping_file
from foxreach_cli.stage_data import Chunk, SourceInfo
from foxreach_cli.validate import ValidatedChunk, validate_chunk


def run(columns: dict[str, list[str]], *, sample: bool = True, **map_kw: object) -> ValidatedChunk:
    """Map a small file (its rows as the sample, unless ``sample`` is False) and validate it."""
    headers = list(columns)
    samples = columns if sample else {}
    info = SourceInfo("leads.csv", "csv", headers, headers, samples=samples)
    mapping = build_mapping(info, **map_kw)  # type: ignore[arg-type]
    frame = pd.DataFrame(columns, dtype=object)
    return validate_chunk(Chunk("leads.csv", frame, np.arange(2, 2 + len(frame))), mapping)


def statuses(vc: ValidatedChunk) -> list[str | None]:
    return vc.valid["status"].tolist()


def emails(n: int) -> list[str]:
    return [f"p{i}@example.com" for i in range(n)]


# --- which columns ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Subscribed", "subscription"),
        ("Subscription Status", "subscription"),
        ("email_opt_in", "subscription"),
        ("Opted In", "subscription"),
        ("Abonniert", "subscription"),
        ("DoNotContact", "do_not_email"),
        ("Do Not Contact", "do_not_email"),
        ("Email Blocked", "do_not_email"),
        ("Suppressed", "do_not_email"),
        ("Permission to email", "permission"),
        ("Accepts Email Marketing", "permission"),
        ("GDPR Consent", "permission"),
        ("Einwilligung", "permission"),
        ("Do Not Call", "other_channel"),
        ("SMS Opt Out", "other_channel"),
        ("Do Not Mail", "other_channel"),
        ("Opt In Date", None),
        ("Blocked", None),
        ("Phone", None),
        ("Postal Code", None),
    ],
)
def test_consent_headers_by_their_words(header: str, kind: str | None) -> None:
    assert consent_header(header) == kind


def test_neither_kind_is_ever_the_status_and_each_says_its_evidence() -> None:
    vc_info = SourceInfo(
        "leads.csv",
        "csv",
        ["Email", "Subscribed", "Permission to email", "Subscription Status"],
        ["Email", "Subscribed", "Permission to email", "Subscription Status"],
        samples={
            "Email": emails(3),
            "Subscribed": ["true", "false", "true"],
            "Permission to email": ["No", "No", "Yes"],
            "Subscription Status": ["subscribed", "unsubscribed", "subscribed"],
        },
    )
    mapping = build_mapping(vc_info)
    targets = {cm.header: cm.target for cm in mapping.columns}
    assert targets["Subscribed"] == Target("custom", "Subscribed")
    assert targets["Permission to email"] == Target("custom", "Permission to email")
    assert targets["Subscription Status"] == Target("custom", "Subscription Status")
    kinds = {o.header: (o.kind, o.means) for o in mapping.opt_outs}
    assert kinds == {
        "Subscribed": ("subscription", "unsubscribed"),
        "Permission to email": ("permission", None),
        "Subscription Status": ("subscription", "unsubscribed"),
    }
    permission = next(n for n in mapping.notes if n.startswith("'Permission to email'"))
    assert "2 of 3 values looked at say no" in permission
    assert "--consent-required" in permission


# --- subscription states, do-not-email, permission -------------------------------------------


def test_a_no_in_a_subscription_column_unsubscribes_and_an_empty_cell_does_not() -> None:
    cells = ["TRUE", "FALSE", "", "true", "0", "NULL", "no"]
    vc = run({"Email": emails(len(cells)), "Subscribed": cells})
    u = "unsubscribed"
    assert statuses(vc) == [None, u, None, None, u, None, u]


def test_a_value_that_is_neither_yes_nor_no_in_a_subscription_column_rejects_the_row() -> None:
    cells = ["yes", "no", "yes", "maybe"]
    vc = run({"Email": emails(4), "Opted In": cells})
    assert vc.invalid["row"].tolist() == [5]
    assert vc.invalid["code"].tolist() == ["bad_opt_out"]


def test_a_subscription_column_of_other_values_is_read_for_opt_out_words_only() -> None:
    # A product subscription's plan names: not a yes/no column, so a no-looking value is not
    # guessed at; an opt-out word still is one.
    cells = ["Monthly", "Annual", "Monthly", "Unsubscribed"]
    vc = run({"Email": emails(4), "Subscription Status": cells})
    assert statuses(vc) == [None, None, None, "unsubscribed"]
    assert vc.invalid.empty
    headers = ["Email", "Subscription Status"]
    info = SourceInfo("leads.csv", "csv", headers, headers, samples={"Subscription Status": cells})
    assert build_mapping(info).warnings == (
        "'Subscription Status' names a subscription state, but not as yes or no (1 of 4 "
        "values looked at are yes or no, such as 'Monthly'); it is read for opt-outs on every "
        "row: a cell that says unsubscribed or bounced makes the lead so.",
    )


@pytest.mark.parametrize("header", ["DoNotContact", "Do Not Contact", "Email Blocked"])
def test_a_do_not_email_column_is_read_the_other_way_round(header: str) -> None:
    vc = run({"Email": emails(4), header: ["Yes", "No", "", "true"]})
    assert statuses(vc) == ["unsubscribed", None, None, "unsubscribed"]


def test_a_permission_no_is_counted_and_changes_nothing_by_default() -> None:
    cells = ["No", "Yes", "no", "", "Unsubscribed"]
    vc = run({"Email": emails(5), "Permission to email": cells})
    assert statuses(vc) == [None, None, None, None, "unsubscribed"]
    assert vc.consent_no == {"Permission to email": 2}


def test_consent_required_makes_a_permission_no_unsubscribed() -> None:
    cells = ["No", "Yes", "no", ""]
    vc = run({"Email": emails(4), "Permission to email": cells}, consent_required=True)
    assert statuses(vc) == ["unsubscribed", None, "unsubscribed", None]
    assert vc.consent_no == {"Permission to email": 2}


@pytest.mark.parametrize("header", ["Do Not Call", "SMS Opt Out", "Do Not Mail"])
def test_another_channel_changes_nothing_even_with_an_opt_out_word(header: str) -> None:
    vc = run({"Email": emails(3), header: ["Yes", "Unsubscribed", "true"]})
    assert statuses(vc) == [None, None, None]
    assert vc.opt_outs_found == {}


def test_map_ignore_overrules_the_reading_and_the_notes_say_so() -> None:
    vc = run(
        {"Email": emails(2), "Subscribed": ["FALSE", "Unsubscribed"]},
        overrides={"Subscribed": Target("ignore")},
    )
    assert statuses(vc) == [None, None]
    info = SourceInfo("leads.csv", "csv", ["Email", "Subscribed"], ["Email", "Subscribed"])
    mapping = build_mapping(info, overrides={"Subscribed": Target("ignore")})
    assert any(
        n.startswith("'Subscribed' is not read for opt-outs: --map 'Subscribed=ignore'")
        for n in mapping.notes
    )


def test_a_saved_mapping_replays_the_consent_decisions(tmp_path: Path) -> None:
    headers = ["Email", "Subscribed", "Permission to email"]
    info = SourceInfo("leads.csv", "csv", headers, headers)
    path = str(tmp_path / "m.toml")
    write_mapping_file(path, build_mapping(info), info)
    text = Path(path).read_text(encoding="utf-8")
    assert "[decisions.opt_out_subscription]" in text
    assert "[decisions.consent_permission]" in text
    saved = load_mapping_file(path)
    for required in (False, True):
        replayed = build_mapping(info, mapping_file=saved, consent_required=required)
        kinds = {o.header: (o.kind, o.means) for o in replayed.opt_outs}
        assert kinds == {
            "Subscribed": ("subscription", "unsubscribed"),
            "Permission to email": ("permission", "unsubscribed" if required else None),
        }


# --- every language of the lexicon, and look-alikes -------------------------------------------

#: One opt-out word per language of the lexicon, as a status column would hold it.
WORDS = {
    "en": "Unsubscribed",
    "de": "Abbestellt",
    "fr": "Désabonné",
    "es": "Dado de baja",
    "pt": "Descadastrado",
    "it": "Disiscritto",
    "nl": "Uitgeschreven",
    "sv": "Avregistrerad",
    "pl": "Wypisany",
}
#: A yes and a no per language, in a subscription column.
YES_NO = {
    "en": ("yes", "no"),
    "de": ("ja", "nein"),
    "fr": ("oui", "non"),
    "es": ("sí", "no"),
    "pt": ("sim", "não"),
    "it": ("sì", "no"),
    "nl": ("ja", "nee"),
    "sv": ("ja", "nej"),
    "pl": ("tak", "nie"),
}


def test_the_lexicon_holds_every_language_tested_here() -> None:
    assert set(lexicon().languages) == set(WORDS) == set(YES_NO)


@pytest.mark.parametrize("language", sorted(WORDS))
def test_an_opt_out_word_of_each_language_in_a_status_column(language: str) -> None:
    word = WORDS[language]
    cells = ["active", word, word.upper(), f"{word}.", "replied"]
    vc = run({"Email": emails(5), "Status": cells})
    u = "unsubscribed"
    assert statuses(vc) == ["active", u, u, u, "replied"]


@pytest.mark.parametrize("language", sorted(WORDS))
def test_an_opt_out_word_of_each_language_far_below_the_sample(language: str) -> None:
    # Not in the sampled rows: the any-cell scan of an unrecognised column finds it.
    vc = run({"Email": emails(3), "Stage": ["Lead", "Lead", WORDS[language]]}, sample=False)
    assert statuses(vc) == [None, None, "unsubscribed"]
    assert set(vc.opt_outs_found) == {"Stage"}


@pytest.mark.parametrize("language", sorted(YES_NO))
def test_a_yes_and_a_no_of_each_language_in_a_subscription_column(language: str) -> None:
    yes, no = YES_NO[language]
    vc = run({"Email": emails(3), "Subscribed": [yes, no, yes.upper()]})
    assert statuses(vc) == [None, "unsubscribed", None]


@pytest.mark.parametrize(
    "cell",
    [
        "ＵＮＳＵＢＳＣＲＩＢＥＤ",
        "Unsubscr\u0456b\u0435d",  # Cyrillic і and е
        "\u200eUnsubscribed\u200f",
        "Un\u00adsubscribed",
        "desabonne",  # the accents left out
        "Unsubscribed!",
    ],
)
def test_look_alikes_of_an_opt_out_word_anywhere(cell: str) -> None:
    vc = run({"Email": emails(2), "Status": ["active", cell]})
    assert statuses(vc) == ["active", "unsubscribed"]
    vc = run({"Email": emails(2), "Stage": ["Lead", cell]}, sample=False)
    assert statuses(vc) == [None, "unsubscribed"]


# --- no one is opted out by who they are --------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Last Name", "Bounce"),
        ("Surname", "Bounce"),
        ("Company", "Bounce"),
        ("Organisation", "Unsubscribed"),
        ("Job Title", "Unsubscribe"),
        ("Full Name", "Bounce"),
        ("Website", "bounce"),
        ("LinkedIn", "unsubscribe"),
    ],
)
def test_a_column_of_who_the_lead_is_is_never_read_for_opt_out_words(
    header: str, value: str
) -> None:
    for sample in (True, False):  # in the sampled rows, and far below them
        vc = run({"Email": emails(2), header: ["Ann", value]}, sample=sample)
        assert statuses(vc) == [None, None]
        assert vc.opt_outs_found == {}


def test_a_column_named_as_a_name_is_not_read_even_when_its_values_made_it_custom() -> None:
    # A "Title" of Mr./Ms. is kept as a custom field, yet it is still the person's title.
    vc = run({"Email": emails(3), "Title": ["Mr.", "Ms.", "Unsubscribe"]}, sample=False)
    assert statuses(vc) == [None, None, None]


@pytest.mark.parametrize(
    "zero", ["0000-00-00", "0000-00-00 00:00:00", "1900-01-00", "0", "", "00/00/0000"]
)
def test_a_zero_date_in_a_bounce_date_column_is_no_date(zero: str) -> None:
    vc = run({"Email": emails(2), "EmailBouncedDate": [zero, "2024-03-01"]})
    assert statuses(vc) == [None, "bounced"]


#: A subscription header and a permission header per language, as the lexicon holds them.
HEADERS = {
    "en": ("Subscribed", "Permission to email"),
    "de": ("Abonniert", "Einwilligung"),
    "fr": ("Abonné", "Consentement"),
    "es": ("Suscrito", "Consentimiento"),
    "pt": ("Inscrito", "Consentimento"),
    "it": ("Iscritto", "Consenso"),
    "nl": ("Ingeschreven", "Toestemming"),
    "sv": ("Prenumererar", "Samtycke"),
    "pl": ("Zapisany", "Zgoda"),
}


@pytest.mark.parametrize("language", sorted(HEADERS))
def test_the_consent_headers_of_each_language_with_its_yes_and_no(language: str) -> None:
    subscription, permission = HEADERS[language]
    yes, no = YES_NO[language]
    vc = run({"Email": emails(3), subscription: [yes, no, ""], permission: [no, yes, no]})
    assert statuses(vc) == [None, "unsubscribed", None]
    assert vc.consent_no == {permission: 2}
