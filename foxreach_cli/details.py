"""The per-row details of a run's rows not imported, kept compact until they are rendered.

A stage hands its rejected rows on as one frozen :class:`DetailPart` (rows of one file); the
report's fold appends it to the run's :class:`DetailStore`, and the report streams records
from the store, in file and row order, when it is written. Per row a part keeps its number
(int64), kind and reason code (one byte each), and the email and the reason's parameters
inside one joined ``str`` each: about 30 bytes a row plus the text, instead of a frame of
Python strings (docs/architecture.md, "The data between the stages").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import pandas as pd

from .reasons import CODE_IDS, CODES, EARLIER_PREFIX, ReasonCode, Rejection
from .stage_data import DUPLICATE, ERROR, EXCLUDED, INVALID, NOT_SENT, UNRESOLVED

#: Kinds of rows that are imported but named by the hygiene step: role and disposable
#: addresses (kept in the report's ``flagged`` store, never among the rows not imported).
ROLE, DISPOSABLE = "role", "disposable"
#: Row kinds in a fixed order: a part keeps a row's kind as its index.
KINDS: tuple[str, ...] = (
    INVALID,
    DUPLICATE,
    ERROR,
    NOT_SENT,
    UNRESOLVED,
    EXCLUDED,
    ROLE,
    DISPOSABLE,
)
KIND_IDS: dict[str, int] = {kind: n for n, kind in enumerate(KINDS)}


class DetailRecord(NamedTuple):
    """One row not imported, as the report renders it."""

    file: str
    row: int
    email: str
    kind: str
    code: ReasonCode
    params: tuple[str, ...]
    earlier: bool  # merged from an earlier run of the same file (a resume)

    @property
    def reason(self) -> Rejection:
        """The row's reason as data."""
        return Rejection(self.code, self.params)

    @property
    def text(self) -> str:
        """The reason in words, as the terminal, the JSON report and the rejected CSV say it."""
        text = self.code.text(self.params)
        return EARLIER_PREFIX + text if self.earlier else text


class DetailColumns(NamedTuple):
    """Some rows of one part, column by column (:meth:`DetailPart.columns_at`)."""

    file: str
    earlier: bool
    rows: list[int]
    emails: list[str]
    kinds: list[str]
    codes: list[ReasonCode]
    params: list[tuple[str, ...]]

    def reasons(self) -> list[str]:
        """Each row's reason in words, as :attr:`DetailRecord.text` says it."""
        prefix = EARLIER_PREFIX if self.earlier else ""
        return [prefix + code.text(p) for code, p in zip(self.codes, self.params, strict=True)]


@dataclass(frozen=True, eq=False)
class Joined:
    """Many strings as one joined ``str`` and their end offsets."""

    text: str
    ends: np.ndarray

    @classmethod
    def of(cls, texts: Sequence[str]) -> Joined:
        """Join ``texts``."""
        ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))
        small = not len(ends) or ends[-1] < 2**31
        return cls("".join(texts), ends.astype(np.int32) if small else ends)

    def __getitem__(self, i: int) -> str:
        start = int(self.ends[i - 1]) if i else 0
        return self.text[start : int(self.ends[i])]

    def at(self, positions: np.ndarray) -> list[str]:
        """The strings at ``positions``, in that order."""
        ends = self.ends
        stops = ends[positions].tolist()
        # positions - 1 is -1 for the first string, whose start the where makes 0.
        starts = np.where(positions > 0, ends[positions - 1], 0).tolist()
        text = self.text
        return [text[a:b] for a, b in zip(starts, stops, strict=True)]

    def all(self) -> list[str]:
        """Every string, in order."""
        bounds = [0, *self.ends.tolist()]
        return [self.text[a:b] for a, b in pairwise(bounds)]


def _ids(values: str | Sequence[str] | np.ndarray, table: dict[str, int], n: int) -> np.ndarray:
    if isinstance(values, str):
        return np.full(n, table[values], dtype=np.uint8)
    return np.fromiter(map(table.__getitem__, values), dtype=np.uint8, count=n)


@dataclass(frozen=True, eq=False)
class DetailPart:
    """Rows of one file not imported: numbers, kinds, emails and reasons, compact."""

    file: str
    rows: np.ndarray  # int64
    kinds: np.ndarray  # uint8 index into KINDS
    codes: np.ndarray  # uint8 index into reasons.CODES (a ReasonCode each)
    emails: Joined
    params: Joined  # each row's reason parameters, packed (reasons.SEP)
    earlier: bool = False  # from an earlier run of the same file (a resume)

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def of(
        cls,
        file: str,
        rows: Sequence[int] | np.ndarray,
        emails: Sequence[str],
        kinds: str | Sequence[str],
        codes: str | Sequence[str] | np.ndarray,
        params: Sequence[str] | str = "",
        *,
        earlier: bool = False,
    ) -> DetailPart:
        """A part from per-row values; ``kinds``, ``codes`` and ``params`` may be one value for
        every row."""
        n = len(rows)
        if isinstance(params, str):
            params = [params] * n
        return cls(
            file=file,
            rows=np.asarray(rows, dtype=np.int64),
            kinds=_ids(kinds, KIND_IDS, n),
            codes=_ids(codes, CODE_IDS, n),
            emails=Joined.of(emails),
            params=Joined.of(params),
            earlier=earlier,
        )

    @classmethod
    def of_frame(cls, file: str, frame: pd.DataFrame, kind: str) -> DetailPart:
        """A part from a frame with columns ``row``, ``email``, ``code`` and ``params``."""
        return cls.of(
            file,
            frame["row"].to_numpy(dtype=np.int64),
            frame["email"].fillna("").astype(str).tolist(),
            kind,
            frame["code"].tolist(),
            frame["params"].tolist(),
        )

    @classmethod
    def of_reasons(
        cls,
        file: str,
        rows: Sequence[int] | np.ndarray,
        emails: Sequence[str],
        kinds: Sequence[str],
        reasons: Sequence[Rejection],
        *,
        earlier: bool = False,
    ) -> DetailPart:
        """A part from one :class:`~foxreach_cli.reasons.Rejection` per row."""
        return cls.of(
            file,
            rows,
            emails,
            kinds,
            [r.code for r in reasons],
            [r.packed() for r in reasons],
            earlier=earlier,
        )

    def count(self, kind: str) -> int:
        """How many of the part's rows are of ``kind``."""
        return int(np.count_nonzero(self.kinds == KIND_IDS[kind]))

    def records_at(self, positions: np.ndarray) -> list[DetailRecord]:
        """The rows at ``positions``, in that order, made in one go (a slice of a report)."""
        c = self.columns_at(positions)
        file, earlier = self.file, self.earlier
        return [
            DetailRecord(file, row, email, kind, code, params, earlier)
            for row, email, kind, code, params in zip(
                c.rows, c.emails, c.kinds, c.codes, c.params, strict=True
            )
        ]

    def columns_at(self, positions: np.ndarray) -> DetailColumns:
        """The rows at ``positions``, in that order, as columns: what :meth:`records_at`
        makes records of, for a reader that needs no record per row (the JSON report)."""
        codes = [CODES[c] for c in self.codes[positions].tolist()]
        return DetailColumns(
            self.file,
            self.earlier,
            self.rows[positions].tolist(),
            self.emails.at(positions),
            [KINDS[k] for k in self.kinds[positions].tolist()],
            codes,
            [code.unpack(p) for code, p in zip(codes, self.params.at(positions), strict=True)],
        )

    def record(self, i: int) -> DetailRecord:
        """The ``i``-th row of the part."""
        code = CODES[self.codes[i]]
        return DetailRecord(
            self.file,
            int(self.rows[i]),
            self.emails[i],
            KINDS[self.kinds[i]],
            code,
            code.unpack(self.params[i]),
            self.earlier,
        )


@dataclass(eq=False)
class DetailStore:
    """Every detail part of a run, in the order added; read back sorted by file and row.

    The report holds it as its handle to the rows not imported: counts are computed from
    the parts and records are made one at a time when they are rendered.
    """

    parts: list[DetailPart] = field(default_factory=list)

    def add(self, part: DetailPart | None) -> None:
        """Keep ``part`` (empty parts are dropped)."""
        if part is not None and len(part):
            self.parts.append(part)

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)

    def count(self, *kinds: str) -> int:
        """Rows of any of ``kinds``."""
        return sum(p.count(k) for p in self.parts for k in kinds)

    def codes(self, kind: str) -> dict[ReasonCode, int]:
        """Rows of ``kind`` per reason code (counted over the parts' code arrays)."""
        totals = np.zeros(len(CODES), dtype=np.int64)
        for p in self.parts:
            mask = p.kinds == KIND_IDS[kind]
            if mask.any():
                totals += np.bincount(p.codes[mask], minlength=len(CODES))
        return {CODES[i]: int(totals[i]) for i in np.flatnonzero(totals)}

    def files(self) -> set[str]:
        """The files that have rows not imported."""
        return {p.file for p in self.parts}

    def has_code(self, code: ReasonCode, files: Iterable[str] | None = None) -> bool:
        """Whether any row (of ``files``, or all) has reason ``code``."""
        wanted = None if files is None else set(files)
        number = CODE_IDS[code]
        return any(
            bool((p.codes == number).any())
            for p in self.parts
            if wanted is None or p.file in wanted
        )

    def files_with(self, kind: str) -> set[str]:
        """The files that have rows of ``kind``."""
        return {p.file for p in self.parts if p.count(kind)}

    def records(
        self, kinds: Iterable[str] | None = None, *, order: Sequence[str] = ()
    ) -> Iterator[DetailRecord]:
        """The rows (of ``kinds``, or all), files in ``order`` (others after), then by row.

        Rows with equal keys keep the order they were added in. Only the sort keys are held
        at once (about 20 bytes a row); records are made a slice of rows at a time.
        """
        for part, positions in self._in_order(kinds, order):
            yield from part.records_at(positions)

    def emails(
        self, kinds: Iterable[str] | None = None, *, order: Sequence[str] = ()
    ) -> Iterator[str]:
        """The emails of :meth:`records`, in the same order, without making the records."""
        for part, positions in self._in_order(kinds, order):
            yield from part.emails.at(positions)

    def columns(
        self, kinds: Iterable[str] | None = None, *, order: Sequence[str] = ()
    ) -> Iterator[DetailColumns]:
        """The rows of :meth:`records`, in the same order, a run of one part's rows at a
        time as columns (no record per row)."""
        for part, positions in self._in_order(kinds, order):
            yield part.columns_at(positions)

    def _in_order(
        self, kinds: Iterable[str] | None, order: Sequence[str]
    ) -> Iterator[tuple[DetailPart, np.ndarray]]:
        """:meth:`records`' rows as runs of positions in one part, in the records' order."""
        wanted = None if kinds is None else [KIND_IDS[k] for k in kinds]
        rank = {f: n for n, f in enumerate(order)}
        file_rank, rows, part_ids, positions = [], [], [], []
        for n, part in enumerate(self.parts):
            pos = np.arange(len(part), dtype=np.int64)
            if wanted is not None:
                pos = pos[np.isin(part.kinds, wanted)]
            if not len(pos):
                continue
            file_rank.append(np.full(len(pos), rank.get(part.file, len(rank)), dtype=np.int64))
            rows.append(part.rows[pos])
            part_ids.append(np.full(len(pos), n, dtype=np.int64))
            positions.append(pos)
        if not rows:
            return
        by_file = np.concatenate(file_rank)
        by_row = np.concatenate(rows)
        # lexsort is stable: equal (file, row) keys stay in the order added.
        sequence = np.lexsort((by_row, by_file))
        part_of = np.concatenate(part_ids)[sequence]
        position = np.concatenate(positions)[sequence]
        del by_file, by_row, sequence
        parts = self.parts
        # Made a slice at a time, each run of rows of one part in one go: only a slice of
        # records is held at once.
        for start in range(0, len(part_of), _RECORD_SLICE):
            ids = part_of[start : start + _RECORD_SLICE]
            at = position[start : start + _RECORD_SLICE]
            bounds = [0, *(np.flatnonzero(np.diff(ids)) + 1).tolist(), len(ids)]
            for a, b in pairwise(bounds):
                yield parts[int(ids[a])], at[a:b]


#: Records made at once while a store's rows are read back in order.
_RECORD_SLICE = 1024
