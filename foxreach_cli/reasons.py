"""Why a row was not imported, as data: one vocabulary of reason codes (docs/architecture.md).

Every stage that leaves a row out (reading, validation, dedup, the hygiene rules, the
client's reading of the server's answers, the sender) and the journal name the reason with a
:class:`ReasonCode`; a row's reason is a :class:`Rejection`, the code and its parameters. Each
code declares its parameters and the template of the sentence people read; the sentence is
made only when rendering (terminal, JSON report, rejected CSV). Nothing branches on a sentence.
The sandbox keeps its own words (it plays the server).

A template's ``{name}`` is a parameter; a ``[...]`` part is left out when a parameter in it
is empty; a parameter with *words* is shown as the words for its value (``""``: any other).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, cast

from .stage_data import LEAD_STATUSES

#: Joins a reason's parameters in one string (a detail frame's ``params`` cell).
SEP = "\x1f"

_MAY_BE_STORED = "may have been imported (the next run will tell)"
_OPTIONAL = re.compile(r"\[([^\]]*)\]")


class _Part(NamedTuple):
    """One part of a template, compiled: its literal texts around the parameters (indexes,
    in order), and those that must not be empty for it to be said (an optional part's)."""

    literals: tuple[str, ...]  # one more than ``order``
    order: tuple[int, ...]
    needs: tuple[int, ...]


def _compile(parts: Sequence[_Part], given: int) -> str | None:
    """One %-format for the sentence of the first ``given`` parameters, the others empty,
    taking them in order; None when the template takes them in another order."""
    fmt, order = "", []
    for part in parts:
        if any(i >= given for i in part.needs):
            continue  # an optional part whose parameter is empty
        fmt += part.literals[0].replace("%", "%%")
        for i, literal in zip(part.order, part.literals[1:], strict=True):
            if i < given:
                fmt += "%s"
                order.append(i)
            fmt += literal.replace("%", "%%")
    return fmt if order == list(range(given)) else None


def _interleave(literals: Sequence[str], values: Sequence[str]) -> list[str]:
    """The literal texts with the values between them."""
    out = [literals[0]]
    for value, literal in zip(values, literals[1:], strict=True):
        out += (value, literal)
    return out


class ReasonCode(StrEnum):
    """Every reason a row may not be imported for: its parameters and its sentence.

    A member is its code (``"duplicate_of"``), as the JSON report, the journal and the
    rejected file's reader know it.
    """

    # READ: a row that cannot be read as written.
    LONG_ROW = "long_row", ("cells", "width"), "row has {cells} cells but the header has {width}"
    HEADER_REPEAT = (
        "header_repeat",
        ("header_row",),
        "the column names again (as in the header on row {header_row}), not a lead",
    )
    # VALIDATE
    EMPTY_ROW = "empty_row", (), "empty row"
    MISSING_EMAIL = "missing_email", (), "missing email"
    INVALID_EMAIL = "invalid_email", ("why",), "invalid email: {why}"
    BAD_STATUS = (
        "bad_status",
        ("value",),
        "status '{value}' is not one of " + ", ".join(LEAD_STATUSES),
    )
    BAD_OPT_OUT = (
        "bad_opt_out",
        ("header", "value"),
        "opt-out column '{header}' holds '{value}', which is neither yes nor no",
    )
    # DEDUP: the first row of the same email (in another file: its name).
    DUPLICATE_OF = "duplicate_of", ("row", "file"), "duplicate of row {row}[ in {file}]"
    # A duplicate whose opt-out the lead kept takes (dedup.py, docs/dedup.md "Opt-outs").
    OPT_OUT_CARRIED = (
        "opt_out_carried",
        ("status", "row", "file"),
        "duplicate of row {row}[ in {file}]; its opt-out ({status}) is kept on that lead",
    )
    # HYGIENE: rows left out before sending (foxreach_cli.hygiene; docs/hygiene.md).
    EXCLUDED_LIST = "excluded_list", ("list", "entry"), "on the exclusion list {list} ({entry})"
    SOURCE_VERDICT = (
        "source_verdict",
        ("column", "value", "service"),
        "the file's {column} says {value}",
    )
    DOMAIN_NOT_FOUND = "domain_not_found", ("domain",), "the domain {domain} does not exist"
    DOMAIN_NO_MAIL = (
        "domain_no_mail",
        ("domain", "why"),
        "the domain {domain} {why}",
        {
            "why": {
                "null_mx": "says it receives no mail (null MX)",
                "": "cannot receive mail (no MX, A or AAAA record)",
            }
        },
    )
    DISPOSABLE_DOMAIN = "disposable_domain", ("domain",), "a disposable-mail domain ({domain})"
    ROLE_ADDRESS = "role_address", ("local",), "a role address ({local}@)"
    # RECONCILE: what the server's answers mean.
    IN_WORKSPACE = "in_workspace", (), "already in the workspace"
    RETRY_DUPLICATE = (
        "retry_duplicate",
        (),
        "already in the workspace: probably imported by an earlier attempt of the same request "
        "that got no answer",
    )
    UNRESOLVED = (
        "unresolved",
        (),
        "the server counted more duplicates/errors than it listed, so this row may have been "
        "imported or skipped; use --exact-report to know",
    )
    NOT_MENTIONED = "not_mentioned", (), "not mentioned in the server's answer"
    UNLISTED_ERROR = "unlisted_error", (), "refused by the server (reason not listed)"
    SERVER_ERROR = "server_error", ("why",), "refused by the server: {why}"
    # SEND: rows not sent, and why.
    NOT_SENT_PLAN_LIMIT = "not_sent_plan_limit", (), "plan contact limit reached (402)"
    NOT_SENT_AUTH = "not_sent_auth", (), "not sent: the API key was refused (403)"
    NOT_SENT_INTERRUPTED = "not_sent_interrupted", (), "not sent: interrupted"
    NOT_SENT_CTRL_C = "not_sent_ctrl_c", (), "not sent: interrupted (Ctrl-C)"
    NOT_SENT_SERVER_FAILED = (
        "not_sent_server_failed",
        (),
        "not sent: the run stopped after the server failed repeatedly",
    )
    NOT_SENT_UNANSWERED = (
        "not_sent_unanswered",
        (),
        f"sent without an answer before the run stopped: it {_MAY_BE_STORED}",
    )
    NOT_SENT_NO_ANSWER = (
        "not_sent_no_answer",
        ("attempts", "error"),
        f"no answer after {{attempts}} attempts, so it {_MAY_BE_STORED}: {{error}}",
    )
    NOT_SENT_UNREACHABLE = (
        "not_sent_unreachable",
        ("attempts", "error"),
        "server unreachable after {attempts} attempts: {error}",
    )
    NOT_SENT_STOPPED = "not_sent_stopped", ("error",), "not sent: the run stopped ({error})"
    NOT_SENT_ERROR = "not_sent_error", ("error",), "not sent: {error}"
    NOT_SENT_FAILED = "not_sent_failed", (), "not sent: the run failed"
    NOT_SENT_UNFINISHED = (
        "not_sent_unfinished",
        (),
        "not sent yet: the import of this file has not finished (foxreach import resumes it)",
    )
    # A reason recorded as a sentence only (a journal written before reasons had codes).
    RECORDED = "recorded", ("text",), "{text}"

    # Set per member by __new__ (annotations only: not members).
    params: tuple[str, ...]
    template: str
    _segments: tuple[_Part, ...]
    _words: tuple[tuple[int, Mapping[str, str]], ...]
    _required: frozenset[str]
    _formats: tuple[str | None, ...]  # by the number of parameters given (none with words)

    def __new__(
        cls,
        code: str,
        params: tuple[str, ...],
        template: str,
        words: Mapping[str, Mapping[str, str]] | None = None,
    ) -> ReasonCode:
        self = str.__new__(cls, code)
        self._value_ = code
        self.params = params
        self.template = template
        index = {name: n for n, name in enumerate(params)}
        # The template as parts ("[...]" parts optional), compiled once per number of
        # parameters given into one %-format: rendering a row is one C-level %.
        segments: list[_Part] = []
        required: set[str] = set()
        for n, part in enumerate(_OPTIONAL.split(template)):
            literals, order = [""], []
            for literal, name, _, _ in string.Formatter().parse(part):
                literals[-1] += literal
                if name is not None:
                    if name not in index:
                        raise ValueError(f"{code}: the template names undeclared {name!r}")
                    order.append(index[name])
                    literals.append("")
            optional = n % 2 == 1
            if not optional:
                required.update(params[i] for i in order)
            segments.append(_Part(tuple(literals), tuple(order), tuple(order) if optional else ()))
        self._segments = tuple(segments)
        self._words = tuple((index[name], table) for name, table in (words or {}).items())
        self._required = frozenset(required)
        self._formats = (
            () if words else tuple(_compile(segments, given) for given in range(len(params) + 1))
        )
        return self

    @classmethod
    def parse(cls, code: str) -> ReasonCode:
        """The member whose code is ``code`` (ValueError when there is none: stored data
        written by something else)."""
        member = cls._value2member_map_.get(code)
        if member is None:
            raise ValueError(f"unknown reason code {code!r}")
        return cast(ReasonCode, member)

    def of(self, *args: object, **named: object) -> Rejection:
        """A :class:`Rejection` of this code: its parameters by position or by name (as text;
        a parameter the sentence can do without may be left out)."""
        if len(args) > len(self.params):
            raise TypeError(f"{self.value} takes {len(self.params)} parameters")
        values = dict(zip(self.params, args, strict=False))
        for name, value in named.items():
            if name not in self.params or name in values:
                raise TypeError(f"{self.value} has no parameter {name!r} (or it is given twice)")
            values[name] = value
        missing = self._required - set(values)
        if missing:
            raise TypeError(f"{self.value} needs {sorted(missing)}")
        return Rejection(self, tuple(str(values.get(name, "")) for name in self.params))

    def text(self, params: Sequence[str] = ()) -> str:
        """The sentence of this code with ``params`` (missing ones read as empty)."""
        n = len(params)
        if n < len(self._formats):
            fmt = self._formats[n]
            if fmt is not None and all(params):
                return fmt % tuple(params)  # most rows: one C call
        p = [*params, *("",) * (len(self.params) - n)]
        for i, table in self._words:
            p[i] = table.get(p[i], table[""])
        said = [part for part in self._segments if all(p[i] for i in part.needs)]
        return "".join(
            "".join(_interleave(part.literals, [p[i] for i in part.order])) for part in said
        )

    def unpack(self, packed: str) -> tuple[str, ...]:
        """The parameters packed in one string with :data:`SEP`, back as a tuple (the last
        parameter may hold the separator: it is never split)."""
        if not packed:
            return ()
        return tuple(packed.split(SEP, max(len(self.params) - 1, 0)))

    def named(self, params: Sequence[str]) -> dict[str, str]:
        """The parameters by name (``{"list": ..., "entry": ...}``)."""
        return dict(zip(self.params, params, strict=False))


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one row was not imported: a :class:`ReasonCode` and its parameters, as text."""

    code: ReasonCode
    params: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The sentence people read."""
        return self.code.text(self.params)

    def packed(self) -> str:
        """The parameters as one string (a detail frame's ``params`` cell)."""
        return SEP.join(self.params)

    def named(self) -> dict[str, str]:
        """The parameters by name, as the JSON report writes them."""
        return self.code.named(self.params)


#: The codes in a fixed order: a detail store keeps a row's code as its index (one byte).
CODES: tuple[ReasonCode, ...] = tuple(ReasonCode)
#: A code (member or its text: the enum is a ``str``) -> its index in :data:`CODES`.
CODE_IDS: dict[str, int] = {code: n for n, code in enumerate(CODES)}
assert len(CODES) < 256  # one byte a row

#: What the reasons of rows from an earlier run of the same file start with.
EARLIER_PREFIX = "earlier run: "


# A reader marks a row it could not read as written in the chunk's row-error column with the
# reason packed in one cell: code, then the parameters (validation reads it back).
def encode_cell(r: Rejection) -> str:
    """``r`` packed in one text cell (a reader's row-error column)."""
    return SEP.join((r.code, *r.params))


def decode_cell(cell: str) -> Rejection:
    """The reason a reader packed with :func:`encode_cell` (ValueError for an unknown code)."""
    code, _, params = cell.partition(SEP)
    reason_code = ReasonCode.parse(code)
    return Rejection(reason_code, reason_code.unpack(params))


PLAN_LIMIT = ReasonCode.NOT_SENT_PLAN_LIMIT.of()
AUTH_REFUSED = ReasonCode.NOT_SENT_AUTH.of()
INTERRUPTED = ReasonCode.NOT_SENT_INTERRUPTED.of()
CTRL_C = ReasonCode.NOT_SENT_CTRL_C.of()
SERVER_FAILED = ReasonCode.NOT_SENT_SERVER_FAILED.of()
UNANSWERED = ReasonCode.NOT_SENT_UNANSWERED.of()
RUN_FAILED = ReasonCode.NOT_SENT_FAILED.of()
UNFINISHED = ReasonCode.NOT_SENT_UNFINISHED.of()
IN_WORKSPACE = ReasonCode.IN_WORKSPACE.of()
RETRY_DUPLICATE = ReasonCode.RETRY_DUPLICATE.of()
UNRESOLVED = ReasonCode.UNRESOLVED.of()
NOT_MENTIONED = ReasonCode.NOT_MENTIONED.of()
UNLISTED_ERROR = ReasonCode.UNLISTED_ERROR.of()


_BY_TEXT = {code.text(): code.of() for code in ReasonCode if not code.params}


def recorded_reason(text: str) -> Rejection:
    """The reason a journal written before reasons had codes kept as a sentence: the code
    whose sentence it is when it takes no parameters, else the sentence as it was."""
    return _BY_TEXT.get(text) or ReasonCode.RECORDED.of(text)
