"""The lexicon: every word the importer recognises in headers and cells, by language.

One TOML file per language beside this module (``en.toml`` comments the schema; the sections
are listed in :data:`SECTIONS`). Adding a word or a language is a line of data: the files are
read once, on first use (:func:`lexicon`), and merged, English first: lists are joined without
repeats, tables merged key by key. This module imports nothing of foxreach, so the mapping,
the opt-out scan and the hygiene rules can all read it. The schema: docs/mapping.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal

#: The sections a language file may hold, and the keys of each (None: any key, such as a
#: lead field's name).
SECTIONS: dict[str, frozenset[str] | None] = {
    "field_words": None,
    "field_headers": None,
    "header_words": frozenset(
        {"joins", "compounds", "own_address", "qualifiers", "not_a_value", "full_name"}
        | {"bare_name", "bare_given_name"}
    ),
    "names": frozenset({"prefixes", "prefix_headers", "company_words"}),
    "values": frozenset({"phone_extensions", "null_cells"}),
    "status": frozenset({"header_words", "translations"}),
    "opt_out": frozenset({"unsubscribed", "bounced", "yes", "no", "headers"}),
    "consent": frozenset(
        {"subscription", "do_not_email", "permission", "other_channel", "positive", "negative"}
        | {"channels"}
    ),
    "roles": frozenset({"locals"}),
    "verdicts": frozenset({"generic_headers", "services"}),
}
_OPT_OUT_HEADER_KEYS = frozenset(
    {"unsubscribed", "unsubscribed_phrases", "bounced", "bounced_phrases", "not_email", "when"}
)
_FIRST = "en"

Phrase = tuple[str, ...]
OptOutWord = Literal["unsubscribed", "bounced"]


class LexiconError(Exception):
    """A language file that does not follow the schema (a packaging or editing mistake)."""


@dataclass(frozen=True)
class VerdictService:
    """One verification service's verdict column: the headers it writes and its words."""

    name: str
    headers: tuple[str, ...]
    words: dict[str, str]  # word as written -> verdict class value ("ok", "invalid", ...)
    generic: bool  # it writes the generic headers too
    neutral: bool  # the name used when the words fit several services equally


@dataclass(frozen=True)
class ConsentWords:
    """Header phrases of consent columns and the words of their values (issue 25)."""

    subscription: tuple[Phrase, ...]  # a negative value means unsubscribed
    do_not_email: tuple[Phrase, ...]  # read the other way round
    permission: tuple[Phrase, ...]  # marketing permission: no status by default
    other_channel: tuple[Phrase, ...]  # not about email: change nothing
    positive: frozenset[str]
    negative: frozenset[str]
    #: Words of other_channel that alone name a channel (SMS, Post), not a consent: a header
    #: of only such words is a phone number or an address, read as any other column.
    channels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class OptOutHeaders:
    """Header words and phrases of columns that say a lead unsubscribed or bounced."""

    unsubscribed: frozenset[str]
    unsubscribed_phrases: tuple[Phrase, ...]
    bounced: frozenset[str]
    bounced_phrases: tuple[Phrase, ...]
    not_email: frozenset[str]  # another channel, a link, a rate: not an email opt-out
    when: frozenset[str]  # a date or reason column rather than a yes/no flag


@dataclass(frozen=True)
class Lexicon:
    """All languages' words merged, in the forms they are compared in."""

    languages: tuple[str, ...]
    #: Lead field -> single header words naming it, in the order fields are tried.
    field_words: dict[str, frozenset[str]]
    #: Lead field (or "tags") -> whole headers as tools export them, strongest first.
    field_headers: dict[str, tuple[str, ...]]
    joins: dict[tuple[str, str], str]  # word pairs a split cuts apart ("e mail")
    compounds: dict[tuple[str, str], str]  # word pairs field words read as one ("first name")
    own_address: frozenset[str]
    qualifiers: frozenset[str]  # own_address included
    not_a_value: frozenset[str]  # every company word included
    full_name_headers: tuple[str, ...]
    bare_name: frozenset[str]  # alone beside a first-name column: the family name
    bare_given_name: frozenset[str]  # alone beside a family-name column: the first name
    name_prefixes: frozenset[str]
    prefix_headers: tuple[str, ...]  # found in a casefolded header: a column of name prefixes
    company_words: frozenset[str]  # a "name" cell ending so is a company (legal forms)
    phone_extensions: tuple[str, ...]  # what may introduce a phone number's extension
    null_cells: frozenset[str]  # a cell that says "no value" (compared exactly, case and all)
    status_header_words: frozenset[str]
    status_translations: dict[str, str]
    opt_out_values: dict[str, OptOutWord]  # cell (compare form) -> what it says
    yes: frozenset[str]
    no: frozenset[str]
    opt_out_headers: OptOutHeaders
    consent: ConsentWords
    role_locals: frozenset[str]
    verdict_generic_headers: tuple[str, ...]
    verdict_services: tuple[VerdictService, ...]


@cache
def lexicon() -> Lexicon:
    """The lexicon, read from the language files on first use and kept."""
    return build_lexicon(read_languages())


def read_languages() -> dict[str, dict[str, Any]]:
    """Each language file's tables by language code, English first, checked against
    :data:`SECTIONS`."""
    found: dict[str, dict[str, Any]] = {}
    for entry in sorted(files(__name__).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        language = data.pop("language", None)
        if not isinstance(language, str) or language in found:
            raise LexiconError(f'{entry.name}: needs a unique language = "xx" line')
        check_language(entry.name, data)
        found[language] = data
    if _FIRST not in found:
        raise LexiconError(f"the lexicon has no {_FIRST}.toml")
    return {_FIRST: found.pop(_FIRST), **found}


def check_language(name: str, data: dict[str, Any]) -> None:
    """Raise :class:`LexiconError` when a language's tables hold a section or key the schema
    does not know (a typo would otherwise be a word silently never recognised)."""
    for section, table in data.items():
        if section not in SECTIONS or not isinstance(table, dict):
            raise LexiconError(f"{name}: [{section}] is not a lexicon section")
        allowed = SECTIONS[section]
        unknown = set(table) - allowed if allowed is not None else set()
        headers = table.get("headers", {}) if section == "opt_out" else {}
        unknown |= {f"headers.{k}" for k in set(headers) - _OPT_OUT_HEADER_KEYS}
        if unknown:
            raise LexiconError(f"{name}: [{section}] has unknown keys {sorted(unknown)}")


def merge_languages(languages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """All languages' tables as one: lists joined in order without repeats, tables merged."""
    merged: dict[str, Any] = {}
    for data in languages.values():
        _merge(merged, data)
    return merged


def _merge(into: dict[str, Any], data: dict[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, dict):
            _merge(into.setdefault(key, {}), value)
        elif isinstance(value, list):
            have = into.setdefault(key, [])
            have.extend(v for v in value if v not in have)
        else:
            into[key] = value


def build_lexicon(languages: dict[str, dict[str, Any]]) -> Lexicon:
    """The typed lexicon of the merged language tables."""
    m = merge_languages(languages)
    words = m.get("header_words", {})
    opt_out = m.get("opt_out", {})
    field_words = {f: frozenset(w) for f, w in m.get("field_words", {}).items()}
    own_address = frozenset(words.get("own_address", ()))
    return Lexicon(
        languages=tuple(languages),
        field_words=field_words,
        field_headers={f: tuple(h) for f, h in m.get("field_headers", {}).items()},
        joins=_pairs(words.get("joins", ())),
        compounds=_pairs(words.get("compounds", ())),
        own_address=own_address,
        qualifiers=own_address | frozenset(words.get("qualifiers", ())),
        not_a_value=frozenset(words.get("not_a_value", ())) | field_words.get("company", set()),
        full_name_headers=tuple(words.get("full_name", ())),
        bare_name=frozenset(words.get("bare_name", ())),
        bare_given_name=frozenset(words.get("bare_given_name", ())),
        name_prefixes=frozenset(m.get("names", {}).get("prefixes", ())),
        prefix_headers=tuple(m.get("names", {}).get("prefix_headers", ())),
        company_words=frozenset(m.get("names", {}).get("company_words", ())),
        phone_extensions=tuple(m.get("values", {}).get("phone_extensions", ())),
        null_cells=frozenset(m.get("values", {}).get("null_cells", ())),
        status_header_words=frozenset(m.get("status", {}).get("header_words", ())),
        status_translations=dict(m.get("status", {}).get("translations", {})),
        opt_out_values=_opt_out_values(opt_out),
        yes=frozenset(opt_out.get("yes", ())),
        no=frozenset(opt_out.get("no", ())),
        opt_out_headers=_opt_out_headers(opt_out.get("headers", {})),
        consent=_consent(m.get("consent", {})),
        role_locals=frozenset(m.get("roles", {}).get("locals", ())),
        verdict_generic_headers=tuple(m.get("verdicts", {}).get("generic_headers", ())),
        verdict_services=tuple(_service(s) for s in m.get("verdicts", {}).get("services", ())),
    )


def _pairs(phrases: list[str]) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for phrase in phrases:
        first, second = phrase.split()
        out[(first, second)] = first + second
    return out


def _opt_out_values(table: dict[str, Any]) -> dict[str, OptOutWord]:
    values: dict[str, OptOutWord] = dict.fromkeys(table.get("unsubscribed", ()), "unsubscribed")
    values.update(dict.fromkeys(table.get("bounced", ()), "bounced"))
    return values


def _phrases(texts: list[str]) -> tuple[Phrase, ...]:
    return tuple(tuple(t.split()) for t in texts)


def _opt_out_headers(table: dict[str, list[str]]) -> OptOutHeaders:
    return OptOutHeaders(
        unsubscribed=frozenset(table.get("unsubscribed", ())),
        unsubscribed_phrases=_phrases(table.get("unsubscribed_phrases", [])),
        bounced=frozenset(table.get("bounced", ())),
        bounced_phrases=_phrases(table.get("bounced_phrases", [])),
        not_email=frozenset(table.get("not_email", ())),
        when=frozenset(table.get("when", ())),
    )


def _consent(table: dict[str, list[str]]) -> ConsentWords:
    return ConsentWords(
        subscription=_phrases(table.get("subscription", [])),
        do_not_email=_phrases(table.get("do_not_email", [])),
        permission=_phrases(table.get("permission", [])),
        other_channel=_phrases(table.get("other_channel", [])),
        positive=frozenset(table.get("positive", ())),
        negative=frozenset(table.get("negative", ())),
        channels=frozenset(table.get("channels", ())),
    )


def _service(table: dict[str, Any]) -> VerdictService:
    words = dict(table.get("words", {}))
    words.update(dict.fromkeys(table.get("detail", ()), "detail"))
    return VerdictService(
        name=table["name"],
        headers=tuple(table.get("headers", ())),
        words=words,
        generic=bool(table.get("generic", False)),
        neutral=bool(table.get("neutral", False)),
    )
