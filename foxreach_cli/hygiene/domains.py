"""Domain checks: can a domain receive mail, asked of DNS the way a mail server asks.

    parse_resolver("HOST[:PORT]")   -> (host, port), or UsageError
    DomainChecker(resolver=..., timeout=..., cache=DomainCache(path))
        .check(domains)             -> {domain: DomainResult}; each distinct domain asked once
    DomainCache(path, max_age=7 days, clock=time.time)   the SQLite cache in the state directory

The rules (RFC 5321 section 5.1, RFC 7505): ask MX; an MX answer means mail, unless its only
record is the null MX ``0 .`` (the domain says it takes no mail). No MX (NOERROR, no data):
ask A, then AAAA; an address means mail (the implicit MX). NXDOMAIN: the domain does not exist.
A timeout, SERVFAIL, REFUSED or any other failure never rejects: the domain is ``unchecked``,
and unchecked results are not cached. docs/hygiene.md has the reasoning and the figures.

The messages are dnspython's: queries are written by its renderer (``dns.renderer``, what
``dns.message.make_query(...).to_wire()`` uses) and answers read by its wire parser
(``dns.wire.Parser``, ``dns.name``/``dns.rdata`` ``from_wire_parser``, the readers of
``dns.message.from_wire``), reading only the header, the question and the answer records'
types and MX data. Building full ``dns.message.Message`` objects per answer (every name and
record of every section) costs more CPU per domain (docs/hygiene.md has the figures). The
socket loop is this module's: one UDP socket,
bounded concurrency, a per-attempt timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sqlite3
import struct
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import dns.exception
import dns.flags
import dns.name
import dns.rcode
import dns.rdata
import dns.renderer
import dns.wire

from foxreach_cli.defaults import DOMAIN_CACHE_DAYS
from foxreach_cli.errors import UsageError, storage_errors

#: How long a cached answer is used before the domain is asked again. DNS TTLs (minutes to a
#: day) are too short for a daily cron job; a domain that stops taking mail within a week is
#: caught by the bounce that follows anyway.
DEFAULT_MAX_AGE = DOMAIN_CACHE_DAYS * 24 * 3600.0
DEFAULT_TIMEOUT = 2.0
DEFAULT_ATTEMPTS = 2
DEFAULT_CONCURRENCY = 64

T = TypeVar("T")
MX, A, AAAA = 15, 1, 28
_RCODE_NAMES = {0: "noerror", 1: "formerr", 2: "servfail", 3: "nxdomain", 4: "notimp", 5: "refused"}


class DomainStatus(StrEnum):
    """What DNS says about a domain's mail."""

    MAIL = "mail"  # MX, or an address record when there is no MX
    NOT_FOUND = "not_found"  # NXDOMAIN
    NULL_MX = "null_mx"  # the single MX "0 ." of RFC 7505
    NO_RECORDS = "no_records"  # exists, but no MX, A or AAAA
    UNCHECKED = "unchecked"  # timeout, SERVFAIL, REFUSED...: never a reason to leave a row out


@dataclass(frozen=True)
class DomainResult:
    """The answer for one domain; ``detail`` says how it was reached (``mx``, ``a``, ``aaaa``,
    ``nxdomain``, ``null_mx``, ``no_records``, ``timeout``, ``servfail``, ``refused``...)."""

    status: DomainStatus
    detail: str


def parse_resolver(value: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address -> (host, port)."""
    text = value.strip()
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":") if rest.startswith(":") else rest
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    port = 53
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise UsageError(
                f"'{value}' has no valid port; give HOST or HOST:PORT with a port from 1 to "
                "65535, such as 1.1.1.1 or 127.0.0.1:5353.",
                option="resolver",
            )
        port = int(port_text)
    if not host:
        raise UsageError(
            f"'{value}' names no DNS server; give HOST or HOST:PORT, such as 1.1.1.1.",
            option="resolver",
        )
    return host, port


def system_resolver() -> tuple[str, int]:
    """The first name server of the system's configuration (``/etc/resolv.conf``, or the
    Windows registry), read by dnspython."""
    import dns.resolver

    try:
        conf = dns.resolver.Resolver(configure=True)
    except Exception as exc:  # NoResolverConfiguration, unreadable file...
        raise UsageError(
            f"the system's DNS configuration cannot be read ({exc}); give a DNS server.",
            option="resolver",
        ) from None
    servers = [str(s) for s in conf.nameservers]
    if not servers:
        raise UsageError(
            "the system names no DNS server; give one, such as 1.1.1.1.", option="resolver"
        )
    return servers[0], int(conf.port)


# -- the messages: dnspython's (RFC 1035 section 4) -------------------------------------------


def encode_query(qid: int, domain: str, qtype: int) -> bytes:
    """A recursive query (RD set) for one domain name, written by dnspython's renderer (what
    ``dns.message.make_query(...).to_wire()`` uses, without building the message object);
    ValueError when the name cannot exist in DNS (an empty label, a label over 63 bytes, a
    name over 255)."""
    try:
        name = dns.name.from_text(domain)
    except dns.exception.DNSException as exc:
        raise ValueError(f"{domain!r} cannot be a DNS name: {exc}") from None
    renderer = dns.renderer.Renderer(qid, dns.flags.RD)
    renderer.add_question(name, qtype)
    renderer.write_header()
    return renderer.get_wire()


@dataclass(frozen=True)
class Parsed:
    """What a response says, as far as the mail rules need."""

    qid: int
    qname: str  # lowercase, no final dot
    qtype: int
    rcode: int
    truncated: bool
    mx: tuple[tuple[int, str], ...]  # (preference, exchange) of every MX in the answer
    types: frozenset[int]  # record types present in the answer section


def _skip_owner(parser: dns.wire.Parser) -> None:
    """Move past a record's owner name (not needed: the question says whose records they
    are); building a ``dns.name.Name`` for it would be a large part of an answer's cost."""
    while True:
        length = parser.get_uint8()
        if length >= 0xC0:  # a compression pointer ends the name
            parser.get_uint8()
            return
        if length == 0:
            return
        if length > 63:
            raise dns.exception.FormError("bad label type")
        parser.seek(parser.current + length)


def parse_response(wire: bytes) -> Parsed:
    """Read a response with dnspython's wire parser (``dns.wire.Parser``, the reader of
    ``dns.message.from_wire``): the header, the question, and the answer records' types, MX
    records decoded by ``dns.rdata.from_wire_parser``. Authority and additional sections are
    not read (the rules need none of them). ValueError on a malformed message or one that is
    not a response to a single question."""
    try:
        parser = dns.wire.Parser(wire)
        qid, flags, qdcount, ancount, _, _ = parser.get_struct("!HHHHHH")
        if not flags & dns.flags.QR:
            raise ValueError("not a response")
        if qdcount != 1:
            raise ValueError("expected one question")
        qname = dns.name.from_wire_parser(parser)
        qtype, _ = parser.get_struct("!HH")
        mx: list[tuple[int, str]] = []
        types: set[int] = set()
        for _ in range(ancount):
            _skip_owner(parser)
            rdtype, rdclass, _, rdlength = parser.get_struct("!HHIH")
            types.add(rdtype)
            with parser.restrict_to(rdlength):
                if rdtype == MX:
                    record = dns.rdata.from_wire_parser(rdclass, rdtype, parser)
                    exchange = record.exchange.to_text(omit_final_dot=True).lower()  # type: ignore[attr-defined]
                    mx.append((int(record.preference), "" if exchange == "." else exchange))  # type: ignore[attr-defined]
                else:
                    parser.seek(parser.current + rdlength)
    except dns.exception.DNSException as exc:  # FormError, truncated data, a bad label
        raise ValueError(f"malformed DNS message: {exc}") from None
    return Parsed(
        qid=qid,
        qname=qname.to_text(omit_final_dot=True).lower(),
        qtype=qtype,
        rcode=int(dns.rcode.from_flags(flags, 0)),
        truncated=bool(flags & dns.flags.TC),
        mx=tuple(mx),
        types=frozenset(types),
    )


# -- the cache ----------------------------------------------------------------------------------


class DomainCache:
    """Checked domains and when, in one SQLite file (owner-only), kept ``max_age`` seconds.

    Unchecked results are never stored, so a domain that timed out is asked again next run.
    Several processes may share the file: writes are short transactions and readers wait.
    """

    def __init__(
        self,
        path: Path,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.max_age = max_age
        self._clock = clock
        with storage_errors(path, option="state_dir"):
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS domains (domain TEXT PRIMARY KEY, status TEXT NOT "
                "NULL, detail TEXT NOT NULL, checked_at REAL NOT NULL)"
            )
            self._db.commit()

    def get_many(self, domains: Iterable[str]) -> dict[str, DomainResult]:
        """The fresh cached results among ``domains`` (older than ``max_age``: absent)."""
        names = list(domains)
        oldest = self._clock() - self.max_age
        found: dict[str, DomainResult] = {}
        with storage_errors(self.path, option="state_dir", action="read"):
            for start in range(0, len(names), 500):
                part = names[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT domain, status, detail FROM domains WHERE domain IN ({marks}) "
                    "AND checked_at >= ?",
                    [*part, oldest],
                )
                for domain, status, detail in rows:
                    found[domain] = DomainResult(DomainStatus(status), detail)
        return found

    def put_many(self, results: Mapping[str, DomainResult]) -> None:
        """Store checked results (unchecked ones are left out) as of now."""
        now = self._clock()
        rows = [
            (domain, r.status.value, r.detail, now)
            for domain, r in results.items()
            if r.status is not DomainStatus.UNCHECKED
        ]
        if not rows:
            return
        with storage_errors(self.path, option="state_dir"):
            self._db.executemany("INSERT OR REPLACE INTO domains VALUES (?, ?, ?, ?)", rows)
            self._db.commit()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


# -- asking -------------------------------------------------------------------------------------


class _Answer(Exception):
    """No answer: ``reason`` is ``timeout`` or a transport error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Protocol(asyncio.DatagramProtocol):
    """One UDP socket shared by every query in flight; answers matched by id and question."""

    def __init__(self) -> None:
        self.waiting: dict[int, tuple[str, int, asyncio.Future[Parsed]]] = {}

    def datagram_received(self, data: bytes, addr: object) -> None:
        try:
            parsed = parse_response(data)
        except ValueError:
            return  # not ours or malformed: the query times out and is retried
        entry = self.waiting.get(parsed.qid)
        if entry is None:
            return
        name, qtype, future = entry
        # A late answer to an earlier query with the same id must not answer this one.
        if parsed.qname != name or parsed.qtype != qtype or future.done():
            return
        del self.waiting[parsed.qid]
        future.set_result(parsed)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like: fail everything waiting, it would time out anyway
        for _, _, future in self.waiting.values():
            if not future.done():
                future.set_exception(_Answer(type(exc).__name__))
        self.waiting.clear()


class DomainChecker:
    """Resolve domains with bounded concurrency, a per-query timeout and an optional cache.

    ``resolver`` is ``HOST[:PORT]`` (see :func:`parse_resolver`); None uses the system's
    first name server. ``timeout`` bounds each attempt; ``attempts`` tries a query again
    after a timeout (UDP may drop a datagram). :attr:`queries` counts what was sent.
    """

    def __init__(
        self,
        *,
        resolver: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        attempts: int = DEFAULT_ATTEMPTS,
        concurrency: int = DEFAULT_CONCURRENCY,
        cache: DomainCache | None = None,
    ) -> None:
        if not timeout > 0:
            raise UsageError("must be a positive number of seconds.", option="dns_timeout")
        if attempts < 1 or concurrency < 1:
            raise UsageError("must be at least 1.", option="dns_concurrency")
        self.server = parse_resolver(resolver) if resolver else system_resolver()
        self.timeout = timeout
        self.attempts = attempts
        self.concurrency = concurrency
        self.cache = cache
        self.queries = 0

    def check(self, domains: Iterable[str]) -> dict[str, DomainResult]:
        """The result of every distinct domain (ASCII, lowercase: see ``normalise_domain``),
        from the cache when fresh, else asked of DNS (and cached unless unchecked)."""
        wanted = list(dict.fromkeys(d for d in domains if d))
        results = self.cache.get_many(wanted) if self.cache is not None else {}
        todo = [d for d in wanted if d not in results]
        if todo:
            asked = _run(self._ask_all(todo))
            if self.cache is not None:
                self.cache.put_many(asked)
            results.update(asked)
        return results

    async def _ask_all(self, domains: list[str]) -> dict[str, DomainResult]:
        loop = asyncio.get_running_loop()
        host, port = self.server
        family = 0
        transport, protocol = await loop.create_datagram_endpoint(
            _Protocol, remote_addr=(host, port), family=family
        )
        results: dict[str, DomainResult] = {}
        pending = iter(domains)
        ids = _Ids(protocol)

        async def worker() -> None:
            for domain in pending:
                results[domain] = await self._resolve(domain, transport, protocol, ids)

        try:
            await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(domains)))))
        finally:
            transport.close()
        return results

    async def _resolve(
        self,
        domain: str,
        transport: asyncio.DatagramTransport,
        protocol: _Protocol,
        ids: _Ids,
    ) -> DomainResult:
        try:
            mx = await self._query(domain, MX, transport, protocol, ids)
            if mx.rcode == 3:
                return DomainResult(DomainStatus.NOT_FOUND, "nxdomain")
            if mx.rcode != 0:
                return DomainResult(DomainStatus.UNCHECKED, _rcode_name(mx.rcode))
            if mx.mx:
                if all(pref == 0 and exchange == "" for pref, exchange in mx.mx):
                    return DomainResult(DomainStatus.NULL_MX, "null_mx")
                return DomainResult(DomainStatus.MAIL, "mx")
            for qtype, detail in ((A, "a"), (AAAA, "aaaa")):
                answer = await self._query(domain, qtype, transport, protocol, ids)
                if answer.rcode == 3:
                    return DomainResult(DomainStatus.NOT_FOUND, "nxdomain")
                if answer.rcode != 0:
                    return DomainResult(DomainStatus.UNCHECKED, _rcode_name(answer.rcode))
                if qtype in answer.types:
                    return DomainResult(DomainStatus.MAIL, detail)
            return DomainResult(DomainStatus.NO_RECORDS, "no_records")
        except ValueError:
            # The name cannot be encoded (a label over 63 bytes...): it cannot exist in DNS.
            return DomainResult(DomainStatus.NOT_FOUND, "invalid_name")
        except _Answer as exc:
            return DomainResult(DomainStatus.UNCHECKED, exc.reason)

    async def _query(
        self,
        domain: str,
        qtype: int,
        transport: asyncio.DatagramTransport,
        protocol: _Protocol,
        ids: _Ids,
    ) -> Parsed:
        loop = asyncio.get_running_loop()
        for _ in range(self.attempts):
            qid = ids.take()
            wire = encode_query(qid, domain, qtype)
            future: asyncio.Future[Parsed] = loop.create_future()
            protocol.waiting[qid] = (domain, qtype, future)
            self.queries += 1
            transport.sendto(wire)
            timer = loop.call_later(self.timeout, _expire, future)
            try:
                parsed = await future
            except _Answer as exc:
                if exc.reason != "timeout":
                    raise
                continue
            finally:
                timer.cancel()
                if protocol.waiting.get(qid, (None, None, None))[2] is future:
                    del protocol.waiting[qid]
            if parsed.truncated:
                parsed = await self._query_tcp(wire)
            return parsed
        raise _Answer("timeout")

    async def _query_tcp(self, wire: bytes) -> Parsed:
        """The same query over TCP, for an answer too large for UDP (TC set)."""
        host, port = self.server
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_connection(host, port)
                try:
                    writer.write(struct.pack("!H", len(wire)) + wire)
                    await writer.drain()
                    (length,) = struct.unpack("!H", await reader.readexactly(2))
                    data = await reader.readexactly(length)
                finally:
                    writer.close()
        except TimeoutError:
            raise _Answer("timeout") from None
        except OSError as exc:
            raise _Answer(type(exc).__name__) from None
        try:
            return parse_response(data)
        except ValueError:
            raise _Answer("malformed") from None


class _Ids:
    """Query ids not in flight, random so that a stray answer rarely fits."""

    def __init__(self, protocol: _Protocol) -> None:
        self._protocol = protocol
        self._random = random.Random()

    def take(self) -> int:
        while True:
            qid = self._random.getrandbits(16)
            if qid not in self._protocol.waiting:
                return qid


def _expire(future: asyncio.Future[Parsed]) -> None:
    if not future.done():
        future.set_exception(_Answer("timeout"))


def _rcode_name(rcode: int) -> str:
    return _RCODE_NAMES.get(rcode, f"rcode{rcode}")


def _run(coro: Coroutine[object, object, T]) -> T:
    """Run a coroutine to the end from synchronous code, also when this thread already runs
    an event loop (then in a thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(asyncio.run(coro))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, name="foxreach-dns")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]
