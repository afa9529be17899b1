"""The source's own verdicts: columns that verification services and lead databases add.

    find_verdict_columns(headers, samples)  -> [VerdictColumn]: detected by header AND values
    VerdictColumn.classes(values)           -> per row a VerdictClass (or None: not a verdict)

A column is a verdict column when its header is one that service writes and most of its sampled
values (``SHARE``) are that service's verdict words. The mapping calls this before status
detection, so a verdict column never becomes the lead's status. Values are compared folded
(lowercase, without spaces, ``-`` and ``_``): ``catch-all``, ``catch_all`` and ``Catch All``
are one word.

By default a row is left out when a verdict says the address is invalid or must not be mailed
(:data:`EXCLUDED_CLASSES`); catch-all, risky and unknown are imported; a ``disposable`` verdict
counts as a disposable address (left out with ``skip_disposable``). Where each service's
header and words come from is said beside it; headers marked "generic" are the ones several
services use, so their service is named by the words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class VerdictClass(StrEnum):
    """What a service's word means for sending."""

    OK = "ok"
    RISKY = "risky"  # catch-all / accept-all / risky: may bounce, imported
    UNKNOWN = "unknown"  # could not be checked, imported
    INVALID = "invalid"  # does not exist or cannot receive: left out
    DO_NOT_MAIL = "do_not_mail"  # spam trap, abuse, do-not-mail: left out
    DISPOSABLE = "disposable"  # a throwaway mailbox: counted as disposable
    DETAIL = "detail"  # a sub-status that explains the main verdict column; never decides


#: The classes that leave a row out unless ``ignore_verdicts`` is set.
EXCLUDED_CLASSES = frozenset({VerdictClass.INVALID, VerdictClass.DO_NOT_MAIL})
#: The share of a column's sampled non-empty values that must be one service's words.
SHARE = 0.8

_OK, _RISKY, _UNKNOWN = VerdictClass.OK, VerdictClass.RISKY, VerdictClass.UNKNOWN
_INVALID, _DNM, _DISP = VerdictClass.INVALID, VerdictClass.DO_NOT_MAIL, VerdictClass.DISPOSABLE
_DETAIL = VerdictClass.DETAIL


@dataclass(frozen=True)
class Service:
    """One service's verdict column: the headers it writes and its words."""

    name: str
    headers: frozenset[str]  # normalised (see normalise_header)
    words: Mapping[str, VerdictClass]  # folded word -> class


def _service(name: str, headers: Sequence[str], words: Mapping[str, VerdictClass]) -> Service:
    return Service(
        name,
        frozenset(normalise_header(h) for h in headers),
        {fold(w): c for w, c in words.items()},
    )


def normalise_header(header: str) -> str:
    """Lowercase, separators as one space: ``ZB_Status`` -> ``zb status``."""
    return re.sub(r"[\s_\-]+", " ", header.strip().lower()).strip()


def fold(value: str) -> str:
    """A verdict word compared: lowercase, no spaces, ``-`` or ``_``."""
    return re.sub(r"[\s_\-]+", "", value.strip().lower())


#: Headers that several services use for their verdict (so the words decide the service).
_GENERIC = ("result", "status", "state", "verdict", "verification result",
            "verification status", "validation status", "validation result", "email verification",
            "email validation", "email verification status", "deliverability")  # fmt: skip

_GENERIC_NAMES = frozenset(normalise_header(h) for h in _GENERIC)

SERVICES: tuple[Service, ...] = (
    # ZeroBounce file results: "Email Address","ZB Status","ZB Sub Status",... with status one
    # of valid, invalid, catch-all, unknown, spamtrap, abuse, do_not_mail (ZeroBounce SDK
    # READMEs: zero-bounce-python-sdk, the Go SDK's example export file).
    _service(
        "ZeroBounce",
        ["ZB Status", "ZeroBounce Status", *_GENERIC],
        {
            "valid": _OK,
            "invalid": _INVALID,
            "catch-all": _RISKY,
            "unknown": _UNKNOWN,
            "spamtrap": _DNM,
            "abuse": _DNM,
            "do_not_mail": _DNM,
        },
    ),
    # ZeroBounce's sub-status (mailbox_not_found, role_based, disposable...: the API usage
    # fields sub_status_* in the SDKs). Detected so it never becomes the lead status; the main
    # "ZB Status" decides.
    _service(
        "ZeroBounce sub-status",
        ["ZB Sub Status", "ZB Sub-Status", "ZeroBounce Sub Status"],
        dict.fromkeys(
            [
                "alias_address",
                "antispam_system",
                "greylisted",
                "mail_server_temporary_error",
                "forcible_disconnect",
                "mail_server_did_not_respond",
                "timeout_exceeded",
                "failed_smtp_connection",
                "mailbox_quota_exceeded",
                "exception_occurred",
                "possible_trap",
                "role_based",
                "global_suppression",
                "mailbox_not_found",
                "no_dns_entries",
                "failed_syntax_check",
                "possible_typo",
                "unroutable_ip_address",
                "leading_period_removed",
                "does_not_accept_mail",
                "role_based_catch_all",
                "role_based_accept_all",
                "disposable",
                "toxic",
                "alternate",
                "mx_forward",
                "allowed",
                "blocked",
                "gold",
                "accept_all",
            ],
            _DETAIL,
        ),
    ),
    # NeverBounce result codes: valid, invalid, disposable, catchall, unknown
    # (developers.neverbounce.com, "Result Codes"); the CSV column is "result" unless renamed.
    _service(
        "NeverBounce",
        ["NeverBounce Result", "NeverBounce", "NB Result", *_GENERIC],
        {
            "valid": _OK,
            "invalid": _INVALID,
            "disposable": _DISP,
            "catchall": _RISKY,
            "unknown": _UNKNOWN,
        },
    ),
    # Apollo people export "Email Status": Verified, Unverified, Likely to engage, Update
    # required, Unavailable; older and newer labels Guessed, Pending Manual Verification,
    # Bounced, No Email, User Managed, Needs Verification (Apollo knowledge base, "Email Status
    # Overview"; the export fixture tests/data/exports/apollo_people.csv). Bounced and Invalid
    # (older exports and CRM syncs write it) say the address is dead; "Update required" and the
    # rest leave it in doubt, so they are imported.
    _service(
        "Apollo",
        ["Email Status", "Primary Email Status"],
        {
            "verified": _OK,
            "likely to engage": _OK,
            "unverified": _UNKNOWN,
            "update required": _UNKNOWN,
            "unavailable": _UNKNOWN,
            "guessed": _RISKY,
            "extrapolated": _RISKY,
            "pending manual verification": _UNKNOWN,
            "bounced": _INVALID,
            "invalid": _INVALID,
            "no email": _UNKNOWN,
            "user managed": _UNKNOWN,
            "needs verification": _UNKNOWN,
        },
    ),
    # MillionVerifier bulk results "email,quality,result,free,role": result ok, catch_all,
    # unknown, invalid, disposable (and error); quality good, risky, bad (public parsers of
    # its download, e.g. in lead-pipeline repositories).
    _service(
        "MillionVerifier",
        ["result", "MillionVerifier Result", "MV Result"],
        {
            "ok": _OK,
            "catch_all": _RISKY,
            "unknown": _UNKNOWN,
            "error": _UNKNOWN,
            "invalid": _INVALID,
            "disposable": _DISP,
        },
    ),
    _service(
        "MillionVerifier quality",
        ["quality", "MillionVerifier Quality"],
        {"good": _OK, "risky": _RISKY, "bad": _INVALID},
    ),
    # Hunter verification statuses: valid, invalid, accept_all, webmail, disposable, unknown
    # (and blocked) (help.hunter.io, "What are the possible verification statuses").
    _service(
        "Hunter",
        ["Verification status", "Hunter Status", "Email verification status", *_GENERIC],
        {
            "valid": _OK,
            "invalid": _INVALID,
            "accept_all": _RISKY,
            "accept all": _RISKY,
            "webmail": _OK,
            "disposable": _DISP,
            "unknown": _UNKNOWN,
            "blocked": _UNKNOWN,
        },
    ),
    # deliverable, undeliverable, risky, unknown: Kickbox's "result" (docs.kickbox.com,
    # "Understanding Results"), Bouncer's "status" (Bouncer API docs), Emailable's "State"
    # (help.emailable.com, "All possible states and reasons", which adds duplicate).
    _service(
        "Kickbox/Bouncer/Emailable",
        ["Kickbox Result", "Bouncer Status", "Emailable State", *_GENERIC],
        {
            "deliverable": _OK,
            "undeliverable": _INVALID,
            "risky": _RISKY,
            "unknown": _UNKNOWN,
            "duplicate": _UNKNOWN,
        },
    ),
    # Clearout and most other verifiers: valid, invalid, catch_all, unknown (plus the words of
    # the services above); under a generic header only. Last: the neutral name of a tie.
    _service(
        "email verification",
        _GENERIC,
        {
            "valid": _OK,
            "invalid": _INVALID,
            "catch_all": _RISKY,
            "accept_all": _RISKY,
            "unknown": _UNKNOWN,
            "risky": _RISKY,
            "disposable": _DISP,
            "spamtrap": _DNM,
            "do_not_mail": _DNM,
            "deliverable": _OK,
            "undeliverable": _INVALID,
        },
    ),
)


@dataclass(frozen=True)
class VerdictColumn:
    """A column found to hold one service's verdicts, with the evidence."""

    key: str  # the frame column key
    header: str  # as written
    service: str
    words: Mapping[str, VerdictClass]
    evidence: str  # e.g. "ZB Status: 9 of 10 sampled values are ZeroBounce verdicts"

    @property
    def decides(self) -> bool:
        """Whether this column's words can leave a row out (a sub-status never does)."""
        return any(c is not VerdictClass.DETAIL for c in self.words.values())

    def classes(self, values: Sequence[object] | np.ndarray) -> np.ndarray:
        """Per row the class of its verdict, or None (empty, or a word the service does not
        use: such a row is imported); looked up once per distinct value."""
        cache: dict[object, VerdictClass | None] = {}
        out = np.full(len(values), None, dtype=object)
        for i, value in enumerate(values):
            if type(value) is not str or not value:
                continue
            found = cache.get(value, False)
            if found is False:
                found = cache[value] = self.words.get(fold(value))
            out[i] = found
        return out


def find_verdict_columns(
    headers: Sequence[str], samples: Mapping[str, Sequence[str]], keys: Sequence[str] | None = None
) -> list[VerdictColumn]:
    """The verdict columns of a file: a header that service writes, and at least ``SHARE``
    of the sampled non-empty values its words (a header alone, or values alone, are not
    enough). ``keys`` are the frame column keys (default: the headers); ``samples`` are keyed
    by them, as ``SourceInfo.samples`` are."""
    found: list[VerdictColumn] = []
    for header, key in zip(headers, keys or headers, strict=True):
        name = normalise_header(header)
        values = [v for v in samples.get(key, ()) if v and v.strip()]
        if not values:
            continue
        folded = [fold(v) for v in values]
        qualifying: list[tuple[int, Service]] = []
        for service in SERVICES:
            if name in service.headers:
                hits = sum(1 for f in folded if f in service.words)
                if hits >= SHARE * len(values):
                    qualifying.append((hits, service))
        if not qualifying:
            continue
        hits, chosen = qualifying[0]
        if name in _GENERIC_NAMES:
            # A header several services write: the words name the service; when they fit
            # several equally (valid, invalid, unknown), none is named.
            # The neutral vocabulary holds most services' words, so it ties with any of them.
            best = max(h for h, _ in qualifying)
            tied = [s for h, s in qualifying if h == best and s is not SERVICES[-1]]
            hits, chosen = best, tied[0] if len(tied) == 1 else SERVICES[-1]
        found.append(
            VerdictColumn(
                key=key,
                header=header,
                service=chosen.name,
                words=chosen.words,
                evidence=f"{header}: {hits} of {len(values)} sampled values are "
                f"{chosen.name} verdicts",
            )
        )
    return found


#: Each service by name (a saved mapping records a verdict column by its service).
SERVICE_BY_NAME: dict[str, Service] = {s.name: s for s in SERVICES}


def decision_kind(service: str) -> str:
    """The mapping decision kind that records a verdict column of ``service``
    (``verdict_zerobounce``, ``verdict_kickbox_bouncer_emailable``...)."""
    return "verdict_" + re.sub(r"[^a-z0-9]+", "_", service.lower()).strip("_")


#: Mapping decision kind -> service name, for every service.
VERDICT_KINDS: dict[str, str] = {decision_kind(s.name): s.name for s in SERVICES}


def verdict_column(key: str, header: str, service: str, evidence: str) -> VerdictColumn:
    """A column recorded as ``service``'s verdicts (a saved mapping replayed)."""
    chosen = SERVICE_BY_NAME[service]
    return VerdictColumn(
        key=key, header=header, service=chosen.name, words=chosen.words, evidence=evidence
    )
