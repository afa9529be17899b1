"""Claims: which column may be which field, by what rule (:class:`Source`) and on what evidence.

Every column gets one claim, from the strongest source that speaks about it (:class:`Level`):
``--map``, then the mapping file, then its header, then the ``--unmapped`` policy. Content
detection and clash settling later change claims, always through :meth:`Claim.recast` (a new
rule, its own evidence) or :meth:`Claim.add` (evidence for the rule that stands).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from enum import IntEnum

from foxreach_cli.defaults import Unmapped
from foxreach_cli.errors import UsageError
from foxreach_cli.stage_data import SourceInfo

from .evidence import Basis, Beside, Evidence, KeptAs, Source, Spelling, describe
from .headers import bare_name_of, field_of_header
from .result import ColumnMap
from .targets import FIRST_NAME, LAST_NAME, Target

#: Rank of a claim by values alone: after every claim by a header.
RANK_CONTENT = 2000


class Level(IntEnum):
    """How strong a claim's source is (lower wins). A field name, a listed header and header
    words are one level: between them the rank decides."""

    MAP_OPTION = 0
    MAPPING_FILE = 1
    HEADER = 2
    UNMAPPED = 3


@dataclass
class Claim:
    """One column's claim on a target, while the mapping is built."""

    index: int
    header: str
    column: str
    target: Target
    source: Source
    level: Level
    basis: Basis | None = None
    evidence: list[Evidence] = field(default_factory=list)
    rank: int = 0
    #: The column held no value in the rows looked at (only known when samples were given).
    empty: bool = False
    #: Its header names the email but most sampled values are not addresses: it gives way
    #: to a column whose values fit, and is kept (rows rejected one by one) when none does.
    misfit: bool = False
    #: Its header names the lead's own address (not a manager's): it may stand in for the email.
    own_address: bool = True

    @property
    def key(self) -> str:
        """The customFields key the column keeps: its header, or its column key."""
        return self.header if self.header.strip() else self.column

    def recast(
        self,
        target: Target,
        source: Source,
        level: Level,
        basis: Basis | None = None,
        *,
        rank: int | None = None,
    ) -> None:
        """Decide the claim anew by another rule; the old rule's evidence goes."""
        self.target, self.source, self.level, self.basis = target, source, level, basis
        self.evidence = []
        if rank is not None:
            self.rank = rank

    def add(self, evidence: Evidence) -> None:
        """Evidence for the rule that stands."""
        self.evidence.append(evidence)

    @property
    def how(self) -> str:
        """The reason, for a person."""
        return describe(self.source, self.basis, self.evidence)

    def column_map(self) -> ColumnMap:
        """The decision as the mapping holds it."""
        return ColumnMap(self.header, self.column, self.target, self.how, self.source)


Claims = dict[int, Claim]
Resolve = Callable[[str, str], int]


def explicit_claims(
    claims: Claims,
    info: SourceInfo,
    entries: AbcMapping[str, Target],
    level: Level,
    where: str,
    resolve: Resolve,
) -> None:
    """Claims of ``--map`` options or a mapping file's columns (``where`` names them in
    errors); a column already claimed by a stronger source keeps that claim."""
    source = Source.MAP_OPTION if level is Level.MAP_OPTION else Source.MAPPING_FILE
    seen: dict[int, str] = {}
    for name, target in entries.items():
        i = resolve(name, where)
        if i in seen:
            raise UsageError(
                f"{where} names column '{info.headers[i]}' twice (as '{seen[i]}' and "
                f"'{name}'); keep one entry per column."
            )
        seen[i] = name
        if i not in claims:
            claims[i] = Claim(i, info.headers[i], info.columns[i], target, source, level)


def header_claims(claims: Claims, info: SourceInfo, indices: list[int], unmapped: Unmapped) -> None:
    """A claim for every column not named explicitly: by what its header names, else by the
    ``--unmapped`` policy."""
    for i in indices:
        if i in claims:
            continue
        header, column = info.headers[i], info.columns[i]
        match = field_of_header(header)
        if match is not None:
            basis = Spelling(match.spelling) if match.source is not Source.FIELD_NAME else None
            claims[i] = Claim(
                i, header, column, Target.of(match.field), match.source, Level.HEADER, basis,
                rank=match.rank, own_address=match.own_address,
            )  # fmt: skip
        elif unmapped == "ignore":
            claims[i] = Claim(
                i, header, column, Target("ignore"), Source.UNRECOGNISED, Level.UNMAPPED,
                KeptAs(ignored=True),
            )  # fmt: skip
        elif header.strip():
            claims[i] = Claim(
                i, header, column, Target("custom", header), Source.UNRECOGNISED, Level.UNMAPPED
            )
        else:
            key = column if column.strip() else f"column {i + 1}"
            claims[i] = Claim(
                i, header, column, Target("custom", key), Source.NO_HEADER, Level.UNMAPPED,
                KeptAs(key=key),
            )  # fmt: skip


def bare_name_claims(claims: Claims) -> None:
    """A header of only a word for "name" beside a first-name column, where no column names
    the family name, is the family name (``Vorname``/``Name``, ``Prénom``/``Nom``); one of
    only a word for a given name beside a family-name column is the first name
    (``Nombre``/``Apellidos``, ``Nome``/``Cognome``). The words: the lexicon's ``bare_name``
    and ``bare_given_name``."""
    first = next((c for c in claims.values() if c.target == FIRST_NAME), None)
    last = next((c for c in claims.values() if c.target == LAST_NAME), None)
    if (first is None) == (last is None):
        return
    beside, target = (first, LAST_NAME) if first is not None else (last, FIRST_NAME)
    assert beside is not None
    source = Source.FAMILY_NAME if target == LAST_NAME else Source.GIVEN_NAME
    for index in sorted(claims):
        claim = claims[index]
        if claim.source is Source.UNRECOGNISED and bare_name_of(claim.header) == target.name:
            claim.recast(target, source, Level.HEADER, Beside(beside.header), rank=0)
            return
