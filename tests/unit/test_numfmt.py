"""Number formats render as the spreadsheet displays them (readers.numfmt)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foxreach_cli.readers.numfmt import (
    compile_format,
    compile_text_format,
    general,
    render,
    serial_to_datetime,
)

DISPLAYED = [
    # zero padding
    (2134, "00000", "02134"),
    (123456789, "000-00-0000", "123-45-6789"),
    (12345678, "000-00-0000", "012-34-5678"),
    (4155550100, "(000) 000-0000", "(415) 555-0100"),
    (1234567, "00000", "1234567"),
    # percent
    (0.5, "0%", "50%"),
    (0.12345, "0.00%", "12.35%"),
    (1.5, "0%", "150%"),
    # fixed decimals, rounded half away from zero as Excel does
    (3.14159, "0.00", "3.14"),
    (2.675, "0.00", "2.68"),
    (-2.5, "0", "-3"),
    (7, "0.00", "7.00"),
    (0.5, ".00", ".50"),
    (0.5, "0.0#", "0.5"),
    (0.256, "0.0#", "0.26"),
    # thousands
    (1234567, "#,##0", "1,234,567"),
    (1234567.891, "#,##0.00", "1,234,567.89"),
    (0, "#,##0", "0"),
    (999, "#,##0", "999"),
    (-1234.5, "#,##0.00", "-1,234.50"),
    (1234567, "#,##0,", "1,235"),
    # sections, literals, currency, padding
    (-1234.5, "#,##0.00_);(#,##0.00)", "(1,234.50)"),
    (1234.5, "#,##0.00_);(#,##0.00)", "1,234.50"),
    (0, '0;-0;"none"', "none"),
    (1.5, "$#,##0.00", "$1.50"),
    (1234.5, "[$€-407]#,##0.00", "€1,234.50"),
    (12.5, '0.00" kg"', "12.50 kg"),
    (5, "[Red]0", "5"),
    # Excel's accounting format, with its fill, padding and text section
    (1234.5, '_-* #,##0.00_-;\\-* #,##0.00_-;_-* "-"??_-;_-@_-', "1,234.50"),
    (-1234.5, '_-* #,##0.00_-;\\-* #,##0.00_-;_-* "-"??_-;_-@_-', "-1,234.50"),
    (0, '_-* #,##0.00_-;\\-* #,##0.00_-;_-* "-"??_-;_-@_-', "-"),
    (45000, "mm/dd/yyyy;@", "03/15/2023"),
    (45000, 'yyyy"年"m"月"d"日"', "2023年3月15日"),
    # scientific
    (12345.678, "0.00E+00", "1.23E+04"),
    # dates and times (45000 is 2023-03-15)
    (45000, "yyyy-mm-dd", "2023-03-15"),
    (45000, "mm/dd/yyyy", "03/15/2023"),
    (45000, "m/d/yy", "3/15/23"),
    (45000, "d-mmm-yy", "15-Mar-23"),
    (45000, "dd/mm/yyyy", "15/03/2023"),
    (45000, "dddd, mmmm d, yyyy", "Wednesday, March 15, 2023"),
    (45000, "[$-409]mmmm d, yyyy", "March 15, 2023"),
    (0.75, "h:mm", "18:00"),
    (0.75, "h:mm AM/PM", "6:00 PM"),
    (0.5 / 24, "mm:ss", "30:00"),
    (45000.5, "yyyy-mm-dd hh:mm", "2023-03-15 12:00"),
    (45000.5, "yyyy-mm-dd h:mm:ss", "2023-03-15 12:00:00"),
    (45000.9999999, "yyyy-mm-dd hh:mm:ss", "2023-03-16 00:00:00"),
    (1.5, "[h]:mm:ss", "36:00:00"),
    (45000 + 1.5 / 86400, "hh:mm:ss.0", "00:00:01.5"),
    (1, "yyyy-mm-dd", "1900-01-01"),
    (61, "yyyy-mm-dd", "1900-03-01"),
    # text and General
    (2134, "@", "2134"),
    (2134.5, "[Blue]General", "2134.5"),
    (-7, 'General;[Red]"minus "General', "minus 7"),
    (0.1 + 0.2, "General", "0.3"),
    # sections chosen by conditions: a US phone with or without its area code
    (6175551234, "[<=9999999]###-####;(###) ###-####", "(617) 555-1234"),
    (5551234, "[<=9999999]###-####;(###) ###-####", "555-1234"),
    (150, '[>100]"many";0', "many"),
    (50, '[>100]"many";0', "50"),
    (5, '[Red][>=10]"high";[Blue]"low"', "low"),
    # fractions
    (0.5, "# ?/?", "1/2"),
    (0.5, "# ??/??", "1/2"),
    (1.25, "# ?/?", "1 1/4"),
    (3.14159, "# ??/??", "3 14/99"),
    (2, "# ?/?", "2"),
    (0, "# ?/?", "0"),
    (0.99, "# ?/?", "1"),
    (-1.5, "# ?/?", "-1 1/2"),
    (1.5, "?/?", "3/2"),
    (0.37, "# ?/8", "3/8"),
    # a text section does not change how a number is shown
    (5, '0;-0;0;"pre-"@', "5"),
    (3, '"pre-"@', "3"),
    (123456789012345, "General", "123456789012345"),
    (4155550100.0, "General", "4155550100"),
    (1234.56789012345678, "General", "1234.56789012346"),
]


@pytest.mark.parametrize(("value", "code", "shown"), DISPLAYED)
def test_a_number_is_shown_as_its_format_displays_it(value: float, code: str, shown: str) -> None:
    assert render(value, code) == (shown, True)


@pytest.mark.parametrize(
    "code", ["[DBNum2]0.00", "[$-F800]dddd, mmmm dd, yyyy", "[DBNum1]0", '0 "x"@']
)
def test_a_format_not_understood_falls_back_to_general_and_says_so(code: str) -> None:
    assert compile_format(code) is None
    assert render(1234.5, code) == ("1234.5", False)


def test_a_negative_date_is_general_and_not_understood() -> None:
    assert render(-3, "yyyy-mm-dd") == ("-3", False)


def test_general_has_no_float_noise_and_no_dot_zero() -> None:
    assert [general(v) for v in (3.0, -42.0, 0.1 + 0.2, 1e20, 1.5e-10)] == [
        "3",
        "-42",
        "0.3",
        "1e+20",
        "1.5e-10",
    ]


def test_the_1904_date_system_counts_from_1904() -> None:
    assert render(0, "yyyy-mm-dd", date1904=True) == ("1904-01-01", True)
    assert serial_to_datetime(45000, date1904=True).year == 2027


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))
def test_general_keeps_the_number_to_15_significant_digits(value: float) -> None:
    shown = general(value)
    assert ".0" not in shown[-2:]
    assert float(shown) == float(f"{value:.15g}")


@given(st.integers(min_value=0, max_value=10**12))
def test_zero_padding_keeps_every_digit(value: int) -> None:
    shown, understood = render(value, "00000")
    assert understood
    assert shown == str(value).zfill(5)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False))
def test_thousands_with_decimals_read_back_as_the_rounded_number(value: Decimal) -> None:
    shown, _ = render(float(value), "#,##0.00")
    expected = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Decimal(shown.replace(",", "")) == expected


@pytest.mark.parametrize(
    ("code", "text", "shown"),
    [
        ('0;-0;0;"pre-"@', "Acme", "pre-Acme"),
        ('"Dr. "@', "Ada King", "Dr. Ada King"),
        ("@", "Acme", "Acme"),
        ('_-* #,##0.00_-;\\-* #,##0.00_-;_-* "-"??_-;_-@_-', "Acme", "Acme"),
        ('0;0;0;"n/a"', "anything", "n/a"),
        ("0.00", "Acme", "Acme"),
        ("mm/dd/yyyy;@", "Acme", "Acme"),
    ],
)
def test_a_text_cell_is_shown_through_the_text_section(code: str, text: str, shown: str) -> None:
    formatter = compile_text_format(code)
    assert (text if formatter is None else formatter(text)) == shown
