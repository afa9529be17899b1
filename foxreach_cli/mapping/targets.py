"""Where a column's values can go (:class:`Target`), and the ``--map "Column=field"`` options
that name one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from foxreach_cli.errors import UsageError
from foxreach_cli.stage_data import LEAD_FIELDS

TargetKind = Literal["field", "custom", "tags", "ignore"]

_CUSTOM_PREFIX = "customFields."
_FIELD_BY_CASEFOLD = {f.casefold(): f for f in LEAD_FIELDS}
VALID_TARGETS = ", ".join(LEAD_FIELDS) + ", customFields.<key>, tags or ignore"


@dataclass(frozen=True)
class Target:
    """Where one column's values go in a lead."""

    kind: TargetKind
    #: The lead field (one of ``stage_data.LEAD_FIELDS``) for "field"; the customFields key for
    #: "custom"; empty for "tags" and "ignore".
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> Target:
        """Parse ``email``, ``firstName`` (any case), ``customFields.<key>``, ``tags``, ``ignore``.

        The customFields key is kept exactly as written (it is user data). Anything else is a
        :class:`UsageError` listing the valid targets.
        """
        stripped = text.strip()
        folded = stripped.casefold()
        if folded in _FIELD_BY_CASEFOLD:
            return cls("field", _FIELD_BY_CASEFOLD[folded])
        if folded in ("tags", "ignore"):
            return cls(folded)  # type: ignore[arg-type]
        if folded.startswith(_CUSTOM_PREFIX.casefold()):
            key = stripped[len(_CUSTOM_PREFIX) :].strip()
            if key:
                return cls("custom", key)
            raise UsageError(
                f"'{text}' names no custom field key; write it as customFields.<key>, "
                "e.g. customFields.industry."
            )
        raise UsageError(f"'{text}' is not a lead field; use one of {VALID_TARGETS}.")

    @classmethod
    def of(cls, name: str) -> Target:
        """The target a header naming ``name`` (a lead field or "tags") claims."""
        return cls("tags") if name == "tags" else cls("field", name)

    def __str__(self) -> str:
        if self.kind == "field":
            return self.name
        if self.kind == "custom":
            return _CUSTOM_PREFIX + self.name
        return self.kind


EMAIL = Target("field", "email")
FIRST_NAME = Target("field", "firstName")
LAST_NAME = Target("field", "lastName")
STATUS = Target("field", "status")


def parse_map_options(values: Sequence[str]) -> dict[str, Target]:
    """Parse repeated ``--map "Column=field"`` values into ``{column: target}``.

    Headers may contain ``=`` ("Score (1=low)") and so may custom keys, so a value is split at
    the *rightmost* ``=`` whose right-hand side is a valid target:
    ``"Score (1=low)=customFields.score"`` names the column ``Score (1=low)``, and
    ``"A=customFields.x=y"`` maps ``A`` to the custom key ``x=y``. A value with no such ``=``
    (or an empty column name) is a :class:`UsageError`; naming one column twice is too.
    """
    result: dict[str, Target] = {}
    for value in values:
        header, target = _split_map_option(value)
        if header in result:
            raise UsageError(f"names column '{header}' twice; keep one per column.", option="maps")
        result[header] = target
    return result


def _split_map_option(value: str) -> tuple[str, Target]:
    last_error: UsageError | None = None
    pos = len(value)
    while (pos := value.rfind("=", 0, pos)) != -1:
        header = value[:pos].strip()
        try:
            target = Target.parse(value[pos + 1 :])
        except UsageError as exc:
            last_error = last_error or exc
            continue
        if header:
            return header, target
        break
    detail = f" ({last_error.message})" if last_error and "=" in value else ""
    raise UsageError(
        f"'{value}' is not Column=field{detail}; write it as \"Column=field\" with "
        f"field one of {VALID_TARGETS}.",
        option="maps",
    )
