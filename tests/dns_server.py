"""A real DNS server on 127.0.0.1 for the domain-check tests and benchmark.

It answers UDP queries from a table of names (or a function of the name), one thread, one
socket, writing the answers' wire format itself (RFC 1035 section 4; answers point at the
question's name) so that it keeps up with thousands of queries a second. It counts every
query it receives, so a test can prove that a cached domain was not asked again, and it can
answer late ("slow") to prove that a timeout never rejects a domain.

    with LocalDns({"acme.test": Answer("mx")}) as dns:
        dns.resolver  -> "127.0.0.1:PORT", as --resolver takes it
        dns.queries   -> Counter of (name, type) asked
"""

from __future__ import annotations

import heapq
import itertools
import select
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MX, A, AAAA, CNAME = 15, 1, 28, 5
TYPE_NAMES = {MX: "MX", A: "A", AAAA: "AAAA", CNAME: "CNAME"}
NOERROR, SERVFAIL, NXDOMAIN, REFUSED = 0, 2, 3, 5


@dataclass(frozen=True)
class Answer:
    """How the server answers every query for one name.

    ``kind``: ``mx`` (two MX records), ``null_mx`` (the single ``0 .``), ``a_only`` and
    ``aaaa_only`` (no MX, an address), ``empty`` (NOERROR, no records of any type),
    ``nxdomain``, ``servfail``, ``refused``, ``silent`` (never answers).
    """

    kind: str
    delay: float = 0.0  # seconds before the answer is sent ("slow")


Table = Mapping[str, Answer] | Callable[[str], Answer | None]


class LocalDns:
    """A DNS server in a thread; use it as a context manager."""

    def __init__(self, table: Table, *, host: str = "127.0.0.1") -> None:
        self._table = table
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self._sock.bind((host, 0))
        self._sock.setblocking(False)
        self.address: tuple[str, int] = self._sock.getsockname()
        self.queries: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="local-dns", daemon=True)

    @property
    def resolver(self) -> str:
        """``HOST:PORT`` as ``--resolver`` takes it."""
        return f"{self.address[0]}:{self.address[1]}"

    def total_queries(self) -> int:
        with self._lock:
            return sum(self.queries.values())

    def __enter__(self) -> LocalDns:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _answer_for(self, name: str) -> Answer | None:
        if callable(self._table):
            return self._table(name)
        return self._table.get(name)

    def _serve(self) -> None:
        pending: list[tuple[float, int, bytes, tuple[str, int]]] = []
        order = itertools.count()
        while not self._stop.is_set():
            now = time.monotonic()
            while pending and pending[0][0] <= now:
                _, _, wire, peer = heapq.heappop(pending)
                self._sock.sendto(wire, peer)
            wait = min(0.05, max(0.0, pending[0][0] - now)) if pending else 0.05
            ready, _, _ = select.select([self._sock], [], [], wait)
            if not ready:
                continue
            for _ in range(256):  # drain a burst per select
                try:
                    data, peer = self._sock.recvfrom(4096)
                except BlockingIOError:
                    break
                reply = self._reply(data)
                if reply is None:
                    continue
                wire, delay = reply
                if delay > 0:
                    heapq.heappush(pending, (time.monotonic() + delay, next(order), wire, peer))
                else:
                    self._sock.sendto(wire, peer)

    def _reply(self, data: bytes) -> tuple[bytes, float] | None:
        try:
            name, qtype, end = _question(data)
        except (IndexError, struct.error, UnicodeDecodeError):
            return None
        with self._lock:
            self.queries[(name, TYPE_NAMES.get(qtype, str(qtype)))] += 1
        answer = self._answer_for(name) or Answer("nxdomain")
        if answer.kind == "silent":
            return None
        rcode = {"nxdomain": NXDOMAIN, "servfail": SERVFAIL, "refused": REFUSED}.get(
            answer.kind, NOERROR
        )
        records = _records(answer.kind, qtype) if rcode == NOERROR else []
        (qid,) = struct.unpack_from("!H", data, 0)
        header = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(records), 0, 0)
        return header + data[12:end] + b"".join(records), answer.delay


def _question(data: bytes) -> tuple[str, int, int]:
    """(name, type, offset after the question) of a query."""
    labels, pos = [], 12
    while data[pos]:
        length = data[pos]
        labels.append(data[pos + 1 : pos + 1 + length].decode("ascii").lower())
        pos += 1 + length
    (qtype,) = struct.unpack_from("!H", data, pos + 1)
    return ".".join(labels), qtype, pos + 5


def _rr(rtype: int, rdata: bytes) -> bytes:
    # Owner: a pointer to the question's name at offset 12; class IN, TTL 300.
    return struct.pack("!HHHIH", 0xC00C, rtype, 1, 300, len(rdata)) + rdata


def _records(kind: str, qtype: int) -> list[bytes]:
    """The answer records of ``kind`` for one query type ([] : NOERROR, no data)."""
    if qtype == MX and kind == "mx":
        # mx1.<name> and mx2.<name>, the name again as a pointer
        return [
            _rr(MX, struct.pack("!H", 10) + b"\x03mx1\xc0\x0c"),
            _rr(MX, struct.pack("!H", 20) + b"\x03mx2\xc0\x0c"),
        ]
    if qtype == MX and kind == "null_mx":
        return [_rr(MX, b"\x00\x00\x00")]
    if qtype == A and kind == "a_only":
        return [_rr(A, bytes([192, 0, 2, 10]))]
    if qtype == AAAA and kind == "aaaa_only":
        return [_rr(AAAA, bytes.fromhex("20010db8000000000000000000000010"))]
    return []
