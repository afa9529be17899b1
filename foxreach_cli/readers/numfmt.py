"""Spreadsheet number formats: a cell's number as the text the spreadsheet shows.

XLSX and XLS store a number and a format code (``00000``, ``0.00%``, ``yyyy-mm-dd``); what a
person sees, and so what a lead should carry, is the number rendered with that code.
:func:`compile_format` turns a code into a function ``float -> str`` (cached per code);
it returns None for a code it does not understand (locale-dependent system formats,
``[DBNum1]``), and the caller then shows the number as General and records the code
(docs/reading.md lists what is understood). :func:`compile_text_format` does the same for a
text cell under a code with a text section (``0;-0;0;"pre-"@``).

General is the shortest text of at most 15 significant digits, as Excel shows it: an
integral number up to 2**53 without ``.0`` (a 15-digit phone stays digits), ``0.1+0.2``
as ``0.3``. Excel's built-in format 14 follows the reader's locale in Excel; here it is
``yyyy-mm-dd``, the one reading no one can take for another date.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

#: A compiled format: the number -> the text shown.
Formatter = Callable[[float], str]

#: Excel's built-in format codes by numFmtId (ECMA-376 18.8.30). Ids 14 and 22 are the
#: locale's short date (and time); we write them as ISO dates.
BUILTIN_FORMATS: dict[int, str] = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    5: "$#,##0_);($#,##0)",
    6: "$#,##0_);[Red]($#,##0)",
    7: "$#,##0.00_);($#,##0.00)",
    8: "$#,##0.00_);[Red]($#,##0.00)",
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "yyyy-mm-dd",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "yyyy-mm-dd h:mm",
    37: "#,##0_);(#,##0)",
    38: "#,##0_);[Red](#,##0)",
    39: "#,##0.00_);(#,##0.00)",
    40: "#,##0.00_);[Red](#,##0.00)",
    41: '_(* #,##0_);_(* (#,##0);_(* "-"_);_(@_)',
    42: '_("$"* #,##0_);_("$"* (#,##0);_("$"* "-"_);_(@_)',
    43: '_(* #,##0.00_);_(* (#,##0.00);_(* "-"??_);_(@_)',
    44: '_("$"* #,##0.00_);_("$"* (#,##0.00);_("$"* "-"??_);_(@_)',
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mm:ss.0",
    48: "##0.0E+0",
    49: "@",
}

_MONTHS = [
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

_MAX_INT = 2**53
#: Below it a double holds any number of up to 4 decimals to within 1e-6 of its last place.
EXACT_BELOW = 2**33
_DAY_MS = 86_400_000


def general(value: float) -> str:
    """A number as Excel's General format shows it (at most 15 significant digits)."""
    if value.is_integer() and abs(value) < _MAX_INT:
        return str(int(value))
    return f"{value:.15g}"


def serial_to_datetime(value: float, date1904: bool = False) -> dt.datetime:
    """A spreadsheet date serial as a datetime, to the millisecond.

    1900 system: serial 1 is 1900-01-01; serial 60 is Excel's 29 February 1900, a day that
    never was, shown as 1900-03-01 like serial 61. 1904 system: serial 0 is 1904-01-01.

    Raises:
        ValueError: a serial outside the years 1900-9999.
    """
    ms = round(value * _DAY_MS)
    if date1904:
        base = dt.datetime(1904, 1, 1)
    elif ms < 61 * _DAY_MS:
        base = dt.datetime(1899, 12, 31)
    else:
        base = dt.datetime(1899, 12, 30)
    if ms < 0 or ms > 2_958_466 * _DAY_MS:
        raise ValueError(f"date serial {value} is out of range")
    return base + dt.timedelta(milliseconds=ms)


def render(value: float, code: str, date1904: bool = False) -> tuple[str, bool]:
    """The text shown for ``value`` under format ``code``, and whether the code was
    understood (when not, the text is General)."""
    formatter = compile_format(code, date1904)
    value = float(value)
    if formatter is None:
        return general(value), False
    try:
        return formatter(value), True
    except (ValueError, OverflowError, ArithmeticError):
        return general(value), False


def is_date_format(code: str) -> bool:
    """Does the code show a date or time (as opposed to a plain number)?"""
    return any(_is_date_section(_tokens(section)) for section in _split_sections(code))


@functools.lru_cache(maxsize=512)
def compile_format(code: str, date1904: bool = False) -> Formatter | None:
    """``code`` as a function from number to text, or None when it is not understood.

    Sections are positive;negative;zero, or chosen by their conditions
    (``[<=9999999]###-####;(###) ###-####``: the first section for numbers up to 9999999,
    the second for the others); a fourth section, or one holding ``@``, is for text cells
    (:func:`compile_text_format`)."""
    if code.strip().lower() in ("general", ""):
        return general
    try:
        parts = [_condition(s) for s in _split_sections(code)]
        if any(_is_text_section(s) and "ph" in _kinds(s) for _cond, s in parts):
            raise _NotUnderstood("digits and text in one section")
        numeric = [(cond, s) for cond, s in parts if not _is_text_section(s)][:3]
        if not numeric:
            return general  # '@' alone: a number in a text-formatted cell shows as General
        sections = [_compile_section(s, date1904) for _cond, s in numeric]
        conditions = [cond for cond, _s in numeric]
    except _NotUnderstood:
        return None
    if any(c is not None for c in conditions):
        return _conditional(sections, conditions)
    positive = sections[0]
    if positive is None:
        return general
    negative = sections[1] if len(sections) > 1 else None
    zero = sections[2] if len(sections) > 2 else None
    if negative is None and zero is None and isinstance(positive, PlainNumber):
        return positive.signed()

    dated = is_date_format(code)

    def formatter(value: float) -> str:
        # Padding ('_)', '?') aligns columns on screen; a lead's value has no use for it.
        if value < 0 and negative is not None:
            return negative(-value).strip(" ")
        if value == 0 and zero is not None:
            return zero(0.0).strip(" ")
        if value < 0:
            if dated:
                raise ValueError("a negative date")  # Excel shows ####
            text = positive(-value).strip(" ")
            return "-" + text if any(c.isdigit() and c != "0" for c in text) else text
        return positive(value).strip(" ")

    return formatter


#: A section's condition: ``[<=9999999]``, ``[>100]``, ``[=0]``, ``[<>1]``.
_CONDITION = re.compile(r"\[(<=|>=|<>|<|>|=)\s*(-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\]")
_TESTS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
}
Condition = tuple[str, float]


def _condition(section: str) -> tuple[Condition | None, str]:
    """A section's condition (None when it has none) and the section without it."""
    match = _CONDITION.search(section)
    if match is None:
        return None, section
    rest = section[: match.start()] + section[match.end() :]
    return (match.group(1), float(match.group(2))), rest


def _conditional(
    sections: list[Callable[[float], str] | None], conditions: list[Condition | None]
) -> Formatter:
    """Sections chosen by their conditions, as Excel does: the first whose condition holds;
    a section without one takes what the conditions before it left (the last section is
    the "else"). A number no section takes is not shown (Excel fills the cell with #)."""

    def formatter(value: float) -> str:
        for n, (section, cond) in enumerate(zip(sections, conditions)):
            last = n == len(sections) - 1
            if cond is not None and not _TESTS[cond[0]](value, cond[1]):
                continue
            if cond is None and n == 0 and not (value > 0 or (last and value >= 0)):
                continue
            shown = general(abs(value)) if section is None else section(abs(value)).strip(" ")
            # A section for negatives ([<0]) writes its own sign, as Excel does.
            negative_section = cond is not None and cond[0] in ("<", "<=") and cond[1] <= 0
            if value < 0 and not negative_section:
                shown = "-" + shown
            return shown
        raise ValueError(f"no section of the format takes {value!r}")

    return formatter


def _is_text_section(section: str) -> bool:
    """Is this the section for text cells (it shows the text with ``@``)?"""
    return any(kind == "at" for kind, _ in _tokens_or_empty(section))


def _kinds(section: str) -> set[str]:
    return {kind for kind, _ in _tokens_or_empty(section)}


def _tokens_or_empty(section: str) -> list[tuple[str, str]]:
    try:
        return _tokens(section)
    except _NotUnderstood:
        return []


#: A compiled text section: the cell's text -> the text shown.
TextFormatter = Callable[[str], str]


@functools.lru_cache(maxsize=512)
def compile_text_format(code: str) -> TextFormatter | None:
    """How a text cell under ``code`` is shown, or None when as it is: the fourth section
    (``0;-0;0;"pre-"@`` shows ``pre-Acme`` for ``Acme``), else the one section holding
    ``@``. Quoted and escaped literals are kept; padding (``_x``), fills (``*x``) and
    colours are dropped."""
    sections = _split_sections(code)
    chosen = sections[3] if len(sections) > 3 else None
    if chosen is None:
        texts = [s for s in sections if _is_text_section(s)]
        chosen = texts[0] if len(texts) == 1 else None
    if chosen is None or "@" not in chosen:
        if chosen is not None and len(sections) > 3:
            # A text section without '@' shows its literal instead of the text.
            literal = _text_pieces(chosen)
            return lambda _text: "".join(p for p in literal if p is not None)
        return None
    pieces = _text_pieces(chosen)
    if pieces == [None]:
        return None  # '@' alone: the text as it is
    return lambda text: "".join(text if p is None else p for p in pieces)


def _text_pieces(section: str) -> list[str | None]:
    """A text section as literals, with None where the text goes."""
    pieces: list[str | None] = []
    i, n = 0, len(section)
    while i < n:
        c = section[i]
        if c == '"':
            end = section.find('"', i + 1)
            end = n if end < 0 else end
            pieces.append(section[i + 1 : end])
            i = end + 1
        elif c == "\\":
            pieces.append(section[i + 1 : i + 2])
            i += 2
        elif c in "_*":
            i += 2  # padding and fill: room on screen, nothing in a lead's value
        elif c == "[":
            end = section.find("]", i)
            i = n if end < 0 else end + 1
        elif c == "@":
            pieces.append(None)
            i += 1
        else:
            pieces.append(c)
            i += 1
    return pieces


class _NotUnderstood(Exception):
    pass


def _split_sections(code: str) -> list[str]:
    sections, current, i = [], [], 0
    while i < len(code):
        c = code[i]
        if c == '"':
            end = code.find('"', i + 1)
            end = len(code) - 1 if end < 0 else end
            current.append(code[i : end + 1])
            i = end + 1
            continue
        if c == "\\" and i + 1 < len(code):
            current.append(code[i : i + 2])
            i += 2
            continue
        if c == ";":
            sections.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    sections.append("".join(current))
    return sections


# A token: (kind, text). Kinds: 'lit' literal text, 'ph' digit placeholder (0 # ?), 'dot',
# 'comma', 'pct', 'exp' (E+ E-), 'at' (@), 'date' (y m d h s, AM/PM), 'elapsed' ([h] ...),
# 'frac' (a slash between placeholders).
_DATE_TOKEN = re.compile(r"(?i)(am/pm|a/p|y+|m+|d+|h+|s+|e+|g+|b+)")
_BRACKET = re.compile(r"\[([^\]]*)\]")


def _tokens(section: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(section)
    while i < n:
        c = section[i]
        if c == '"':
            end = section.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append(("lit", section[i + 1 : end]))
            i = end + 1
        elif c == "\\":
            tokens.append(("lit", section[i + 1 : i + 2]))
            i += 2
        elif c == "_":
            tokens.append(("lit", " "))  # room the width of the next character takes
            i += 2
        elif c == "*":
            i += 2  # fill to the column width: nothing in text
        elif c == "[":
            end = section.find("]", i)
            if end < 0:
                raise _NotUnderstood(section)
            inner = section[i + 1 : end]
            low = inner.lower()
            if low in ("h", "hh", "m", "mm", "s", "ss"):
                tokens.append(("elapsed", low))
            elif inner.startswith("$"):
                symbol = inner[1:].split("-", 1)[0]  # [$€-407] is €, [$-409] a locale
                if symbol:
                    tokens.append(("lit", symbol))
                elif inner[2:].upper().lstrip("0") in ("F800", "F400"):
                    raise _NotUnderstood(section)  # the system long date/time format
            elif low in _COLOURS or low.startswith("color"):
                pass
            else:
                raise _NotUnderstood(section)  # conditions such as [>100], [DBNum1]
            i = end + 1
        elif section[i : i + 7].lower() == "general":
            tokens.append(("general", section[i : i + 7]))
            i += 7
        elif c in "0#?":
            tokens.append(("ph", c))
            i += 1
        elif c == ".":
            tokens.append(("dot", c))
            i += 1
        elif c == ",":
            tokens.append(("comma", c))
            i += 1
        elif c == "%":
            tokens.append(("pct", c))
            i += 1
        elif c == "@":
            tokens.append(("at", c))
            i += 1
        elif c in "Ee" and i + 1 < n and section[i + 1] in "+-":
            tokens.append(("exp", section[i : i + 2]))
            i += 2
        elif c == "/":
            tokens.append(("frac", c))
            i += 1
        else:
            match = _DATE_TOKEN.match(section, i)
            if match:
                tokens.append(("date", match.group(0)))
                i = match.end()
            else:
                tokens.append(("lit", c))
                i += 1
    return tokens


_COLOURS = {"black", "blue", "cyan", "green", "magenta", "red", "white", "yellow"}


def _is_date_section(tokens: list[tuple[str, str]]) -> bool:
    return any(kind in ("date", "elapsed") for kind, _ in tokens)


def _compile_section(section: str, date1904: bool) -> Callable[[float], str] | None:
    tokens = _tokens(section)
    if any(kind == "at" for kind, _ in tokens):
        if len(tokens) == 1:
            return None  # '@': text
        raise _NotUnderstood(section)
    if _is_date_section(tokens):
        return _compile_date(tokens, date1904)
    return _compile_number(tokens)


# --- numbers -------------------------------------------------------------------------------


def _compile_number(tokens: list[tuple[str, str]]) -> Callable[[float], str]:
    if any(kind == "general" for kind, _ in tokens):
        if any(kind in ("ph", "dot", "exp", "frac", "pct") for kind, _ in tokens):
            raise _NotUnderstood("General among digit placeholders")
        at = next(i for i, (kind, _) in enumerate(tokens) if kind == "general")
        before = "".join(text for _kind, text in tokens[:at])
        after = "".join(text for _kind, text in tokens[at + 1 :])
        return lambda value: before + general(value) + after
    if any(kind in ("frac", "exp") for kind, _ in tokens):
        if any(kind == "frac" for kind, _ in tokens):
            return _compile_fraction(tokens)
        return _compile_scientific(tokens)
    placeholders = [i for i, (kind, _) in enumerate(tokens) if kind == "ph"]
    percent = sum(kind == "pct" for kind, _ in tokens)
    if not placeholders:
        literal = "".join(text for kind, text in tokens if kind in ("lit", "pct"))
        return lambda value: literal
    first = placeholders[0]
    dot = next((i for i, (kind, _) in enumerate(tokens) if kind == "dot"), None)
    int_end = len(tokens) if dot is None else dot
    # Commas right after the last integer placeholder divide by 1000 each; commas between
    # integer placeholders group thousands. Other commas are text.
    scale = 0
    grouping = False
    int_tokens: list[tuple[str, str]] = []
    last_int_ph = max((i for i in placeholders if i < int_end), default=-1)
    for i, token in enumerate(tokens[:int_end]):
        if token[0] == "comma":
            if i > last_int_ph >= 0 and all(
                k in ("comma", "lit", "pct") for k, _ in tokens[i:int_end]
            ):
                scale += 1
                continue
            if first < i < last_int_ph:
                grouping = True
                continue
            int_tokens.append(("lit", ","))
            continue
        int_tokens.append(token)
    frac_tokens: list[tuple[str, str]] = []
    if dot is not None:
        for token in tokens[dot + 1 :]:
            if token[0] == "comma":
                scale += 1 if not any(k == "ph" for k, _ in frac_tokens[-1:]) else 0
                continue
            frac_tokens.append(token)
    decimals = sum(kind == "ph" for kind, _ in frac_tokens)
    show_dot = dot is not None

    def fmt(value: float) -> str:
        number = Decimal(repr(value)) * (Decimal(100) ** percent) / (Decimal(1000) ** scale)
        number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        text = f"{number:f}"
        whole, _, fraction = text.partition(".")
        out = _fill_integer(int_tokens, whole.lstrip("-"), grouping)
        if show_dot:
            out += "." + _fill_fraction(frac_tokens, fraction)
        return out

    if _plain_number(int_tokens, frac_tokens, percent, scale) and decimals <= 4:
        return PlainNumber(grouping, decimals, fmt)
    return fmt


class PlainNumber:
    """A format of '#'s, one '0' and '0' decimals ('0.00', '#,##0.00'): what Python's own
    formatting writes. ``spec`` writes, with ``format``, a number from 0 up to
    :data:`EXACT_BELOW` that has no more than ``decimals`` decimals (nothing to round)."""

    __slots__ = ("_decimal_spec", "_general", "_signed", "_step", "decimals", "spec")

    def __init__(
        self, grouping: bool, decimals: int, general: Formatter, signed: bool = False
    ) -> None:
        self.spec = f",.{decimals}f" if grouping else f".{decimals}f"
        self.decimals = decimals
        self._decimal_spec = ",f" if grouping else "f"
        self._step = Decimal(1).scaleb(-decimals)
        self._general = general  # the renderer of any format, for what is not finite
        self._signed = signed

    def signed(self) -> PlainNumber:
        """The format as a whole code: a negative number shows with its minus sign."""
        return PlainNumber(self._decimal_spec == ",f", self.decimals, self._general, True)

    def __call__(self, value: float) -> str:
        if self._signed and value < 0:
            text = self._unsigned(-value)
            return "-" + text if any(c.isdigit() and c != "0" for c in text) else text
        return self._unsigned(value)

    def _unsigned(self, value: float) -> str:
        if not math.isfinite(value):
            return self._general(value)
        shortest = repr(abs(value))
        # A number written with no more decimals than shown, and small enough that its
        # binary value is that decimal to far better than half the last place shown, needs
        # no rounding: float formatting writes it, without Decimal's cost.
        if (
            abs(value) < EXACT_BELOW
            and len(shortest.partition(".")[2]) <= self.decimals
            and "e" not in shortest
        ):
            return format(abs(value), self.spec)
        number = Decimal(shortest).quantize(self._step, rounding=ROUND_HALF_UP)
        return format(number, self._decimal_spec)


def _plain_number(
    int_tokens: list[tuple[str, str]],
    frac_tokens: list[tuple[str, str]],
    percent: int,
    scale: int,
) -> bool:
    """Is a number format only '#' placeholders then one '0', thousands grouped or not,
    and '0' decimals: a code whose text Python's own formatting writes?"""
    if percent or scale or any(token != ("ph", "0") for token in frac_tokens):
        return False
    phs = [text for kind, text in int_tokens if kind == "ph"]
    return (
        len(phs) == len(int_tokens)
        and bool(phs)
        and phs[-1] == "0"
        and all(text == "#" for text in phs[:-1])
    )


def _fill_integer(tokens: list[tuple[str, str]], digits: str, grouping: bool) -> str:
    """Integer digits into the placeholders, right to left; surplus digits go left."""
    digits = "" if digits == "0" else digits
    phs = [t for kind, t in tokens if kind == "ph"]
    if grouping:
        zeros = sum(p == "0" for p in phs)
        body = f"{int(digits):,}" if digits else ""
        if len(body) < zeros:  # '#,##0' shows 0; '0,000' pads
            body = body.rjust(zeros, "0")
        first = next(i for i, (kind, _) in enumerate(tokens) if kind == "ph")
        last = max(i for i, (kind, _) in enumerate(tokens) if kind == "ph")
        before = "".join(t for kind, t in tokens[:first] if kind != "ph")
        after = "".join(t for kind, t in tokens[last + 1 :] if kind != "ph")
        return before + body + after
    out: list[str] = []
    remaining = digits
    leftmost = next((i for i, (kind, _) in enumerate(tokens) if kind == "ph"), None)
    for i in range(len(tokens) - 1, -1, -1):
        kind, text = tokens[i]
        if kind != "ph":
            out.append(text if kind != "pct" else "%")
            continue
        if i == leftmost:
            if remaining:
                out.append(remaining)
                remaining = ""
            else:
                out.append({"0": "0", "?": " ", "#": ""}[text])
            continue
        if remaining:
            out.append(remaining[-1])
            remaining = remaining[:-1]
        else:
            out.append({"0": "0", "?": " ", "#": ""}[text])
    return "".join(reversed(out))


def _fill_fraction(tokens: list[tuple[str, str]], digits: str) -> str:
    out: list[str] = []
    position = 0
    for kind, text in tokens:
        if kind == "ph":
            out.append(digits[position] if position < len(digits) else "0")
            position += 1
        else:
            out.append(text if kind != "pct" else "%")
    # Optional placeholders drop their trailing zeros ('#'), or show a space ('?').
    kinds = [(kind, text) for kind, text in tokens]
    phs = [i for i, (kind, _) in enumerate(kinds) if kind == "ph"]
    for i in reversed(phs):
        if out[i] != "0" or kinds[i][1] == "0":
            break
        out[i] = "" if kinds[i][1] == "#" else " "
    return "".join(out)


def _compile_fraction(tokens: list[tuple[str, str]]) -> Callable[[float], str]:
    """``# ?/?``, ``# ??/??``, ``?/?``, ``# ?/8``: a whole part (when the code has one) and
    the nearest fraction whose denominator has as many digits as the code's (or the code's
    own denominator). Padding ('?') is dropped, as elsewhere: 0.5 under ``# ??/??`` is 1/2."""
    if sum(kind == "frac" for kind, _ in tokens) != 1 or any(
        kind in ("exp", "pct", "dot") for kind, _ in tokens
    ):
        raise _NotUnderstood("fraction")
    slash = next(i for i, (kind, _) in enumerate(tokens) if kind == "frac")
    before, after = tokens[:slash], tokens[slash + 1 :]
    # The numerator: the placeholders right before the slash; placeholders before them,
    # apart by a literal, are the whole part.
    j = len(before)
    while j > 0 and before[j - 1][0] == "ph":
        j -= 1
    numerator = before[j:]
    head = before[:j]
    whole_phs = [text for kind, text in head if kind == "ph"]
    prefix_end = next((i for i, (kind, _) in enumerate(head) if kind == "ph"), len(head))
    prefix = "".join(text for _k, text in head[:prefix_end])
    if not numerator:
        raise _NotUnderstood("fraction")
    den_phs = [text for kind, text in after if kind == "ph"]
    den_digits = ""
    for kind, text in after:
        if kind == "lit" and text.isdigit():
            den_digits += text
        elif kind == "ph" and text == "0" and den_digits:
            den_digits += "0"  # '# ?/10': the '0' of a fixed denominator
        elif den_digits:
            break
    fixed = int(den_digits) if den_digits and not any(p in "#?" for p in den_phs) else None
    if fixed == 0:
        raise _NotUnderstood("fraction over 0")
    limit = 10 ** max(len(den_phs), 1) - 1
    end = max(
        (i for i, (kind, text) in enumerate(after) if kind == "ph" or text.isdigit()),
        default=-1,
    )
    suffix = "".join(text for kind, text in after[end + 1 :] if kind != "ph")

    def fmt(value: float) -> str:
        exact = Fraction(repr(value))
        whole = int(exact) if whole_phs else 0
        rest = exact - whole
        if fixed is not None:
            num, den = int(rest * fixed + Fraction(1, 2)), fixed  # rounded half up
        else:
            near = rest.limit_denominator(limit)
            num, den = near.numerator, near.denominator
        if whole_phs and num == den:
            whole, num = whole + 1, 0
        parts: list[str] = []
        if whole_phs and (whole or num == 0):
            parts.append(str(whole) if whole or "0" in whole_phs or num == 0 else "")
        if num:
            parts.append(f"{num}/{den}")
        elif not whole_phs:
            parts.append(f"0/{den}")
        return prefix + " ".join(p for p in parts if p) + suffix

    return fmt


def _compile_scientific(tokens: list[tuple[str, str]]) -> Callable[[float], str]:
    exp_at = next(i for i, (kind, _) in enumerate(tokens) if kind == "exp")
    mantissa = tokens[:exp_at]
    exponent = tokens[exp_at + 1 :]
    dot = next((i for i, (kind, _) in enumerate(mantissa) if kind == "dot"), None)
    int_phs = sum(kind == "ph" for kind, _ in (mantissa[:dot] if dot is not None else mantissa))
    decimals = sum(kind == "ph" for kind, _ in mantissa[dot + 1 :]) if dot is not None else 0
    exp_digits = sum(kind == "ph" for kind, _ in exponent)
    sign_always = tokens[exp_at][1][1] == "+"
    # '##0.0E+0' (engineering): exponents a multiple of the integer placeholders.
    step = int_phs if int_phs > 1 and mantissa[0][1] == "#" else 1

    def fmt(value: float) -> str:
        if value == 0:
            exp = 0
            mant = Decimal(0)
        else:
            exp = Decimal(repr(value)).adjusted()
            exp -= exp % step
            mant = Decimal(repr(value)).scaleb(-exp)
            mant = mant.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
            if abs(mant) >= 10**step:
                exp += step
                mant = (Decimal(repr(value)).scaleb(-exp)).quantize(
                    Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
                )
        mant = mant.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        sign = "-" if exp < 0 else ("+" if sign_always else "")
        return f"{mant:f}E{sign}{str(abs(exp)).rjust(exp_digits, '0')}"

    return fmt


# --- dates and times -----------------------------------------------------------------------


def _compile_date(tokens: list[tuple[str, str]], date1904: bool) -> Callable[[float], str]:
    ampm = any(kind == "date" and text.lower() in ("am/pm", "a/p") for kind, text in tokens)
    # Which 'm' tokens are minutes: right after an hour or right before a second.
    parts: list[tuple[str, str]] = []
    decimals = 0
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "dot" and parts and parts[-1][0] in ("s", "elapsed_s"):
            j = i + 1
            while j < len(tokens) and tokens[j] == ("ph", "0"):
                j += 1
            if j > i + 1:
                decimals = j - i - 1
                parts.append(("frac", str(decimals)))
                i = j
                continue
        if kind == "date":
            low = text.lower()
            head = low[0]
            if low in ("am/pm", "a/p"):
                parts.append(("ampm", text))
            elif head in "yeg":
                parts.append(("y", low))
            elif head == "b":
                raise _NotUnderstood("Buddhist year")
            elif head == "d":
                parts.append(("d", low))
            elif head == "h":
                parts.append(("h", low))
            elif head == "s":
                parts.append(("s", low))
            elif head == "m":
                parts.append(("m", low))
        elif kind == "elapsed":
            parts.append(("elapsed_" + text[0], text))
        elif kind in ("lit", "dot", "comma", "pct", "frac"):
            parts.append(("lit", text if kind != "frac" else "/"))
        elif kind == "ph":
            raise _NotUnderstood("digits in a date")
        i += 1
    # Resolve minutes: an 'm' after an hour (skipping literals) or before a second.
    real = [k for k, (kind, _) in enumerate(parts) if kind != "lit"]
    for pos, k in enumerate(real):
        if parts[k][0] != "m" or len(parts[k][1]) > 2:
            continue
        prev = parts[real[pos - 1]][0] if pos > 0 else ""
        nxt = parts[real[pos + 1]][0] if pos + 1 < len(real) else ""
        if prev in ("h", "elapsed_h") or nxt in ("s", "elapsed_s"):
            parts[k] = ("min", parts[k][1])

    def fmt(value: float) -> str:
        if value < 0:
            raise ValueError("negative date")
        ms = round(value * _DAY_MS)
        if not decimals:
            ms = (ms + 500) // 1000 * 1000
        moment = serial_to_datetime(ms / _DAY_MS, date1904)
        out: list[str] = []
        for kind, text in parts:
            if kind == "lit":
                out.append(text)
            elif kind == "y":
                out.append(f"{moment.year % 100:02d}" if len(text) <= 2 else f"{moment.year}")
            elif kind == "m":
                out.append(_month(moment.month, len(text)))
            elif kind == "d":
                n = len(text)
                if n == 1:
                    out.append(str(moment.day))
                elif n == 2:
                    out.append(f"{moment.day:02d}")
                else:
                    name = _DAYS[moment.weekday()]
                    out.append(name[:3] if n == 3 else name)
            elif kind == "h":
                hour = moment.hour
                if ampm:
                    hour = hour % 12 or 12
                out.append(f"{hour:02d}" if len(text) > 1 else str(hour))
            elif kind == "min":
                out.append(f"{moment.minute:02d}" if len(text) > 1 else str(moment.minute))
            elif kind == "s":
                out.append(f"{moment.second:02d}" if len(text) > 1 else str(moment.second))
            elif kind == "frac":
                digits = f"{moment.microsecond // 1000:03d}"[: int(text)]
                out.append("." + digits)
            elif kind == "ampm":
                pm = moment.hour >= 12
                if text.lower() == "a/p":
                    letter = "p" if pm else "a"
                    out.append(letter.upper() if text[0].isupper() else letter)
                else:
                    out.append("PM" if pm else "AM")
            elif kind.startswith("elapsed_"):
                seconds = ms // 1000
                unit = {"h": 3600, "m": 60, "s": 1}[kind[-1]]
                number = seconds // unit
                out.append(str(number).rjust(len(text), "0"))
        return "".join(out)

    return fmt


def _month(month: int, width: int) -> str:
    if width == 1:
        return str(month)
    if width == 2:
        return f"{month:02d}"
    name = _MONTHS[month - 1]
    if width == 3:
        return name[:3]
    if width == 5:
        return name[0]
    return name
