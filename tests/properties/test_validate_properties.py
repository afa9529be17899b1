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
