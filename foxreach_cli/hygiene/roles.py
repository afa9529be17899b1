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

from .addresses import parent_domains

#: Local parts that name a role, compared without separators (see the module docstring): the
#: lexicon's ``[roles]`` (RFC 2142 and verification services' role lists).
ROLE_LOCALS: frozenset[str] = lexicon().role_locals

_SEPARATORS = str.maketrans("", "", ".-_")


def role_local(local: str) -> str:
    """The role a local part names, or "" (``Sales+EU`` -> ``sales``)."""
    base = local.split("+", 1)[0].lower().translate(_SEPARATORS)
    return base if base in ROLE_LOCALS else ""


def role_locals(addresses: Sequence[object] | np.ndarray) -> np.ndarray:
    """Per address (normal form, see ``addresses.split_addresses``) the role local part, or
    "" when it is not a role address.

    As :func:`role_local` on each local part, for a whole chunk in a few calls over one
    joined text (a Python step per row was a large part of a list's hygiene check): cut each line
    at its first ``+`` or ``@``, drop the separators, and look the lines up in the set."""
    n = len(addresses)
    out = np.full(n, "", dtype=object)
    if not n:
        return out
    joined = "\n".join(a if type(a) is str else "" for a in addresses)
    bases = _TAG_AND_DOMAIN.sub("", joined.lower()).translate(_SEPARATORS).split("\n")
    hits = [i for i, base in enumerate(bases) if base in ROLE_LOCALS]
    if hits:
        out[hits] = [bases[i] for i in hits]
    return out


#: From a local part's first ``+`` (a tag) or its ``@`` to the end of the line. An address in
#: normal form has one ``@`` outside quotes; a quoted local part holding ``@`` or ``+`` is cut
#: there, leaving a quote in the base, which no role word holds.
_TAG_AND_DOMAIN = re.compile(r"[+@][^\n]*")


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
    column = pd.Series(domains, dtype=object)
    hits = {d: f for d in column.unique() if d and (f := disposable_domain(d))}
    if hits:
        found = column.map(hits).to_numpy(dtype=object)
        listed = found == found  # NaN where the domain is not listed
        out[listed] = found[listed]
    return out
