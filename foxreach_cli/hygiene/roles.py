"""Role and disposable addresses: counted and named by default, left out when asked.

    role_locals(addresses)         -> per row the role local part, or ""
    disposable_domains(domains)    -> per row the listed disposable domain, or ""

A role address reaches a team or a machine (``info@``, ``noreply@``), not the person a cold
email is meant for; writing to ``abuse@`` or ``postmaster@`` invites a complaint. The local part
is compared after removing a ``+tag`` and the separators ``.``, ``-`` and ``_`` (so
``no-reply``, ``no_reply`` and ``no.reply`` are ``noreply``).

Disposable-mail domains come from the ``disposable-email-domains`` package (its ``blocklist``,
a set of some 10,000 domains maintained by the community and released often), not a list kept
here; a subdomain of a listed domain counts too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from disposable_email_domains import blocklist

from foxreach_cli.mapping.lexicon import lexicon

from .addresses import LowerLines, parent_domains

#: Local parts that name a role, compared without separators (see the module docstring): the
#: lexicon's ``[roles]`` (RFC 2142 and verification services' role lists).
ROLE_LOCALS: frozenset[str] = lexicon().role_locals

_SEPARATORS = str.maketrans("", "", ".-_")


def role_local(local: str) -> str:
    """The role a local part names, or "" (``Sales+EU`` -> ``sales``)."""
    base = local.split("+", 1)[0].lower().translate(_SEPARATORS)
    return base if base in ROLE_LOCALS else ""


def role_locals(
    addresses: Sequence[object] | np.ndarray, lines: LowerLines | None = None
) -> np.ndarray:
    """Per address (normal form, see ``addresses.split_addresses``) the role local part, or
    "" when it is not a role address.

    As :func:`role_local` on each local part, for a whole chunk in a few C calls over one
    joined text (a Python step per row was a large part of a list's hygiene check). When each
    line holds one ``@`` (validated emails do): the local parts (every other piece of the text
    split at ``@`` and newline) are joined again, their ``+tags`` and separators dropped, and
    intersected with the set; only the few role words found are then located. Otherwise each
    line is cut at its first ``+`` or ``@``. ``lines``: the same addresses as
    :class:`~.addresses.LowerLines`, when the caller has them (the domain cut shares them)."""
    n = len(addresses)
    out = np.full(n, "", dtype=object)
    if not n:
        return out
    if lines is None:
        lines = LowerLines(addresses)
    if lines.one_at_sign:
        # The local parts alone: half the text, and no domain is split a second time.
        text = "\n".join(lines.pieces[0::2])
        if "+" in text:
            text = _TAG.sub("", text)
        bases = _without_separators(text).split("\n")
        found = ROLE_LOCALS.intersection(bases)
        if found:
            column = np.empty(n, dtype=object)
            column[:] = bases
            for word in found:
                out[column == word] = word
        return out
    bases = _without_separators(_TAG_AND_DOMAIN.sub("", lines.text)).split("\n")
    if len(bases) != n:  # a value holding a newline: one value at a time
        bases = [
            _TAG_OR_AT.split(a.lower(), 1)[0].translate(_SEPARATORS) if type(a) is str else ""
            for a in addresses
        ]
    hits = [i for i, base in enumerate(bases) if base in ROLE_LOCALS]
    if hits:
        out[hits] = [bases[i] for i in hits]
    return out


def _without_separators(text: str) -> str:
    """``text`` without ``.``, ``-`` and ``_``: str.translate is a C loop for ASCII only,
    and a Python step per character beyond it, where three replaces are far cheaper."""
    if text.isascii():
        return text.translate(_SEPARATORS)
    return text.replace(".", "").replace("-", "").replace("_", "")


#: A ``+tag`` of a local part, in a text of local parts a line each.
_TAG = re.compile(r"\+[^\n]*")

#: From a local part's first ``+`` (a tag) or its ``@`` to the end of the line. An address in
#: normal form has one ``@`` outside quotes; a quoted local part holding ``@`` or ``+`` is cut
#: there, leaving a quote in the base, which no role word holds.
_TAG_AND_DOMAIN = re.compile(r"[+@][^\n]*")
_TAG_OR_AT = re.compile(r"[+@]")


def disposable_domain(domain: str) -> str:
    """The listed disposable domain that ``domain`` is or is under, or ""."""
    for parent in parent_domains(domain)[:-1]:  # never a bare top-level domain
        if parent in blocklist:
            return parent
    return ""


def disposable_domains(domains: Sequence[str] | np.ndarray) -> np.ndarray:
    """Per domain (normal form) the listed disposable domain, or ""; looked up once per
    distinct domain (a chunk holds few), spread back by a hash map."""
    out = np.full(len(domains), "", dtype=object)
    if not len(domains):
        return out
    hits = {d: f for d in set(domains) if d and (f := disposable_domain(d))}
    if hits:  # most chunks hold none: the column is built only for the few that do
        found = pd.Series(domains, dtype=object).map(hits).to_numpy(dtype=object)
        listed = found == found  # NaN where the domain is not listed
        out[listed] = found[listed]
    return out
