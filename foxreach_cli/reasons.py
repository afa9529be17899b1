"""Why a row was not imported, as data: a code and its parameters (see docs/architecture.md).

Stages attach a :class:`Reason` (or, vectorised, a code and a parameter string per row) to a
row; the sentence a person reads is made only when rendering (terminal, JSON report,
rejected CSV), by :func:`Reason.text`. Nothing branches on a sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .stage_data import LEAD_STATUSES

#: Joins a reason's parameters in one string (a detail frame's ``params`` cell).
SEP = "\x1f"

_MAY_BE_STORED = "may have been imported (the next run will tell)"

#: Every code, and how its parameters become the sentence people read.
_TEXTS: dict[str, Callable[..., str]] = {
    # READ: a row that cannot be read as written.
    "long_row": lambda cells, width: f"row has {cells} cells but the header has {width}",
    "header_repeat": lambda header_row: (
        f"the column names again (as in the header on row {header_row}), not a lead"
    ),
    # VALIDATE
    "empty_row": lambda: "empty row",
    "missing_email": lambda: "missing email",
    "invalid_email": lambda why: f"invalid email: {why}",
    "bad_status": lambda value: f"status '{value}' is not one of {', '.join(LEAD_STATUSES)}",
    "bad_opt_out": lambda header, value: (
        f"opt-out column '{header}' holds '{value}', which is neither yes nor no"
    ),
    # DEDUP
    "duplicate_of": lambda row, file="": (
        f"duplicate of row {row} in {file}" if file else f"duplicate of row {row}"
    ),
    # A duplicate whose opt-out the lead kept takes (dedup.py, docs/dedup.md "Opt-outs").
    "opt_out_carried": lambda status, row, file="": (
        f"duplicate of row {row}{f' in {file}' if file else ''}; its opt-out ({status}) "
        "is kept on that lead"
    ),
    # HYGIENE: rows left out before sending (foxreach_cli.hygiene; docs/hygiene.md). The
    # parameters are named as hygiene.reasons.Exclusion names them (see named_params).
    "excluded_list": lambda list, entry: _hygiene("excluded_list", list=list, entry=entry),
    "source_verdict": lambda column, value, service="": _hygiene(
        "source_verdict", column=column, value=value, service=service
    ),
    "domain_not_found": lambda domain: _hygiene("domain_not_found", domain=domain),
    "domain_no_mail": lambda domain, why="": _hygiene("domain_no_mail", domain=domain, why=why),
    "disposable_domain": lambda domain: _hygiene("disposable_domain", domain=domain),
    "role_address": lambda local: _hygiene("role_address", local=local),
    # RECONCILE: what the server's answers mean
    "in_workspace": lambda: "already in the workspace",
    "retry_duplicate": lambda: (
        "already in the workspace: probably imported by an earlier attempt of the same request "
        "that got no answer"
    ),
    "unresolved": lambda: (
        "the server counted more duplicates/errors than it listed, so this row may have been "
        "imported or skipped; use --exact-report to know"
    ),
    "not_mentioned": lambda: "not mentioned in the server's answer",
    "unlisted_error": lambda: "refused by the server (reason not listed)",
    "server_error": lambda why: f"refused by the server: {why}",
    # SEND: rows not sent, and why
    "not_sent_plan_limit": lambda: "plan contact limit reached (402)",
    "not_sent_auth": lambda: "not sent: the API key was refused (403)",
    "not_sent_interrupted": lambda: "not sent: interrupted",
    "not_sent_ctrl_c": lambda: "not sent: interrupted (Ctrl-C)",
    "not_sent_server_failed": lambda: (
        "not sent: the run stopped after the server failed repeatedly"
    ),
    "not_sent_unanswered": lambda: (
        f"sent without an answer before the run stopped: it {_MAY_BE_STORED}"
    ),
    "not_sent_no_answer": lambda attempts, error: (
        f"no answer after {attempts} attempts, so it {_MAY_BE_STORED}: {error}"
    ),
    "not_sent_unreachable": lambda attempts, error: (
        f"server unreachable after {attempts} attempts: {error}"
    ),
    "not_sent_stopped": lambda error: f"not sent: the run stopped ({error})",
    "not_sent_error": lambda error: f"not sent: {error}",
    "not_sent_failed": lambda: "not sent: the run failed",
    "not_sent_unfinished": lambda: (
        "not sent yet: the import of this file has not finished (foxreach import resumes it)"
    ),
    # A reason recorded as a sentence only (a journal written before reasons had codes).
    "recorded": lambda text: text,
}

_ARITY = {code: text.__code__.co_argcount or 1 for code, text in _TEXTS.items()}
#: Each code's parameter names, in order (the JSON report names a hygiene reason's parameters).
_NAMES = {
    code: text.__code__.co_varnames[: text.__code__.co_argcount] for code, text in _TEXTS.items()
}


def _hygiene(code: str, **params: str) -> str:
    # Imported here: hygiene's modules import this one's siblings (read, validate).
    from .hygiene.reasons import Exclusion, describe
    from .hygiene.reasons import Reason as HygieneReason

    return describe(Exclusion(HygieneReason(code), params))


def named_params(code: str, params: tuple[str, ...]) -> dict[str, str]:
    """A reason's parameters by name (``{"list": ..., "entry": ...}``)."""
    return dict(zip(_NAMES[code], params, strict=False))


def from_exclusion(code: str, params: dict[str, str]) -> Reason:
    """A hygiene rule's reason (``hygiene.reasons.Exclusion``'s code and parameters) as a
    :class:`Reason` of this module, parameters in the order of its code."""
    return Reason(code, tuple(str(params.get(name, "")) for name in _NAMES[code]))


#: The codes in a fixed order: a detail store keeps a row's code as its index (one byte).
CODES: tuple[str, ...] = tuple(_TEXTS)
CODE_IDS: dict[str, int] = {code: n for n, code in enumerate(CODES)}

#: What the reasons of rows from an earlier run of the same file start with.
EARLIER_PREFIX = "earlier run: "


@dataclass(frozen=True, slots=True)
class Reason:
    """Why one row was not imported: a code of :data:`CODES` and its parameters."""

    code: str
    params: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The sentence people read."""
        return render(self.code, self.params)

    def packed(self) -> str:
        """The parameters as one string (a detail frame's ``params`` cell)."""
        return SEP.join(self.params)


def reason(code: str, *params: object) -> Reason:
    """A :class:`Reason` with its parameters as text."""
    if code not in _TEXTS:
        raise ValueError(f"unknown reason code {code!r}")
    return Reason(code, tuple(str(p) for p in params))


def render(code: str, params: tuple[str, ...] | str = ()) -> str:
    """The sentence of ``code`` with ``params`` (a tuple, or packed with :data:`SEP`)."""
    if isinstance(params, str):
        params = unpack(code, params)
    return _TEXTS[code](*params)


def unpack(code: str, params: str) -> tuple[str, ...]:
    """The parameters of ``code`` packed in one string, back as a tuple (a last parameter
    may hold the separator: it is never split)."""
    if not params:
        return ()
    return tuple(params.split(SEP, _ARITY[code] - 1))


# A reader marks a row it could not read as written in the chunk's row-error column with the
# reason packed in one cell: code, then the parameters.
def encode_cell(r: Reason) -> str:
    """``r`` packed in one text cell (a reader's row-error column)."""
    return SEP.join((r.code, *r.params))


def decode_cell(cell: str) -> Reason:
    """The reason a reader packed with :func:`encode_cell`."""
    code, _, params = cell.partition(SEP)
    return Reason(code, unpack(code, params))


PLAN_LIMIT = reason("not_sent_plan_limit")
AUTH_REFUSED = reason("not_sent_auth")
INTERRUPTED = reason("not_sent_interrupted")
CTRL_C = reason("not_sent_ctrl_c")
SERVER_FAILED = reason("not_sent_server_failed")
UNANSWERED = reason("not_sent_unanswered")
RUN_FAILED = reason("not_sent_failed")
UNFINISHED = reason("not_sent_unfinished")
IN_WORKSPACE = reason("in_workspace")
RETRY_DUPLICATE = reason("retry_duplicate")
UNRESOLVED = reason("unresolved")
NOT_MENTIONED = reason("not_mentioned")
UNLISTED_ERROR = reason("unlisted_error")


_BY_TEXT = {
    render(code): reason(code) for code, text in _TEXTS.items() if not text.__code__.co_argcount
}


def recorded_reason(text: str) -> Reason:
    """The reason a journal written before reasons had codes kept as a sentence: the code
    whose sentence it is when it takes no parameters, else the sentence as it was."""
    return _BY_TEXT.get(text) or Reason("recorded", (text,))
