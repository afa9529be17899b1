"""What a header names, by the meaning of its words (:func:`header_words`): a lead field
(its name, a header the lexicon lists, or words such as ``contact_first_name``,
``employerName``, ``givenName``), a whole name, an email opt-out or bounce, a status."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from foxreach_cli.stage_data import LEAD_FIELDS

from .evidence import Source
from .lexicon import lexicon
from .result import OptOutKind, OptOutStatus
from .words import has_phrase, header_key, header_words

#: Rank of a claim by header words: after every listed header (a listed header's rank is its
#: place in the lexicon's list); an earlier field's words rank stronger.
RANK_WORDS = 1000


@dataclass(frozen=True)
class HeaderMatch:
    """The field a header names and how strongly (lower rank wins a clash)."""

    field: str  # a lead field or "tags"
    source: Source  # FIELD_NAME, SYNONYM or HEADER_WORDS
    rank: int
    spelling: str = ""  # the listed header, or the header's words
    #: For the email: the header names the lead's own address (it may stand in where the
    #: email column is empty), not a manager's or a company's.
    own_address: bool = True


@cache
def _listed() -> dict[str, tuple[str, int, str]]:
    """Header key -> (field, rank, spelling as listed), for every header the lexicon lists."""
    index: dict[str, tuple[str, int, str]] = {}
    for field, spellings in lexicon().field_headers.items():
        for rank, spelling in enumerate(spellings):
            key = header_key(spelling)
            if key in index and index[key][0] != field:
                raise AssertionError(f"header {spelling!r} listed for two fields")
            index.setdefault(key, (field, rank, spelling))
    return index


@cache
def _field_names() -> dict[str, str]:
    return {header_key(f): f for f in (*LEAD_FIELDS, "tags")}


@cache
def _full_names() -> frozenset[str]:
    return frozenset(header_key(h) for h in lexicon().full_name_headers)


def field_of_header(header: str) -> HeaderMatch | None:
    """The field ``header`` names: its name, a listed header, else its words; None when it
    names none plainly."""
    key = header_key(header)
    if not key:
        return None
    listed = _listed().get(key)
    name = _field_names().get(key)
    if name is not None:
        rank = listed[1] if listed is not None and listed[0] == name else 0
        return HeaderMatch(name, Source.FIELD_NAME, rank)
    if listed is not None:
        field, rank, spelling = listed
        return HeaderMatch(field, Source.SYNONYM, rank, spelling)
    return _field_by_words(header)


def _field_by_words(header: str) -> HeaderMatch | None:
    """The field a header names by its words (``contact_first_name``, ``User Email``,
    ``E-Mail-Adresse``, ``EnterpriseName``), when its other words only qualify it."""
    if opt_out_header(header) is not None:
        return None
    lex = lexicon()
    words = header_words(header)
    joined: list[str] = []
    for word in words:
        if joined and (joined[-1], word) in lex.compounds:
            joined[-1] = lex.compounds[(joined[-1], word)]
        else:
            joined.append(word)
    for n, (field, names) in enumerate(lex.field_words.items()):
        if not names.intersection(joined):
            continue
        rest = {w for w in joined if w not in names}
        if field != "company" and lex.not_a_value.intersection(rest):
            return None
        if rest - lex.qualifiers:
            return None
        own = field != "email" or not rest - lex.own_address
        rank = RANK_WORDS + 10 * n + (0 if own else 5)
        return HeaderMatch(field, Source.HEADER_WORDS, rank, " ".join(words), own)
    return None


def names_email(header: str) -> bool:
    """Does this header text name an email column (the field name or a listed header)?

    Readers use it to find the header row below a preamble.
    """
    key = header_key(header)
    listed = _listed().get(key)
    return key == "email" or (listed is not None and listed[0] == "email")


def names_full_name(header: str) -> bool:
    """A header of a column holding a whole name (``Full Name``, LDAP's ``cn``)."""
    return header_key(header) in _full_names()


def bare_name_of(header: str) -> str | None:
    """The name field a header of one bare word names beside the other name field:
    ``lastName`` for ``Name``/``Nom`` (beside a first name), ``firstName`` for
    ``Nombre``/``Nome`` (beside a family name); None for any other header."""
    words = header_words(header)
    if len(words) != 1:
        return None
    lex = lexicon()
    if words[0] in lex.bare_name:
        return "lastName"
    if words[0] in lex.bare_given_name:
        return "firstName"
    return None


def opt_out_header(header: str) -> tuple[OptOutStatus, OptOutKind] | None:
    """What a header says a yes in its column means, and how the column is read; None when
    the header names no email opt-out or bounce."""
    words = header_words(header)
    said = lexicon().opt_out_headers
    if not words or said.not_email.intersection(words):
        return None
    means: OptOutStatus
    if said.unsubscribed.intersection(words) or any(
        has_phrase(words, p) for p in said.unsubscribed_phrases
    ):
        means = "unsubscribed"
    elif said.bounced.intersection(words) or any(
        has_phrase(words, p) for p in said.bounced_phrases
    ):
        means = "bounced"
    else:
        return None
    return means, ("when" if said.when.intersection(words) else "flag")


def status_like(header: str) -> bool:
    """Does the header name a status of some kind (``Status``, ``Lead Status``, ``state``,
    ``Email Marketing Consent``, ``Subscription``)?"""
    return bool(lexicon().status_header_words.intersection(header_words(header)))


#: What a consent header says its column is (the lexicon's ``[consent]`` phrases): a
#: subscription state, an email do-not-contact, a marketing permission, or about another
#: channel than email.
ConsentKind = Literal["subscription", "do_not_email", "permission", "other_channel"]


def consent_header(header: str) -> ConsentKind | None:
    """What kind of consent column a header names, by its words; None for none. Another
    channel (``Do Not Call``, ``SMS Opt In``) wins, then the more specific kinds; a header with
    a date or reason word (``Opt In Date``) names no consent state."""
    words = header_words(header)
    if not words:
        return None
    said = lexicon().consent

    def names(phrases: tuple[tuple[str, ...], ...]) -> bool:
        return _holds_any(words, phrases)

    if names(said.other_channel) or lexicon().opt_out_headers.not_email.intersection(words):
        return "other_channel" if _names_consent(words) else None
    if names(said.do_not_email):
        return "do_not_email"
    if lexicon().opt_out_headers.when.intersection(words):
        return None
    if names(said.permission):
        return "permission"
    if names(said.subscription):
        return "subscription"
    return None


def _names_consent(words: tuple[str, ...]) -> bool:
    """Do the words name a consent or opt-out of some kind (``Do Not Call``, ``SMS Opt Out``,
    ``Text Subscribed``), as opposed to a phone number or a postal address (``SMS``, ``Post``:
    the lexicon's ``[consent] channels``)?"""
    said = lexicon().consent
    every = said.subscription + said.do_not_email + said.permission + said.other_channel
    opt_out = lexicon().opt_out_headers
    consent = tuple(p for p in every if len(p) > 1 or p[0] not in said.channels)
    return (
        _holds_any(words, consent)
        or bool(opt_out.unsubscribed.intersection(words))
        or any(has_phrase(words, p) for p in opt_out.unsubscribed_phrases)
    )


def _holds_any(words: tuple[str, ...], phrases: tuple[tuple[str, ...], ...]) -> bool:
    """Do ``words`` hold any of ``phrases``? Only the phrases that start with one of the
    words are tried (the lexicon holds hundreds, a header a few words)."""
    index = _by_first_word(phrases)
    return any(has_phrase(words, p) for w in set(words) for p in index.get(w, ()))


@cache
def _by_first_word(
    phrases: tuple[tuple[str, ...], ...],
) -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        if phrase:
            index.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(group) for first, group in index.items()}
