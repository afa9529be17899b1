"""The vectorised email checks against email-validator itself (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.unit.test_validate import (
    _DOMAINISH,
    _EMAILISH,
    _NO_PERIOD_ISH,
    check,
    reasons,
    validate_chunk_verdict,
    validator_reason,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_EMAILISH, st.builds(lambda a, b: f"{a}@{b}", _EMAILISH, _DOMAINISH), st.emails()))
def test_hypothesis_fast_paths_agree_with_email_validator(email):
    assume(email.strip())  # a blank cell is a missing email, not one to validate
    assert validate_chunk_verdict(email) == validator_reason(email.strip()), email


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.emails(), _EMAILISH, _NO_PERIOD_ISH), min_size=1, max_size=30))
def test_hypothesis_chunk_verdicts_are_email_validators(emails):
    vc = check({"Email": emails})
    got = {row: None for row in vc.valid["row"].tolist()} | reasons(vc)
    for row, e in enumerate(emails, start=2):
        e = e.strip()
        if not e:
            assert got[row] in ("missing email", "empty row")
        else:
            expected = validator_reason(e)
            assert got[row] == (None if expected is None else "invalid email: " + expected), e


#: Lines built to sit on the edge of the plain shape (validate._plain_lines): hyphens and dots
#: beside each other and the @, special-use and long top-level domains in either case, digits
#: in the top-level domain, spaces and the whitespace str.strip removes, lines of 64 and 65
#: characters.
_PLAIN_EDGE = st.lists(
    st.sampled_from(
        [
            "a", "Z", "0", "9", ".", "-", "@", "_", "+", " ", "\t", "\x0b", "\x1f", "",
            ".com", ".IO", ".c", ".co1", ".test", ".TeSt", ".localhost", ".local", ".onion",
            ".arpa", ".invalid", ".abcdefghijkl", ".abcdefghijklm", "-.", ".-", "@-", "-@",
            "--", "..", "@@", "x" * 30, "y" * 31,
        ]
    ),
    max_size=8,
).map("".join)  # fmt: skip


#: Addresses one step from the plain shape: a local part, an @, labels and a top-level domain
#: drawn from pieces that each break (or keep) one of its rules.
_NEAR_PLAIN = st.builds(
    lambda local, labels, tld: f"{local}@{labels}{tld}",
    st.lists(st.sampled_from(["a", "Z", "0", ".", "-", "_", "+", "ab", "x" * 30]),
             min_size=1, max_size=4).map("".join),
    st.lists(st.sampled_from(["a", "b0", "-", ".", "x-y", "y" * 31, "@"]),
             min_size=1, max_size=4).map("".join),
    st.sampled_from([".com", ".c", ".IO", ".co1", ".test", ".TeSt", ".localhost", ".LOCAL",
                     ".onion", ".arpa", ".invalid", ".tests", ".abcdefghijkl",
                     ".abcdefghijklm", "", ".", " .com", ".com-"]),
)  # fmt: skip


def _same_as_the_pattern(emails: list[str]) -> bool:
    """Does the chunk's fast path (numpy over the bytes, the pattern on the lines it leaves)
    give, line for line, what the pattern alone gives, with every plain line one the pattern
    accepts? Returns whether the chunk took the numpy pass (its text is ASCII)."""
    import numpy as np

    from foxreach_cli import validate

    values = np.array([e.strip() for e in emails], dtype=object)
    joined = validate._join_lines(values)
    pattern = validate._FAST_LINE_ASCII if joined.isascii() else validate._FAST_LINE
    expected = validate._pattern_mask(values, joined, pattern)
    assert validate._fast_mask(values, joined).tolist() == expected.tolist(), emails
    if joined.isascii():
        plain = validate._plain_lines(joined, len(values))
        assert not (plain & ~expected).any(), emails
    return joined.isascii()


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(_NEAR_PLAIN, _PLAIN_EDGE), min_size=1, max_size=40))
def test_hypothesis_the_numpy_pass_gives_what_the_pattern_gives(emails):
    # Mostly ASCII chunks: the numpy pass runs (a piece beyond ASCII sends the chunk to the
    # pattern alone, which the same check covers).
    _same_as_the_pattern(emails)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(_NEAR_PLAIN, _EMAILISH, st.emails(), st.sampled_from(["", " ", "\t"])),
        min_size=1,
        max_size=40,
    )
)
def test_hypothesis_any_chunk_gives_what_the_pattern_gives(emails):
    # Any chunk, whitespace-only and blank cells too (blank lines come out True either way;
    # a missing cell is "" by then).
    _same_as_the_pattern(emails)
