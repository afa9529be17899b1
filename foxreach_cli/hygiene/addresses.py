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


class LowerLines:
    """A chunk's values as one text, a line each and lowercased (``join_lines(values).lower()``),
    for the domain cut and the role cut of the same chunk: the text is built, checked for one
    ``@`` a line and split at ``@`` and newline once, not once per rule."""

    def __init__(self, values: Sequence[object] | np.ndarray) -> None:
        self.n = len(values)
        self.text = join_lines(values).lower()
        self._one_at: bool | None = None
        self._pieces: list[str] | None = None

    @property
    def one_at_sign(self) -> bool:
        """Does every line hold exactly one ``@``, not first (:func:`one_at_sign_per_line`)?"""
        if self._one_at is None:
            self._one_at = one_at_sign_per_line(self.text, self.n)
        return self._one_at

    @property
    def pieces(self) -> list[str]:
        """The text split at ``@`` and newline: when :attr:`one_at_sign`, local part and
        domain of each line, alternately."""
        if self._pieces is None:
            self._pieces = self.text.replace("\n", "@").split("@")
        return self._pieces


def domains_of(
    emails: Sequence[object] | np.ndarray, lines: LowerLines | None = None
) -> np.ndarray:
    """The domain of each address in normal form (as :func:`split_addresses` gives it), in
    one pass: the fast path of a chunk that needs no address form.

    When every line holds one ``@`` (validated emails do), the domains are every other piece
    of the text split at ``@`` and newline: a few C calls, no Python step per row; a
    non-ASCII domain is converted once per distinct domain. Falls back to
    :func:`split_addresses` for zero-width text and for cells with spaces or tabs around them
    (and, beyond ASCII, for any whitespace or a line without exactly one ``@``). ``lines``:
    the same emails as :class:`LowerLines`, when the caller has them.
    """
    n = len(emails)
    if not n:
        return np.empty(0, dtype=object)
    if lines is None:
        lines = LowerLines(emails)
    joined = lines.text
    # A single-character search is a memchr: the two-character ones run only on text that
    # has a space at all (validated emails seldom do).
    spaced = "\t" in joined or (
        " " in joined
        and ("\n " in joined or " \n" in joined or joined[:1] == " " or joined[-1:] == " ")
    )
    if spaced or any(z in joined for z in ZERO_WIDTH):
        return split_addresses(emails)[1]
    out = np.empty(n, dtype=object)
    if not joined.isascii():
        # Unicode whitespace would be trimmed off a value by split_addresses: none may be left.
        if _NOT_NEWLINE_SPACE.search(joined) or not lines.one_at_sign:
            return split_addresses(emails)[1]
        domains = lines.pieces[1::2]
        wide = {d: normalise_domain(d) or d for d in set(domains) if not d.isascii()}
        out[:] = [wide.get(d, d) for d in domains] if wide else domains
        return out
    if lines.one_at_sign:
        out[:] = lines.pieces[1::2]
        return out
    split = joined.split("\n")
    if len(split) != n:  # a value holding a newline: one value at a time
        return split_addresses(emails)[1]
    out[:] = [t.rpartition("@")[2] if t.find("@") > 0 else "" for t in split]
    return out


#: Whitespace other than a newline (``\s`` is what ``str.strip`` removes).
_NOT_NEWLINE_SPACE = re.compile(r"[^\S\n]")


def join_lines(values: Sequence[object] | np.ndarray) -> str:
    """The values joined by newlines, anything that is not text as ""."""
    try:
        return "\n".join(values)  # type: ignore[arg-type]
    except TypeError:
        return "\n".join(v if type(v) is str else "" for v in values)


def one_at_sign_per_line(text: str, n: int) -> bool:
    """Does ``text`` hold ``n`` lines that each have exactly one ``@``, not first?

    Then splitting it at ``@`` and newline gives local part and domain, alternately. Checked
    on the UTF-8 bytes, where neither byte is ever part of another character: without every
    other byte, they must alternate.
    """
    if text.count("@") != n or text[:1] == "@" or "\n@" in text:
        return False
    marks = text.encode("utf-8", "surrogatepass").translate(None, _NOT_AT_OR_NEWLINE)
    return marks == b"@\n" * (n - 1) + b"@"


_NOT_AT_OR_NEWLINE = bytes(b for b in range(256) if b not in b"@\n")


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
