"""Suppression lists: addresses and domains that must never be imported.

    load_list(path)              -> SuppressionList (plain text, CSV/TSV, XLSX/XLS/ODS)
    load_default_list()          -> SuppressionList | None; InputError when it cannot be read
    Suppression(lists).match(addresses, domains) -> per row None or a Rejection

Entries: ``ann@acme.com`` (and its plus-addressed forms, ``ann+news@acme.com``),
``@acme.com`` or ``acme.com`` (not its subdomains), ``*.acme.com`` (and its subdomains);
matching is case-insensitive. A line is read as a person means it: NFKC-folded, invisible
characters and non-breaking spaces removed, ``mailto:`` and ``Name <address>`` unwrapped.
Entries are kept as 64-bit hashes. The
format, the collision risk and the measurements: docs/hygiene.md ("Suppression lists").
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from foxreach_cli.errors import InputError, os_reason
from foxreach_cli.readers.base import SAMPLE_BYTES, display_name

from ..reasons import ReasonCode, Rejection
from .addresses import (
    ZERO_WIDTH,
    ZERO_WIDTH_TABLE,
    normalise_domains,
    parent_domains,
    split_addresses,
)
from .default_list import default_list_path

#: Header words a one-column text list may start with (skipped, not counted unusable).
HEADER_WORDS = frozenset(
    {"email", "e-mail", "emails", "email address", "address", "domain", "domains", "entry"}
)
#: The share of a column's sampled values that must be addresses (or domains) for the column
#: to be read as entries of the list.
COLUMN_SHARE = 0.8
#: How many unusable lines a list keeps as examples for the message.
EXAMPLES = 5

_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_DELIMITERS = (",", ";", "\t", "|")


def _hash(values: Sequence[str] | pd.Series | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=object)
    if not len(array):
        return np.empty(0, dtype=np.uint64)
    return pd.util.hash_array(array, categorize=False)


@dataclass(frozen=True)
class SuppressionList:
    """One list, loaded: sorted unique hashes of its addresses, domains and ``*.`` domains."""

    path: str  # as the user gave it
    addresses: np.ndarray  # uint64, sorted, unique
    domains: np.ndarray
    wildcards: np.ndarray
    entries: int  # usable entries read (duplicates included)
    unusable: int  # lines or cells that are neither an address nor a domain
    examples: tuple[tuple[int, str], ...]  # (line or row number, text) of the first unusable
    columns: tuple[str, ...] = ()  # the columns read, for a table ("" for plain text)

    @property
    def size(self) -> int:
        """Distinct entries."""
        return len(self.addresses) + len(self.domains) + len(self.wildcards)

    def skipped_note(self) -> str | None:
        """The sentence naming the lines not used (None when every line was):
        "exclude.txt: skipped 3 lines that are neither an address nor a domain: line 7
        'see below', line 9 'call Ann' ..." """
        if not self.unusable:
            return None
        lines = "1 line that is" if self.unusable == 1 else f"{self.unusable:,} lines that are"
        where = "row" if self.columns else "line"
        shown = ", ".join(f"{where} {n} {text!r}" for n, text in self.examples)
        more = " ..." if self.unusable > len(self.examples) else ""
        return (
            f"{display_name(self.path)}: skipped {lines} neither an address nor a domain: "
            f"{shown}{more}"
        )


def load_default_list() -> SuppressionList | None:
    """The default list, or None when there is none.

    Raises:
        InputError: it exists but cannot be read or holds no entries a list can hold, as one
            sentence naming the file.
    """
    path = default_list_path()
    if not path.exists() and not path.is_symlink():
        return None
    try:
        return load_list(str(path))
    except InputError as exc:
        raise InputError(
            f"The default exclusion list cannot be used: {exc.message}",
            hint="Fix or remove it; it applies to every run.",
        ) from None


def load_list(path: str) -> SuppressionList:
    """Read one suppression list, by content: a workbook or a delimited table through the
    project's readers (the columns of addresses, else of domains, are the entries), or plain
    text with one entry per line.

    Raises:
        InputError: the file cannot be read, or a table has no column of addresses or domains.
    """
    real = Path(path)
    name = display_name(path)
    try:
        with real.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise InputError(
            f"The exclusion list {name} does not exist.", hint="Check its path and run again."
        ) from None
    except OSError as exc:
        raise InputError(
            f"Cannot read the exclusion list {name}: {os_reason(exc)}.", hint=LIST_FIX
        ) from None
    if head.startswith(_WORKBOOK_MAGIC) or _is_table(head) or _is_binary(head):
        return _load_table(path)
    return _load_text(path, head)


#: How to fix an exclusion list that cannot be used (never the fix of a lead file).
LIST_FIX = (
    "Give a text file with one address or domain per line, or a CSV or workbook with a "
    "column of them, and run again."
)
_CONTROL = bytes([*range(0, 9), 14, 15, *range(16, 27), 28, 29, 30, 31, 127])


def _is_binary(head: bytes) -> bool:
    """Control bytes no text list holds (a UTF-16 list starts with its BOM): such a file goes
    to the readers, which say what it is."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)):
        return False
    return len(head) != len(head.translate(None, _CONTROL))


def _list_reason(exc: InputError, name: str) -> str:
    """A reader's sentence about a lead file, cut to its reason: what follows its ``;`` is a
    fix meant for a lead file (``--sheet``, "put the leads on a sheet"), not for a list."""
    reason = exc.message.split("; ", 1)[0].rstrip(".")
    if reason.startswith(f"{name}: "):
        return reason[len(name) + 2 :]
    if reason.startswith(f"{name} "):
        return "it " + reason[len(name) + 1 :]  # "leads.xlsx has no ..." -> "it has no ..."
    return reason


def _is_table(head: bytes) -> bool:
    """Whether a text file is delimited (a delimiter on a line that is not a comment)."""
    text = _decode(head, strict=False)
    for line in text.splitlines()[:50]:
        # A trailing ',' or ';' (copied from a mail client) and "Name, Ltd <address>" are
        # one entry on a line, not a table's cells.
        stripped = line.strip().rstrip(",;").strip()
        if not stripped or stripped.startswith("#") or _ANGLED.fullmatch(stripped):
            continue
        if any(d in stripped for d in _DELIMITERS):
            return True
    return False


def _decode(data: bytes, *, strict: bool = True) -> str:
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):  # fmt: skip
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if not strict:
            return data.decode("utf-8", errors="replace")
        return data.decode("cp1252", errors="replace")


def _load_text(path: str, head: bytes) -> SuppressionList:
    name = display_name(path)
    try:
        data = Path(path).read_bytes() if len(head) >= SAMPLE_BYTES else head
    except OSError as exc:
        raise InputError(f"Cannot read the exclusion list {name}: {os_reason(exc)}.") from None
    text = _decode(data)
    del data  # the bytes and the text of a million entries are 30 MB each: keep one
    return _parse(path, text, None, columns=())


def _load_table(path: str) -> SuppressionList:
    # Imported here: the readers import the mapping, which imports hygiene.verdicts.
    from foxreach_cli.read import open_source

    name = display_name(path)
    try:
        source = open_source(path, chunk_rows=200_000)
    except InputError as exc:
        raise InputError(
            f"Cannot read the exclusion list {name}: {_list_reason(exc, name)}.", hint=LIST_FIX
        ) from None
    with source:
        info = source.info
        columns = _entry_columns(info.columns, info.samples)
        if not columns:
            raise InputError(
                f"The exclusion list {name} has no column of email addresses or domains; "
                "give a file with one address or domain per line, or a column of them."
            )
        cells: list[str] = []
        numbers: list[np.ndarray] = []
        try:
            for chunk in source.chunks():
                for key in columns:
                    values = chunk.frame[key].fillna("").astype(object)
                    cells.extend(v.replace("\n", " ").replace("\r", " ") for v in values)
                    numbers.append(chunk.rows)
        except InputError as exc:
            raise InputError(
                f"Cannot read the exclusion list {name}: {_list_reason(exc, name)}.",
                hint=LIST_FIX,
            ) from None
    headers = tuple(info.headers[info.columns.index(k)] or k for k in columns)
    rows = np.concatenate(numbers) if numbers else np.empty(0, dtype=np.int64)
    # One cell per line: the same parser as a text list, a cell's row number for its line.
    return _parse(path, "\n".join(cells), rows, columns=headers)


def _entry_columns(columns: Sequence[str], samples: dict[str, tuple[str, ...]]) -> list[str]:
    """The columns whose sampled values are mostly addresses; if none, mostly domains."""
    by_kind: dict[str, list[str]] = {"address": [], "domain": []}
    for key in columns:
        values = [v for v in samples.get(key, ()) if v.strip()]
        if not values:
            continue
        kinds = _classify(pd.Series(values, dtype=object))[0]
        counts = {"address": (kinds == "address").sum(), "domain": (kinds == "domain").sum()}
        counts["domain"] += (kinds == "wildcard").sum()
        for kind, count in counts.items():
            if count >= COLUMN_SHARE * len(values):
                by_kind[kind].append(key)
    return by_kind["address"] or by_kind["domain"]


def _classify(text: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each entry's kind (address, domain, wildcard, or "" when unusable) and normal form."""
    text = text.reset_index(drop=True)
    lowered = text.astype(str).str.strip().str.lower()
    wildcard = lowered.str.startswith("*.")
    at_domain = lowered.str.startswith("@")
    address = lowered.str.contains("@", regex=False) & ~at_domain & ~wildcard
    domain_text = lowered.where(~wildcard, lowered.str[2:])
    domain_text = domain_text.where(~at_domain, lowered.str[1:])
    split = split_addresses(lowered.where(address, ""))
    addresses, address_domains = (pd.Series(a, dtype=object) for a in split)
    domain_text = domain_text.where(~address, "")
    domains = normalise_domains(domain_text)
    local_ok = ~addresses.str.split("@").str[0].str.contains(r"\s", regex=True).astype(bool)
    address_ok = address & (address_domains != "") & local_ok
    address_ok &= normalise_domains(address_domains.where(address_ok, "")).notna()
    kinds = np.full(len(text), "", dtype=object)
    kinds[(address_ok).to_numpy()] = "address"
    plain_domain = (~address & ~wildcard & domains.notna()).to_numpy()
    kinds[plain_domain] = "domain"
    kinds[(wildcard & domains.notna()).to_numpy()] = "wildcard"
    normal = domains.where(~address, addresses)
    return kinds, normal


#: One entry per line, parsed by one regular expression over a block of text (in C, not a
#: Python step per line): an optional ``*.`` or ``@``, an optional local part, a domain of two
#: labels or more; or anything else on the line, which is unusable (non-ASCII domains go
#: through ``addresses.normalise_domain`` from there). Quotes, ``<>`` and a trailing ``,``/``;``
#: (copied from a table or a mail client) are allowed around the entry; ``#`` starts a comment.
_LINE = re.compile(
    r"""^[ \t]*["'<]?(?P<pre>\*\.|@)?(?P<addr>(?P<local>[^\s@#"'<>,;]+@)?"""
    r"""(?P<dom>[a-z0-9_-]+(?:\.[a-z0-9_-]+)+))\.?["'>]?[,;]?[ \t]*(?:#.*)?$"""
    r"""|^[ \t]*(?P<bad>[^\s#].*?)[ \t]*$""",
    re.MULTILINE,
)
#: Characters per block: bounds the memory of the matches held at once (~60,000 lines).
_BLOCK_CHARS = 2_000_000


def _blocks(text: str) -> Iterator[tuple[int, str]]:
    """(index of its first line, block) of whole lines, about ``_BLOCK_CHARS`` each."""
    start, line = 0, 0
    while start < len(text):
        end = text.find("\n", start + _BLOCK_CHARS) + 1 or len(text)
        block = text[start:end]
        yield line, block
        line += block.count("\n")
        start = end


def _parse(
    path: str, text: str, numbers: np.ndarray | None, *, columns: tuple[str, ...]
) -> SuppressionList:
    """Entries of newline-separated text; ``numbers`` maps a line index to the row number a
    person sees (None: line index + 1)."""
    hashes: dict[str, list[np.ndarray]] = {"address": [], "domain": [], "wildcard": []}
    entries = unusable = 0
    examples: list[tuple[int, str]] = []
    for first_line, raw in _blocks(text):
        # Block by block, so that the copies made here stay small.
        block = _as_meant(raw)
        if first_line == 0:
            first = _LINE.search(block)
            if first and (first.group("bad") or "").strip() in HEADER_WORDS:
                # A header line is not an entry (keep its newline: line numbers stay true).
                block = block[: first.start()] + block[first.end() :]
        fast = _parse_simple(block)
        if fast is not None:
            for kind, found_hashes in zip(hashes, fast[:3]):
                hashes[kind].append(found_hashes)
            entries += fast[3]
            continue
        found = _LINE.findall(block)
        if not found:
            continue
        pre, addr, local, dom, bad = (np.array(c, dtype=object) for c in zip(*found))
        plain = bad == ""
        has_local = local != ""
        kinds = {
            "address": plain & has_local & (pre == ""),
            "domain": plain & ~has_local & (pre != "*."),
            "wildcard": plain & ~has_local & (pre == "*."),
        }
        values = {"address": addr, "domain": dom, "wildcard": dom}
        odd = ~plain | (has_local & (pre != ""))
        if odd.any():
            # Non-ASCII domains (IDN) and the really unusable: the slow path, for these only.
            odd_text = pd.Series(np.where(plain[odd], pre[odd] + addr[odd], bad[odd]))
            odd_kinds, odd_normal = _classify(odd_text)
            for kind in hashes:
                chosen = odd_normal[odd_kinds == kind].to_numpy(dtype=object)
                hashes[kind].append(_hash(chosen))
            still_bad = odd_kinds == ""
            unusable += int(still_bad.sum())
            entries += int((~still_bad).sum())
            if still_bad.any() and len(examples) < EXAMPLES:
                examples += _bad_lines(block, raw, first_line, numbers, EXAMPLES - len(examples))
        for kind, mask in kinds.items():
            hashes[kind].append(_hash(values[kind][mask]))
            entries += int(mask.sum())
    merged = {
        kind: _unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.uint64)
        for kind, parts in hashes.items()
    }
    return SuppressionList(
        path=path,
        addresses=merged["address"],
        domains=merged["domain"],
        wildcards=merged["wildcard"],
        entries=entries,
        unusable=unusable,
        examples=tuple(examples),
        columns=columns,
    )


#: Domains, one per line, checked by one regular expression call for a whole list.
_DOMAINS = re.compile(r"(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)+\n)*")
#: The characters an entry of the fast path may hold: those of a domain, and of an unquoted
#: local part (RFC 5322 atext, ``.`` and ``@``).
_ENTRY_CHARS = str.maketrans("", "", "abcdefghijklmnopqrstuvwxyz0123456789.-_@*+!#$%&'/=?^`{|}~\n")


#: ``Ann <ann@acme.com>`` (a mail client's form), also quoted or after a comma: the address.
_ANGLED = re.compile(r"^[^<\n]*<[ \t]*([^<>\s]*@[^<>\s]*)[ \t]*>[^\n]*$", re.MULTILINE)
#: Whitespace other than a newline (tabs stay: they are a table's delimiter).
_SPACES = re.compile(r"[^\S\n\t]")


def _as_meant(text: str) -> str:
    """A block of lines as a person means them: NFKC-folded (full-width letters, a
    non-breaking space is a space), invisible characters removed, lowercase, ``mailto:`` and
    ``Name <address>`` unwrapped. Each step runs only when the block needs it."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if any(c in text for c in ZERO_WIDTH):
            text = text.translate(ZERO_WIDTH_TABLE)
        text = _SPACES.sub(" ", text)  # NFKC leaves some spaces (U+2028, ...) as they are
    text = text.lower()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "mailto:" in text:
        text = text.replace("mailto:", "")
    if "<" in text:
        text = _ANGLED.sub(r"\1", text)
    return text


def _unique(hashes: np.ndarray) -> np.ndarray:
    # Sorting beats np.unique's hash table for uint64 (1.3 s -> 0.1 s for a million).
    ordered = np.sort(hashes)
    if len(ordered) < 2:
        return ordered
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _parse_simple(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """The fast path for the usual block of a list (ASCII, one entry per line, nothing
    unusable): the hashes of its addresses, domains and ``*.`` domains and the entry count;
    None when the block needs the line parser (an unusable line, a non-ASCII entry...).

    Every step is one call over the whole text (no Python step per line but the split)."""
    if not text.isascii():
        return None
    if "#" in text:
        text = re.sub(r"#[^\n]*", "", text)
    if any(c in text for c in _QUOTE_CHARS):
        text = text.translate(_QUOTES)
    tokens = text.split()
    if " " in text or "\t" in text:
        lines = text.split("\n")
        if len(tokens) != len(lines) - sum(1 for line in lines if not line.strip()):
            return None  # a line of two words
    if text.translate(_ENTRY_CHARS).strip():
        return None  # a character no entry holds
    addresses = [t for t in tokens if "@" in t and t[0] != "@"]
    wildcards = [t[2:] for t in tokens if t[0] == "*"]
    domains = [t[1:] if t[0] == "@" else t for t in tokens if "@" not in t[1:] and t[0] != "*"]
    if len(addresses) + len(wildcards) + len(domains) != len(tokens):
        return None
    at_domains = sum(1 for t in tokens if t[0] == "@")
    if text.count("@") != len(addresses) + at_domains or text.count("*") != len(wildcards):
        return None  # two @ in an address, a * inside an entry
    if not _DOMAINS.fullmatch(
        "\n".join(domains + wildcards) + "\n" if domains or wildcards else ""
    ):
        return None
    return _hash(addresses), _hash(domains), _hash(wildcards), len(tokens)


#: Characters around an entry copied from a table or a mail client; never in an address's
#: domain, and in its local part only when quoted (such addresses go to the line parser).
_QUOTE_CHARS = '"<>,;'
_QUOTES = str.maketrans("", "", _QUOTE_CHARS)


def _bad_lines(
    block: str, raw: str, first_line: int, numbers: np.ndarray | None, limit: int
) -> list[tuple[int, str]]:
    """(number, text) of the first ``limit`` unusable lines of a block (``raw``: the block
    as written, so a line is named as the person wrote it, not as it was folded)."""
    out: list[tuple[int, str]] = []
    written = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for match in _LINE.finditer(block):
        bad = match.group("bad")
        if bad is None or _classify(pd.Series([bad], dtype=object))[0][0]:
            continue
        at = block.count("\n", 0, match.start())
        if at < len(written) and written[at].strip():
            bad = " ".join(written[at].translate(ZERO_WIDTH_TABLE).split())
        index = first_line + at
        out.append((int(numbers[index]) if numbers is not None else index + 1, bad))
        if len(out) == limit:
            break
    return out


def _lookup(table: np.ndarray, owners: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each key, the index of the list holding it in ``table`` (sorted), or -1."""
    if not len(table) or not len(keys):
        return np.full(len(keys), -1, dtype=np.int32)
    pos = np.searchsorted(table, keys)
    pos[pos == len(table)] = 0
    return np.where(table[pos] == keys, owners[pos], -1).astype(np.int32)


def _merge(arrays: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One sorted hash table over several lists, each hash owned by the first list with it."""
    hashes, owners = [], []
    for index, array in enumerate(arrays):
        hashes.append(array)
        owners.append(np.full(len(array), index, dtype=np.int32))
    if not hashes:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int32)
    allh, allo = np.concatenate(hashes), np.concatenate(owners)
    order = np.lexsort((allo, allh))
    allh, allo = allh[order], allo[order]
    first = np.ones(len(allh), dtype=bool)
    first[1:] = allh[1:] != allh[:-1]
    return allh[first], allo[first]


class Suppression:
    """Every suppression list of a run, matched together; the first list given wins a tie."""

    def __init__(self, lists: Sequence[SuppressionList]) -> None:
        self.lists = tuple(lists)
        self._addresses = _merge(s.addresses for s in self.lists)
        self._domains = _merge(s.domains for s in self.lists)
        self._wildcards = _merge(s.wildcards for s in self.lists)

    def match(
        self, addresses: Sequence[object] | np.ndarray, domains: Sequence[object] | np.ndarray
    ) -> list[Rejection | None]:
        """Per row (addresses and domains in normal form, "" for none): None, or the
        ``excluded_list`` reason with the list and the entry that matched. An address entry
        wins over a domain entry, which wins over a ``*.`` entry."""
        n = len(addresses)
        out: list[Rejection | None] = [None] * n
        if not self.lists or not n:
            return out
        addr = np.asarray(addresses, dtype=object)
        dom = np.asarray(domains, dtype=object)
        by_address = _lookup(*self._addresses, _hash(addr))
        # An address entry covers its plus-addressed forms: jo+news@acme.com is jo@acme.com's
        # inbox. Looked up only for the addresses with a '+' that matched nothing as written.
        plus = np.flatnonzero(
            (by_address < 0) & np.fromiter((isinstance(a, str) and "+" in a for a in addr), bool, n)
        )
        base: dict[int, str] = {}
        if len(plus) and len(self._addresses[0]):
            for i in plus:
                local, _, domain = str(addr[i]).rpartition("@")
                stem = local.split("+", 1)[0]
                if stem and domain:
                    base[int(i)] = f"{stem}@{domain}"
            if base:
                keys = list(base)
                found = _lookup(*self._addresses, _hash([base[k] for k in keys]))
                for k, owner in zip(keys, found):
                    by_address[k] = owner
        by_domain = _lookup(*self._domains, _hash(dom))
        by_wildcard, wildcard_entry = self._wildcard_hits(dom)
        for i in np.flatnonzero((by_address >= 0) | (by_domain >= 0) | (by_wildcard >= 0)):
            if not addr[i] and not dom[i]:
                continue
            if by_address[i] >= 0:
                owner, entry = by_address[i], base.get(int(i), addr[i])
            elif by_domain[i] >= 0:
                owner, entry = by_domain[i], dom[i]
            else:
                owner, entry = by_wildcard[i], f"*.{wildcard_entry[i]}"
            out[i] = ReasonCode.EXCLUDED_LIST.of(list=self.lists[owner].path, entry=entry)
        return out

    def _wildcard_hits(self, domains: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Per row, the list whose ``*.`` entry covers the domain (-1: none) and that entry;
        the suffixes are walked over the distinct domains only."""
        n = len(domains)
        owners = np.full(n, -1, dtype=np.int32)
        entries = [""] * n
        if not len(self._wildcards[0]):
            return owners, entries
        codes, distinct = pd.factorize(pd.Series(domains, dtype=object))
        suffixes: list[str] = []
        which: list[int] = []
        for index, domain in enumerate(distinct):
            if domain:
                parents = parent_domains(domain)
                suffixes.extend(parents)
                which.extend([index] * len(parents))
        found = _lookup(*self._wildcards, _hash(suffixes))
        best_owner = np.full(len(distinct), -1, dtype=np.int32)
        best_entry = [""] * len(distinct)
        # The longest suffix comes first per domain: keep the first hit.
        for k in np.flatnonzero(found >= 0):
            d = which[k]
            if best_owner[d] < 0:
                best_owner[d], best_entry[d] = found[k], suffixes[k]
        valid = codes >= 0
        owners[valid] = best_owner[codes[valid]]
        for i in np.flatnonzero(owners >= 0):
            entries[i] = best_entry[codes[i]]
        return owners, entries
