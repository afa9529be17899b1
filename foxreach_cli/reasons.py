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
from typing import cast

from .stage_data import LEAD_STATUSES

#: Joins a reason's parameters in one string (a detail frame's ``params`` cell).
SEP = "\x1f"

_MAY_BE_STORED = "may have been imported (the next run will tell)"
_OPTIONAL = re.compile(r"\[([^\]]*)\]")


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
    _segments: tuple[tuple[str, tuple[int, ...]], ...]
    _words: tuple[tuple[int, Mapping[str, str]], ...]
    _required: frozenset[str]

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
        # The template as parts ("[...]" parts optional), each with its parameters made
        # positional, so rendering is one str.format per part.
        segments, required = [], set()
        for n, part in enumerate(_OPTIONAL.split(template)):
            names = [f for _, f, _, _ in string.Formatter().parse(part) if f is not None]
            unknown = set(names) - set(index)
            if unknown:
                raise ValueError(f"{code}: the template names undeclared {sorted(unknown)}")
            optional = n % 2 == 1
            if not optional:
                required.update(names)
            positional = part.replace("{", "{{").replace("}", "}}")
            for name in names:
                positional = positional.replace("{{" + name + "}}", "{" + str(index[name]) + "}")
            segments.append((positional, tuple(index[f] for f in names) if optional else ()))
        self._segments = tuple(s for s in segments if s[0])
        self._words = tuple((index[name], table) for name, table in (words or {}).items())
        self._required = frozenset(required)
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
        p = list(params)
        if len(p) < len(self.params):
            p += [""] * (len(self.params) - len(p))
        for i, table in self._words:
            p[i] = table.get(p[i], table[""])
        return "".join(fmt.format(*p) for fmt, need in self._segments if all(p[i] for i in need))

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
