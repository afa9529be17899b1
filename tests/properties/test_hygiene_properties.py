"""The hygiene stage's chunk-wide cuts (hygiene.addresses.domains_of, hygiene.roles.role_locals)
give what the one-address rules give, on any chunk: whether or not the two cuts share one
joined text (``LowerLines``), and on text that is not ASCII, holds spaces, newlines, tags,
several ``@`` or no text at all. Slow (hypothesis): kept out of the fast unit loop."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from foxreach_cli.hygiene.addresses import LowerLines, domains_of, split_addresses
from foxreach_cli.hygiene.roles import _SEPARATORS, ROLE_LOCALS, disposable_domain, role_locals
from foxreach_cli.hygiene.stage import Hygiene

_ROLE_WORDS = sorted(ROLE_LOCALS)[:12]

#: Pieces of addresses: role words and their disguises, separators and tags, domains beyond
#: ASCII, whitespace str.strip removes (and some it does not reach), zero-width characters.
_PIECES = st.sampled_from(
    [
        *_ROLE_WORDS,
        *(w.upper() for w in _ROLE_WORDS[:4]),
        "no-reply", "no_reply", "no.reply", "in.fo", "info+eu", "+sales", "infos", "ann",
        "@", "@@", ".", "-", "_", "+", "acme.com", "bücher.de", "BÜCHER.DE", "x.mailinator.com",
        " ", "\t", "\u00a0", "\u2003", "\n", "\u200b", "\ufeff", "İ", "\u212a", "ß", "Σ", "é",
        "e\u0301", "東京", "",
    ]
)  # fmt: skip
_ADDRESS = st.lists(_PIECES, max_size=6).map("".join)
#: A chunk's emails: mostly plain validated addresses, then any mix of the pieces, and now and
#: then a value that is not text at all (a reader gives text only; the cuts must not fail).
_CHUNK = st.lists(
    st.one_of(
        st.builds(lambda w, d: f"{w}@{d}", st.sampled_from([*_ROLE_WORDS, "lead.7", "Ann"]),
                  st.sampled_from(["acme.com", "globex.io", "Bücher.de", "mailinator.com"])),
        _ADDRESS,
        st.none(),
    ),
    max_size=30,
)  # fmt: skip

#: A chunk whose every line holds one ``@`` (the shape validated emails have), which takes the
#: cuts' split path: local parts with tags, separators and letters beyond ASCII.
_ONE_AT_CHUNK = st.lists(
    st.builds(
        lambda local, domain: f"{local}@{domain}",
        st.lists(_PIECES.filter(lambda p: "@" not in p and "\n" not in p), min_size=1,
                 max_size=4).map("".join).filter(lambda t: t.strip() != ""),
        st.sampled_from(["acme.com", "Bücher.de", "x.mailinator.com", "globex.io"]),
    ),
    min_size=1,
    max_size=30,
)  # fmt: skip
_ANY_CHUNK = st.one_of(_CHUNK, _ONE_AT_CHUNK)

_TAG_OR_AT = re.compile(r"[+@]")


def _role_one_by_one(value: object) -> str:
    """The per-row rule: the local part up to its first ``+`` or ``@``, lowercased, without
    separators, if that is a role word."""
    if type(value) is not str:
        return ""
    base = _TAG_OR_AT.split(value.lower(), 1)[0].translate(_SEPARATORS)
    return base if base in ROLE_LOCALS else ""


@settings(max_examples=400, deadline=None)
@given(_ANY_CHUNK)
def test_role_locals_of_a_chunk_agree_with_the_rule_row_by_row(values: list[object]) -> None:
    expected = [_role_one_by_one(v) for v in values]
    assert role_locals(values).tolist() == expected
    assert role_locals(values, LowerLines(values)).tolist() == expected


@settings(max_examples=400, deadline=None)
@given(_ANY_CHUNK)
def test_the_domain_cut_agrees_with_the_address_form_with_or_without_shared_lines(
    values: list[object],
) -> None:
    lines = LowerLines(values) if values else None
    alone = domains_of(values).tolist()
    assert domains_of(values, lines).tolist() == alone
    if not any(type(v) is str and v.strip().startswith("@") and "@" in v.strip()[1:]
               for v in values):  # fmt: skip
        # Left aside: "@@x", which the ASCII cut reads as having no local part (no domain)
        # and the address form as the local part "@" (domain "x"). No validated email is
        # either; the two rules differ there on main too.
        assert alone == split_addresses(values)[1].tolist()
    # The role cut of the same lines afterwards (the stage's order) still agrees.
    assert role_locals(values, lines).tolist() == [_role_one_by_one(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(_ANY_CHUNK)
def test_the_stage_counts_what_the_address_form_finds(values: list[object]) -> None:
    # The default stage (no list, no domain check) shares one joined text between its cuts;
    # a stage reading the full address form must count the same role and disposable rows.
    found = Hygiene().check(values)
    domains = split_addresses(values)[1]
    assert not found.excluded.any()
    assert found.role.tolist() == [_role_one_by_one(v) for v in values]
    assert found.disposable.tolist() == [disposable_domain(d) if d else "" for d in domains]
