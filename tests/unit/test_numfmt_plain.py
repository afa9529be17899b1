"""Number formats of '#'s, one '0' and '0' decimals ('#,##0.00') are written with Python's
own formatting; the text is the general renderer's, digit for digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foxreach_cli.readers import numfmt

CODES = ["0", "0.0", "0.00", "#,##0", "#,##0.00", "#,##0.000", "##0.0", "#0", "0.0000"]


def _both(code: str, monkeypatch: pytest.MonkeyPatch) -> tuple[numfmt.Formatter, numfmt.Formatter]:
    numfmt.compile_format.cache_clear()
    fast = numfmt.compile_format(code)
    with monkeypatch.context() as patch:
        patch.setattr(numfmt, "_plain_number", lambda *_args: False)
        numfmt.compile_format.cache_clear()
        slow = numfmt.compile_format(code)
    numfmt.compile_format.cache_clear()
    assert fast is not None and slow is not None
    return fast, slow


def _text(fmt: numfmt.Formatter, value: float) -> str:
    try:
        return fmt(value)
    except (ValueError, ArithmeticError) as exc:
        return type(exc).__name__


@pytest.mark.parametrize("code", CODES)
@given(
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(min_value=-(10**12), max_value=10**12, places=3).map(float),
        st.sampled_from([2.675, 1.005, 0.045, 999.995, -0.0, 2**33 - 0.5, 2**33 + 0.25, 1e15]),
    )
)
def test_the_plain_formats_write_what_the_general_renderer_writes(code: str, value: float) -> None:
    with pytest.MonkeyPatch.context() as patch:
        fast, slow = _both(code, patch)
    assert _text(fast, value) == _text(slow, value)
