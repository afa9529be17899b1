"""The lexicon: every word the importer recognises is data, one TOML file per language, read
once; adding a word or a language is a line of data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from foxreach_cli.hygiene.roles import ROLE_LOCALS, role_local
from foxreach_cli.hygiene.verdicts import SERVICES
from foxreach_cli.mapping import Target, build_mapping
from foxreach_cli.mapping.lexicon import (
    LexiconError,
    build_lexicon,
    check_language,
    lexicon,
    read_languages,
)
from foxreach_cli.mapping.words import header_key, header_words
from foxreach_cli.optouts import NO, OPT_OUT_WORDS, STATUS_OF, YES
from foxreach_cli.stage_data import LEAD_FIELDS, SourceInfo
from foxreach_cli.text_fold import fold

LEXICON = Path(__file__).parents[2] / "foxreach_cli" / "mapping" / "lexicon"
LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl", "sv", "pl")


def test_every_language_has_a_file_and_english_comes_first():
    languages = read_languages()
    assert set(languages) == set(LANGUAGES)
    assert next(iter(languages)) == "en"
    assert lexicon().languages[0] == "en"
    assert sorted(p.stem for p in LEXICON.glob("*.toml")) == sorted(LANGUAGES)


def test_the_lexicon_is_read_once():
    assert lexicon() is lexicon()


def test_header_words_are_written_in_the_form_headers_are_compared_in():
    lex = lexicon()
    single = [w for words in lex.field_words.values() for w in words]
    single += [*lex.own_address, *lex.qualifiers, *lex.not_a_value, *lex.bare_name]
    single += [*lex.bare_given_name, *lex.status_header_words]
    said = lex.opt_out_headers
    single += [*said.unsubscribed, *said.bounced, *said.not_email, *said.when]
    # A word with an accent, a capital or a separator would never match a header's words.
    assert [w for w in single if header_words(w) != (w,) and not w.isdigit()] == []
    phrases = [*said.unsubscribed_phrases, *said.bounced_phrases]
    consent = lex.consent
    phrases += [*consent.subscription, *consent.do_not_email, *consent.permission]
    phrases += [*consent.other_channel]
    assert [p for p in phrases if header_words(" ".join(p)) != p] == []


def test_cell_words_are_written_in_the_form_cells_are_compared_in():
    lex = lexicon()
    cells = [*lex.opt_out_values, *lex.yes, *lex.no, *lex.status_translations]
    cells += [*lex.consent.positive, *lex.consent.negative]
    assert [w for w in cells if fold(w) != w] == []
    assert set(lex.status_translations.values()) <= {"active", "bounced", "unsubscribed"}
    assert [w for w in lex.role_locals if re.fullmatch(r"[a-z0-9]+", w) is None] == []
    assert [w for w in lex.company_words if re.fullmatch(r"[a-z]+", w) is None] == []


def test_fields_and_listed_headers_name_lead_fields():
    lex = lexicon()
    assert set(lex.field_words) <= set(LEAD_FIELDS)
    assert set(lex.field_headers) <= {*LEAD_FIELDS, "tags"}
    assert all(header_key(h) for hs in lex.field_headers.values() for h in hs)


def test_the_opt_out_and_status_words_come_from_the_lexicon():
    lex = lexicon()
    assert OPT_OUT_WORDS["abgemeldet"] == "unsubscribed"  # de.toml
    assert OPT_OUT_WORDS["désabonné"] == "unsubscribed"  # fr.toml
    assert OPT_OUT_WORDS["cleaned"] == "bounced"
    assert STATUS_OF["subscribed"] == "active"  # en.toml [status] translations
    assert {"ja", "oui", "si"} <= YES and {"nein", "non", ""} <= NO
    assert set(OPT_OUT_WORDS) == set(lex.opt_out_values)


def test_verdict_services_and_role_addresses_come_from_the_lexicon():
    names = [s.name for s in SERVICES]
    assert names[0] == "ZeroBounce" and names[-1] == "email verification"  # neutral last
    assert "ZB Status".lower() in SERVICES[0].headers
    assert "status" in SERVICES[0].headers  # a generic header
    assert lexicon().role_locals == ROLE_LOCALS
    assert role_local("no-reply") == "noreply"


def test_a_new_language_is_one_file_of_data():
    languages = read_languages()
    languages["xx"] = {
        "field_words": {"company": ["selskap"]},
        "opt_out": {"unsubscribed": ["avmeldt"], "headers": {"unsubscribed": ["avmeldt"]}},
    }
    check_language("xx.toml", languages["xx"])
    lex = build_lexicon(languages)
    assert "selskap" in lex.field_words["company"]
    assert "selskap" in lex.not_a_value  # a company word marks other fields' headers
    assert lex.opt_out_values["avmeldt"] == "unsubscribed"
    assert "avmeldt" in lex.opt_out_headers.unsubscribed
    assert lex.languages[-1] == "xx"


@pytest.mark.parametrize(
    "data",
    [
        {"fields": {"email": ["x"]}},
        {"opt_out": {"unsubscribe": ["x"]}},
        {"opt_out": {"headers": {"flag": []}}},
    ],
)
def test_a_section_or_key_the_schema_does_not_know_is_refused(data):
    with pytest.raises(LexiconError):
        check_language("xx.toml", data)


def test_every_language_consent_section_is_filled_for_the_consent_rules():
    # Read by nothing yet (issue 25); each language holds every kind of consent column.
    for code, data in read_languages().items():
        consent = data.get("consent", {})
        kinds = ("subscription", "do_not_email", "permission", "other_channel")
        assert all(consent.get(k) for k in kinds), code


def info(*headers: str) -> SourceInfo:
    return SourceInfo(file="leads.csv", format="csv", headers=list(headers), columns=list(headers))


def test_a_word_added_to_the_lexicon_is_recognised_without_code(monkeypatch):
    languages = read_languages()
    languages["en"]["field_words"]["company"].append("outfit")
    patched = build_lexicon(languages)
    import foxreach_cli.mapping.headers as headers
    import foxreach_cli.mapping.words as words

    monkeypatch.setattr(headers, "lexicon", lambda: patched)
    monkeypatch.setattr(words, "lexicon", lambda: patched)
    headers._listed.cache_clear()
    words.header_words.cache_clear()
    try:
        m = build_mapping(info("Email", "OutfitName"))
        assert m.columns[1].target == Target("field", "company")
    finally:
        headers._listed.cache_clear()
        words.header_words.cache_clear()
