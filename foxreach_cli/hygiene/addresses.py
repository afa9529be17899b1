"""One normal form of an address and a domain, shared by every hygiene rule.

Matching is case-insensitive on the whole address (RFC 5321 lets a server treat the local part
as case-sensitive; none of the big providers do, and a suppression list must not miss
``Ann@acme.com`` because it says ``ann@acme.com``). Zero-width characters pasted from web pages
are removed, and an internationalised domain becomes its ASCII (punycode) form, so
``bücher.de`` in a list matches ``xn--bcher-kva.de`` in a file and the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import idna
import numpy as np
import pandas as pd

#: Invisible characters that survive copy and paste: zero-width space, non-joiner, joiner,
#: word joiner, BOM, soft hyphen.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_ZERO_WIDTH_RE = f"[{ZERO_WIDTH}]"
ZERO_WIDTH_TABLE = str.maketrans("", "", ZERO_WIDTH)

#: An ASCII host name of two labels or more (after punycode); a label may hold letters, digits
#: and hyphens, as mail domains do.
DOMAIN_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def normalise_domain(text: str) -> str | None:
    """The lowercase ASCII form of one domain, or None when it is not a valid domain name."""
    domain = text.translate(ZERO_WIDTH_TABLE).strip().lower().rstrip(".")
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    return domain if DOMAIN_RE.match(domain) else None


def clean_text(values: pd.Series) -> pd.Series:
    """Trimmed, lowercased text without zero-width characters (vectorised; non-text -> "")."""
    text = values.where(values.map(lambda v: isinstance(v, str)).astype(bool), "").astype(object)
    return text.str.replace(_ZERO_WIDTH_RE, "", regex=True).str.strip().str.lower().astype(object)


def split_addresses(emails: Iterable[object]) -> tuple[np.ndarray, np.ndarray]:
    """(address, domain) of each email in normal form, as object arrays; "" where there is
    none (not text, no ``@``, nothing before it).

    The domain is the part after the last ``@``; a non-ASCII domain is converted to punycode
    once per distinct domain, and the address rebuilt with it. List comprehensions over C
    string methods: pandas' ``.str`` accessor builds a frame per call.
    """
    text = [e.strip().lower() if type(e) is str else "" for e in emails]
    joined = "\n".join(text)
    if any(c in joined for c in ZERO_WIDTH):
        text = [t.translate(ZERO_WIDTH_TABLE).strip() for t in text]
    cut = [t.rfind("@") for t in text]
    domains = [t[i + 1 :] if i > 0 else "" for t, i in zip(text, cut)]
    addresses = [t if i > 0 else "" for t, i in zip(text, cut)]
    if not joined.isascii():
        converted: dict[str, str] = {}
        for k, domain in enumerate(domains):
            if domain and not domain.isascii():
                if domain not in converted:
                    converted[domain] = normalise_domain(domain) or domain
                domains[k] = converted[domain]
                addresses[k] = addresses[k][: cut[k] + 1] + domains[k]
    return np.array(addresses, dtype=object), np.array(domains, dtype=object)


def domains_of(emails: Sequence[object] | np.ndarray) -> np.ndarray:
    """The domain of each address in normal form (as :func:`split_addresses` gives it), in
    one pass: the fast path of a chunk that needs no address form.

    Falls back to :func:`split_addresses` for non-ASCII or zero-width text and for cells
    with spaces or tabs around them.
    """
    if not len(emails):
        return np.empty(0, dtype=object)
    joined = "\n".join(e if type(e) is str else "" for e in emails).lower()
    spaced = "\n " in joined or " \n" in joined or "\t" in joined or joined[:1] == " "
    if spaced or joined[-1:] == " " or not joined.isascii() or any(z in joined for z in ZERO_WIDTH):
        return split_addresses(emails)[1]
    lines = joined.split("\n")
    return np.array([t.rpartition("@")[2] if t.find("@") > 0 else "" for t in lines], object)


def normalise_domains(domains: pd.Series) -> pd.Series:
    """Normal form of each domain, vectorised, with punycode only for the non-ASCII ones;
    None where the text is not a valid domain."""
    text = clean_text(domains).str.rstrip(".")
    ascii_mask = text.str.isascii().astype(bool)
    valid = text.str.match(DOMAIN_RE.pattern).astype(bool) & ascii_mask
    out = text.where(valid, None)
    odd = ~ascii_mask
    if odd.any():
        out = out.where(~odd, text[odd].map(normalise_domain))
    return out


def parent_domains(domain: str) -> list[str]:
    """``a.b.acme.com`` -> [``a.b.acme.com``, ``b.acme.com``, ``acme.com``, ``com``]."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]
