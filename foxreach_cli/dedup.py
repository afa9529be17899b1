"""The DEDUP stage: one lead per email across every file of a run, first occurrence wins.

Like the server, emails compare case-insensitively (the key is the trimmed, lowercased email
that validation computed). Memory per distinct email is fixed and small (16 bytes) however
large the run: a 64-bit hash and where the key was written, in numpy arrays; the keys
themselves wait in a temporary file to settle the rare hash collision exactly.

An opt-out survives dedup: when a later copy of an email opts out (``unsubscribed`` or
``bounced``, as validation computed it) and the lead kept does not yet say as much, its
opt-out is *carried* to the kept lead. In the same chunk the kept row's status changes before
it is sent; a lead kept in an earlier chunk (perhaps already sent) is marked ``late``, for the
pipeline to update in the workspace (:mod:`foxreach_cli.optout_updates`). Each email's kept
status is one byte beside its key in the spill file. See docs/dedup.md ("Opt-outs").
"""

from __future__ import annotations

import os
import struct
import tempfile
import weakref
from collections.abc import Callable
from typing import BinaryIO

import numpy as np
import pandas as pd

from foxreach_cli.errors import storage_errors
from foxreach_cli.reasons import SEP, ReasonCode
from foxreach_cli.validate import ValidatedChunk

#: Bits of the "maybe seen" filter (2**27 bits = 16 MiB). At 5,000,000 distinct emails about
#: 4% of new keys still need the exact look-up; at 1,000,000 under 1%.
FILTER_BITS = 27
#: The most entries a run of seen hashes grows to by merging (16 bytes each: 8 MiB).
MAX_RUN = 1 << 19
# A first occurrence is stored as one int64: file index in the high 23 bits (8 million
# files), row in the low 40 (a trillion rows).
_ROW_BITS = 40
_ROW_MASK = (1 << _ROW_BITS) - 1
_HASH_TO_SLOT = np.uint64(64 - FILTER_BITS)
# An entry's header in the spill file: the first occurrence (int64, as above), where its
# key's UTF-8 bytes are (offset in the high 40 bits (1 TiB), length in the low 24), and the
# kept lead's opt-out rank (:data:`OPT_OUT_RANK`; rewritten in place when a copy raises it).
_HEADER = struct.Struct("<qqB")
_RANK_AT = 16  # the rank's byte within a header
_LENGTH_BITS = 24
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1

_PREAD = getattr(os, "pread", None)

#: How strongly a status opts a lead out: unsubscribed wins over bounced, which wins over
#: any other status (or none).
OPT_OUT_RANK: dict[object, int] = {"bounced": 1, "unsubscribed": 2}
_RANKED_STATUS = (None, "bounced", "unsubscribed")
#: The reason of a duplicate whose opt-out was carried to the lead kept.
CARRIED = ReasonCode.OPT_OUT_CARRIED

#: Turns an object array of keys into one uint64 hash each.
HashKeys = Callable[[np.ndarray], np.ndarray]


def python_hash(keys: np.ndarray) -> np.ndarray:
    """Python's ``hash`` of each key (SipHash, salted per process) as uint64."""
    return np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys)).view(np.uint64)


class Deduper:
    """Case-insensitive dedup across every file of one run; first occurrence wins.

    Feed it the validated chunks in input order (files in the order given, chunks in file
    order); :meth:`split` separates each chunk's first occurrences from its duplicates. Each
    distinct key is held as a 64-bit hash in sorted runs, the key itself in an unnamed spill
    file that settles every hash hit exactly, so two different emails are never merged
    (how, the memory and the measured cost: docs/dedup.md).

    ``hash_keys`` replaces the hash function (tests force collisions with it); ``spill_dir``
    is where the spill file goes (default: the system temp directory, ``TMPDIR``).
    """

    def __init__(self, *, hash_keys: HashKeys = python_hash, spill_dir: str | None = None) -> None:
        self._hash_keys = hash_keys
        self._spill_dir = spill_dir
        self._files: list[str] = []
        self._file_ids: dict[str, int] = {}
        # Sorted runs of (hashes uint64, spill offsets int64); equal hashes are collisions.
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []
        self._filter: np.ndarray | None = None  # allocated at the first key
        self._spill: BinaryIO | None = None
        self._spill_end = 0

    def spill_place(self) -> str:
        """Where the spill file lives, in words for an error message."""
        folder = self._spill_dir or tempfile.gettempdir()
        return f"The temporary file of the dedup in {folder} (TMPDIR)"

    def __len__(self) -> int:
        """How many distinct emails have been seen."""
        return sum(len(run[0]) for run in self._runs)

    def __enter__(self) -> Deduper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the spill file (it is unnamed: the system frees it at exit anyway)."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    def split(self, vc: ValidatedChunk) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Split ``vc.valid`` into (first occurrences, duplicates).

        The first frame has ``vc.valid``'s layout. The second has columns ``row``, ``email``
        (as it would have been sent), ``code`` (``duplicate_of``) and ``params`` (the first
        row, and its file when that is another: "duplicate of row 12 in other.csv"),
        ``first_file``, ``first_row``, ``carried`` and ``late``. Both keep input order.

        A duplicate that opts out more strongly than the lead kept so far carries its opt-out
        over: its code is ``opt_out_carried`` (parameters: the status, then the first row and
        file), ``carried`` holds the status (None for other duplicates), and the lead kept
        takes it. When that lead is in this chunk, its row in the first frame has the status
        already; when it was passed on in an earlier chunk, ``late`` is True (the lead must be
        updated where it was sent).
        """
        valid = vc.valid
        file_id = self._file_id(vc.file)
        n = len(valid)
        if n == 0:
            return valid, no_duplicates()

        rows = valid["row"].to_numpy(dtype=np.int64)
        keys = valid["key"].to_numpy(dtype=object)
        inverse, first, uniq, hashes = self._distinct(keys)

        # Where each distinct key was first seen: an earlier chunk, or here.
        origin = (np.int64(file_id) << _ROW_BITS) | rows[first]
        seen = np.zeros(len(uniq), dtype=bool)
        # The kept lead's opt-out rank, and (seen keys) where its header is in the spill.
        rank = _ranks(valid["status"].to_numpy(dtype=object))
        kept = rank[first]
        at = np.full(len(uniq), -1, dtype=np.int64)
        if self._runs:
            self._look_up(uniq, hashes, origin, seen, kept, at)

        # Duplicates: keys seen in earlier chunks, and later rows of a key in this chunk.
        is_dup = seen[inverse] | (first[inverse] != np.arange(n))
        carried, raised = self._carry(rank, inverse, is_dup, kept)
        new = np.flatnonzero(~seen)
        with storage_errors(self.spill_place()):
            # A full TMPDIR is one sentence naming it (StorageError); the run then stops.
            for k in raised[seen[raised]].tolist():
                self._write_rank(int(at[k]), int(kept[k]))
            if len(new):
                new = new[np.argsort(hashes[new])]  # runs are sorted
                offsets = self._write(uniq[new], origin[new], kept[new])
                self._remember(hashes[new], offsets)

        dup_idx = np.flatnonzero(is_dup)
        kept_at = np.flatnonzero(~is_dup)
        unique = valid.take(kept_at)
        here = raised[~seen[raised]]  # kept leads of this chunk that take a later opt-out
        if len(here):
            unique = unique.copy()
            status = unique["status"].to_numpy(dtype=object).copy()
            status[np.searchsorted(kept_at, first[here])] = [
                _RANKED_STATUS[r] for r in kept[here].tolist()
            ]
            unique["status"] = pd.Series(status, index=unique.index, dtype=object)
        if len(dup_idx) == 0:
            return unique, no_duplicates()
        d_origin = origin[inverse[dup_idx]]
        d_row = d_origin & _ROW_MASK
        d_file = (d_origin >> _ROW_BITS).astype(np.intp)
        d_carried = carried[dup_idx]
        # The reason duplicate_of(row[, file]), or opt_out_carried(status, row[, file]), its
        # parameters packed (reasons.SEP).
        params = [
            (f"{c}{SEP}" if c is not None else "")
            + (str(r) if f == file_id else f"{r}{SEP}{self._files[f]}")
            for c, r, f in zip(d_carried.tolist(), d_row.tolist(), d_file.tolist(), strict=True)
        ]
        carries = rank[dup_idx] > 0
        carries[carries] = [c is not None for c in d_carried[carries].tolist()]
        codes = np.full(len(dup_idx), ReasonCode.DUPLICATE_OF, dtype=object)
        codes[carries] = CARRIED
        emails = valid["email"].to_numpy(dtype=object)[dup_idx]
        dups = pd.DataFrame(
            {
                "row": rows[dup_idx],
                "email": pd.Series(emails, dtype=object),
                "code": pd.Series(codes, dtype=object),
                "params": pd.Series(params, dtype=object),
                "first_file": pd.Series(
                    np.asarray(self._files, dtype=object)[d_file], dtype=object
                ),
                "first_row": d_row,
                "carried": pd.Series(d_carried, dtype=object),
                "late": seen[inverse[dup_idx]] & carries,
            }
        )
        return unique, dups

    @staticmethod
    def _carry(
        rank: np.ndarray, inverse: np.ndarray, is_dup: np.ndarray, kept: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Carry the duplicates' opt-outs to the leads kept, in input order.

        ``kept`` (the kept lead's rank per distinct key) is raised in place. Returns the
        status each row carried over (None for most) and the distinct keys whose kept lead
        was raised. Only duplicates that opt out are looked at: a handful in most files.
        """
        carried = np.full(len(rank), None, dtype=object)
        raised: list[int] = []
        for i in np.flatnonzero(is_dup & (rank > 0)).tolist():
            k = int(inverse[i])
            if rank[i] > kept[k]:
                if not raised or raised[-1] != k:
                    raised.append(k)
                kept[k] = rank[i]
                carried[i] = _RANKED_STATUS[int(rank[i])]
        return carried, np.unique(np.asarray(raised, dtype=np.intp))

    def _distinct(self, keys: np.ndarray) -> tuple[np.ndarray, ...]:
        """The chunk's distinct keys in order of first appearance, exactly.

        Returns (code of each row's key, row of each distinct key's first appearance,
        the distinct keys, their hashes). Factorizing the hashes is the fast way; should
        two different keys of the chunk share a hash, the keys themselves are factorized.
        """
        hashes = np.asarray(self._hash_keys(keys), dtype=np.uint64)
        inverse, _ = pd.factorize(hashes)
        first = _firsts(inverse)
        if (keys != keys[first][inverse]).any():  # a collision within the chunk
            inverse, _ = pd.factorize(keys)
            first = _firsts(inverse)
        return inverse, first, keys[first], hashes[first]

    def _look_up(
        self,
        uniq: np.ndarray,
        hashes: np.ndarray,
        origin: np.ndarray,
        seen: np.ndarray,
        kept: np.ndarray,
        at: np.ndarray,
    ) -> None:
        """Mark the keys seen in earlier chunks (``seen``) and set their first ``origin``,
        their kept lead's opt-out rank (``kept``) and where their header is (``at``)."""
        assert self._filter is not None
        slots = hashes >> _HASH_TO_SLOT
        maybe = np.flatnonzero((self._filter[slots >> 3] >> (slots & 7).astype(np.uint8)) & 1)
        cand_idx: list[np.ndarray] = []
        cand_off: list[np.ndarray] = []
        for run_hashes, run_offsets in self._runs:
            q = hashes[maybe]
            pos = np.searchsorted(run_hashes, q)
            pos[pos == len(run_hashes)] = 0
            hit = run_hashes[pos] == q
            cand_idx.append(maybe[hit])
            cand_off.append(run_offsets[pos[hit]])
            maybe = maybe[~hit]
            if not len(maybe):
                break
        # Every hash hit is a candidate, settled by comparing the keys themselves.
        for k, offset in zip(
            np.concatenate(cand_idx).tolist(), np.concatenate(cand_off).tolist(), strict=True
        ):
            key = uniq[k].encode("utf-8", "surrogatepass")
            first, stored, r = self._read(offset)
            if stored != key:  # a collision: look at every entry with this hash
                found = self._find(hashes[k], key)
                if found is None:
                    continue  # a new email that shares its hash with another
                offset, first, r = found
            origin[k] = first
            kept[k] = r
            at[k] = offset
            seen[k] = True

    def _find(self, h: np.uint64, key: bytes) -> tuple[int, int, int] | None:
        """(header offset, first occurrence, rank) of ``key`` among the entries whose hash
        is ``h``, if any."""
        for run_hashes, run_offsets in self._runs:
            lo = int(np.searchsorted(run_hashes, h, side="left"))
            hi = int(np.searchsorted(run_hashes, h, side="right"))
            for offset in run_offsets[lo:hi].tolist():
                first, stored, r = self._read(offset)
                if stored == key:
                    return offset, first, r
        return None

    def _read(self, offset: int) -> tuple[int, bytes, int]:
        """The (first occurrence, key bytes, kept rank) of the entry whose header is at
        ``offset``."""
        first, where, r = _HEADER.unpack(self._read_at(offset, _HEADER.size))
        return first, self._read_at(where >> _LENGTH_BITS, where & _LENGTH_MASK), r

    def _write_rank(self, offset: int, r: int) -> None:
        """Raise the kept rank of the entry whose header is at ``offset``."""
        assert self._spill is not None
        self._spill.seek(offset + _RANK_AT)
        self._spill.write(bytes((r,)))

    def _read_at(self, offset: int, size: int) -> bytes:
        assert self._spill is not None
        data = b""
        while len(data) < size:  # a read may return less; the bytes are there
            at = offset + len(data)
            if _PREAD is not None:  # one system call, no file position to move
                data += _PREAD(self._spill.fileno(), size - len(data), at)
            else:  # Windows
                self._spill.seek(at)
                data += self._spill.read(size - len(data))
        return data

    def _write(self, keys: np.ndarray, origins: np.ndarray, ranks: np.ndarray) -> np.ndarray:
        """Append the entries of new keys to the spill file; return their header offsets.

        One block per call: a fixed-size header per key (first occurrence, where its key is:
        offset and length, and its kept rank), then the keys' UTF-8 bytes back to back.
        """
        if self._spill is None:
            # Unnamed and owner-only; closed by close() or when the Deduper is collected.
            self._spill = tempfile.TemporaryFile(dir=self._spill_dir, buffering=0)  # noqa: SIM115
            weakref.finalize(self, self._spill.close)  # a Deduper dropped unclosed
        joined = "".join(keys.tolist())
        if joined.isascii():  # the usual case: a byte per character
            blob = joined.encode("ascii")
            lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        else:
            # One encode of the keys a line each; their byte lengths are where the newlines
            # fell (a newline byte is never inside a UTF-8 sequence). A key holding a newline
            # (validation never makes one) is encoded alone.
            lined = "\n".join(keys.tolist()).encode("utf-8", "surrogatepass")
            ends = np.flatnonzero(np.frombuffer(lined, dtype=np.uint8) == 0x0A)
            if len(ends) == len(keys) - 1:
                bounds = np.concatenate(([-1], ends, [len(lined)]))
                lengths = (np.diff(bounds) - 1).astype(np.int64)
                blob = lined.replace(b"\n", b"")
            else:
                encoded = [k.encode("utf-8", "surrogatepass") for k in keys]
                blob = b"".join(encoded)
                lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(keys))
        if lengths.max() > _LENGTH_MASK:  # pragma: no cover - validation caps emails far below
            raise ValueError("an email key is too long for the dedup spill file")
        headers_at = self._spill_end + _HEADER.size * np.arange(len(keys), dtype=np.int64)
        key_at = self._spill_end + _HEADER.size * len(keys) + np.cumsum(lengths) - lengths
        header = np.empty(len(keys), dtype=[("first", "<i8"), ("where", "<i8"), ("rank", "u1")])
        header["first"] = origins
        header["where"] = (key_at << _LENGTH_BITS) | lengths
        header["rank"] = ranks
        self._append(header.tobytes())
        self._append(blob)
        return headers_at

    def _append(self, data: bytes) -> None:
        assert self._spill is not None
        self._spill.seek(self._spill_end)
        view = memoryview(data)
        while len(view):
            done = self._spill.write(view) or 0
            view = view[done:]
            self._spill_end += done

    def _file_id(self, file: str) -> int:
        if file not in self._file_ids:
            self._file_ids[file] = len(self._files)
            self._files.append(file)
        return self._file_ids[file]

    def _remember(self, hashes: np.ndarray, offsets: np.ndarray) -> None:
        """Add a sorted run of new hashes (and set their filter bits)."""
        if self._filter is None:
            self._filter = np.zeros(1 << (FILTER_BITS - 3), dtype=np.uint8)
        slots = hashes >> _HASH_TO_SLOT
        np.bitwise_or.at(self._filter, slots >> 3, np.left_shift(1, slots & 7).astype(np.uint8))
        # Merge while the previous run is no larger (each hash is copied O(log n) times),
        # up to MAX_RUN entries: a merge then never needs more than a few MB on top of the
        # runs, and a search of many capped runs is cheap (only filter hits are looked up).
        while (
            self._runs
            and len(self._runs[-1][0]) <= len(hashes)
            and len(self._runs[-1][0]) + len(hashes) <= MAX_RUN
        ):
            old_hashes, old_offsets = self._runs.pop()
            # Where the new entries go (an equal hash goes before the old: still sorted).
            new_at = np.searchsorted(old_hashes, hashes)
            new_at += np.arange(len(hashes))
            old_at = np.ones(len(old_hashes) + len(hashes), dtype=bool)
            old_at[new_at] = False
            hashes = _place(old_hashes, old_at, hashes, new_at)
            offsets = _place(old_offsets, old_at, offsets, new_at)
        self._runs.append((hashes, offsets))


def _ranks(statuses: np.ndarray) -> np.ndarray:
    """The opt-out rank of each status (uint8), through its few distinct values."""
    codes, distinct = pd.factorize(statuses, use_na_sentinel=True)
    table = np.fromiter(
        (OPT_OUT_RANK.get(s, 0) for s in distinct), dtype=np.uint8, count=len(distinct)
    )
    return np.where(codes >= 0, table[codes] if len(table) else 0, 0).astype(np.uint8)


def _firsts(codes: np.ndarray) -> np.ndarray:
    """Where each code first appears, for codes numbered in order of first appearance: a
    row is the first of its code exactly where its code exceeds every earlier one."""
    running_max = np.maximum.accumulate(codes)
    is_first = np.empty(len(codes), dtype=bool)
    is_first[0] = True
    np.greater(running_max[1:], running_max[:-1], out=is_first[1:])
    return np.flatnonzero(is_first)


def _place(old: np.ndarray, old_at: np.ndarray, new: np.ndarray, new_at: np.ndarray) -> np.ndarray:
    """Merge two sorted arrays given where each entry goes (linear time, no re-sort)."""
    out = np.empty(len(old_at), dtype=old.dtype)
    out[new_at] = new
    out[old_at] = old
    return out


def no_duplicates() -> pd.DataFrame:
    """The duplicates frame of a chunk without any (the layout :meth:`Deduper.split` gives)."""
    return pd.DataFrame(
        {
            "row": np.empty(0, dtype=np.int64),
            "email": pd.Series([], dtype=object),
            "code": pd.Series([], dtype=object),
            "params": pd.Series([], dtype=object),
            "first_file": pd.Series([], dtype=object),
            "first_row": np.empty(0, dtype=np.int64),
            "carried": pd.Series([], dtype=object),
            "late": np.empty(0, dtype=bool),
        }
    )
