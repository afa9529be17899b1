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
counts as a disposable address (left out with ``skip_disposable``). The services' headers
and words are data in the lexicon (``mapping/lexicon/en.toml``, ``[verdicts]``, where each
one's source is said); headers marked "generic" are the ones several services use, so their
service is named by the words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from foxreach_cli.mapping.lexicon import lexicon


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


def _services() -> tuple[Service, ...]:
    """The services of the lexicon (``[verdicts]``), the neutral one last."""
    lex = lexicon()
    generic = lex.verdict_generic_headers
    services = [
        _service(
            s.name,
            [*s.headers, *(generic if s.generic else ())],
            {word: VerdictClass(c) for word, c in s.words.items()},
        )
        for s in sorted(lex.verdict_services, key=lambda s: s.neutral)
    ]
    return tuple(services)


_GENERIC_NAMES = frozenset(normalise_header(h) for h in lexicon().verdict_generic_headers)

#: Every service's verdict column (the lexicon's ``[verdicts]``); the last is the neutral
#: vocabulary, named when the words fit several services equally.
SERVICES: tuple[Service, ...] = _services()


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
