"""The DEDUP stage: one lead per email across every file of a run, first occurrence wins.

Like the server, emails compare case-insensitively (the key is the trimmed, lowercased email
that validation computed). Memory stays flat-ish however large the run: the keys seen so far
are held as 64-bit hashes in numpy arrays, never as Python strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from foxreach_cli.validate import ValidatedChunk

#: Bits of the "maybe seen" filter (2**27 bits = 16 MiB). At 5,000,000 distinct emails about
#: 4% of new keys still need the exact look-up; at 1,000,000 under 1%.
FILTER_BITS = 27
# A first occurrence is stored as one int64: file index in the high 23 bits (8 million
# files), row in the low 40 (a trillion rows).
_ROW_BITS = 40
_ROW_MASK = (1 << _ROW_BITS) - 1
_HASH_TO_SLOT = np.uint64(64 - FILTER_BITS)


class Deduper:
    """Case-insensitive dedup across every file of one run; first occurrence wins.

    Feed it the validated chunks in input order (files in the order given, chunks in file
    order); :meth:`split` separates each chunk's first occurrences from its duplicates.

    How: each key becomes a 64-bit hash (Python's ``hash`` of the key string: SipHash, salted
    per process, which is fine because a Deduper lives within one run). Within a chunk,
    ``pd.factorize`` (a hash table, O(n)) finds first occurrences. Across chunks, the hashes
    seen so far sit in a few sorted numpy runs (a log-structured merge: a chunk's new hashes
    form a run, merged into the previous run while that one is no larger, so each hash is
    copied O(log chunks) times), each with the first occurrence's file and row packed in one
    int64 alongside: 16 bytes per distinct email (about 80 MB at 5,000,000), plus a 16 MiB
    bit filter that lets most new keys skip the ``np.searchsorted`` look-up.

    Accepted risk: two different emails with the same 64-bit hash would make the later one a
    false duplicate. For n distinct emails the chance is about n^2 / 2^65: 7e-7 for
    5,000,000 emails, 3e-8 for 1,000,000.
    """

    def __init__(self) -> None:
        self._files: list[str] = []
        self._file_ids: dict[str, int] = {}
        # Sorted, disjoint runs of (hashes uint64, packed first file/row int64).
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []
        self._filter: np.ndarray | None = None  # allocated at the first key

    def __len__(self) -> int:
        """How many distinct emails have been seen."""
        return sum(len(run[0]) for run in self._runs)

    def split(self, vc: ValidatedChunk) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Split ``vc.valid`` into (first occurrences, duplicates).

        The first frame has ``vc.valid``'s layout. The second has columns ``row``, ``email``
        (as it would have been sent), ``reason`` ("duplicate of row 12", or "duplicate of row
        12 in other.csv" when the first occurrence is in another file), ``first_file`` and
        ``first_row``. Both keep input order.
        """
        valid = vc.valid
        file_id = self._file_id(vc.file)
        n = len(valid)
        if n == 0:
            return valid, _empty_duplicates()

        keys = valid["key"].to_numpy(dtype=object)
        rows = valid["row"].to_numpy(dtype=np.int64)
        hashes = np.fromiter(map(hash, keys), dtype=np.int64, count=n).view(np.uint64)
        # Distinct hashes in order of first appearance (hash-based, O(n)): a row is the first
        # of its hash in this chunk exactly where its code exceeds every earlier code.
        inverse, uniq = pd.factorize(hashes)
        running_max = np.maximum.accumulate(inverse)
        is_first = np.empty(n, dtype=bool)
        is_first[0] = True
        np.greater(running_max[1:], running_max[:-1], out=is_first[1:])
        first = np.flatnonzero(is_first)  # first[k]: the row of uniq[k]'s first appearance

        # Where each distinct hash was first seen: an earlier chunk, or here.
        origin = (np.int64(file_id) << _ROW_BITS) | rows[first]
        seen = np.zeros(len(uniq), dtype=bool)
        if self._runs:
            assert self._filter is not None
            slots = uniq >> _HASH_TO_SLOT
            maybe = np.flatnonzero((self._filter[slots >> 3] >> (slots & 7).astype(np.uint8)) & 1)
            for run_hashes, run_origins in self._runs:
                q = uniq[maybe]
                pos = np.searchsorted(run_hashes, q)
                pos[pos == len(run_hashes)] = 0
                hit = run_hashes[pos] == q
                origin[maybe[hit]] = run_origins[pos[hit]]
                seen[maybe[hit]] = True
                maybe = maybe[~hit]
                if not len(maybe):
                    break

        is_dup = seen[inverse] | ~is_first
        new = np.flatnonzero(~seen)
        if len(new):
            new = new[np.argsort(uniq[new])]  # runs are sorted
            self._remember(uniq[new], origin[new])

        dup_idx = np.flatnonzero(is_dup)
        if len(dup_idx) == 0:
            return valid, _empty_duplicates()
        d_origin = origin[inverse[dup_idx]]
        d_row = d_origin & _ROW_MASK
        d_file = (d_origin >> _ROW_BITS).astype(np.intp)
        reasons = [
            f"duplicate of row {r}" if f == file_id else f"duplicate of row {r} in {self._files[f]}"
            for r, f in zip(d_row.tolist(), d_file.tolist(), strict=True)
        ]
        emails = valid["email"].to_numpy(dtype=object)[dup_idx]
        dups = pd.DataFrame(
            {
                "row": rows[dup_idx],
                "email": pd.Series(emails, dtype=object),
                "reason": pd.Series(reasons, dtype=object),
                "first_file": pd.Series(
                    np.asarray(self._files, dtype=object)[d_file], dtype=object
                ),
                "first_row": d_row,
            }
        )
        unique = valid.take(np.flatnonzero(~is_dup))
        return unique, dups

    def _file_id(self, file: str) -> int:
        if file not in self._file_ids:
            self._file_ids[file] = len(self._files)
            self._files.append(file)
        return self._file_ids[file]

    def _remember(self, hashes: np.ndarray, origins: np.ndarray) -> None:
        """Add a sorted run of new hashes (and set their filter bits)."""
        if self._filter is None:
            self._filter = np.zeros(1 << (FILTER_BITS - 3), dtype=np.uint8)
        slots = hashes >> _HASH_TO_SLOT
        np.bitwise_or.at(self._filter, slots >> 3, np.left_shift(1, slots & 7).astype(np.uint8))
        run = (hashes, origins)
        # Merge while the previous run is no larger: each hash is copied O(log n) times.
        while self._runs and len(self._runs[-1][0]) <= len(run[0]):
            run = _merge(self._runs.pop(), run)
        self._runs.append(run)


def _merge(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Merge two sorted runs with disjoint hashes in linear time (no re-sort)."""
    total = len(a[0]) + len(b[0])
    b_at = np.searchsorted(a[0], b[0]) + np.arange(len(b[0]))
    a_at = np.ones(total, dtype=bool)
    a_at[b_at] = False
    merged = []
    for x, y in zip(a, b, strict=True):
        out = np.empty(total, dtype=x.dtype)
        out[b_at] = y
        out[a_at] = x
        merged.append(out)
    return merged[0], merged[1]


def _empty_duplicates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": np.empty(0, dtype=np.int64),
            "email": pd.Series([], dtype=object),
            "reason": pd.Series([], dtype=object),
            "first_file": pd.Series([], dtype=object),
            "first_row": np.empty(0, dtype=np.int64),
        }
    )
