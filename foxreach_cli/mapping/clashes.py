"""Settling clashes: one column per single-valued field (the strongest claim wins, the others
stay custom fields, so no data is dropped), the email's stand-ins, unique customFields keys."""

from __future__ import annotations

from foxreach_cli.errors import UsageError

from .claims import RANK_CONTENT, Claim, Claims, Level
from .evidence import Beside, ChosenOver, EmailFallback, KeyTaken, Source
from .targets import EMAIL, Target


def settle_field_clashes(claims: Claims, mapping_file_path: str | None) -> None:
    """One column per single-valued field: the strongest claim wins, losers become custom.

    Two explicit entries of one source for one field are a :class:`UsageError`.
    """
    by_field: dict[str, list[Claim]] = {}
    for claim in claims.values():
        if claim.target.kind == "field":
            by_field.setdefault(claim.target.name, []).append(claim)
    for field_name, competing in by_field.items():
        if len(competing) < 2:
            continue
        # A recognised column that is empty in the rows looked at (Outlook's Primary Phone)
        # gives way to one that holds values; explicit entries are never second-guessed.
        competing.sort(
            key=lambda c: (
                c.level,
                c.level == Level.HEADER and c.misfit,
                c.level == Level.HEADER and c.empty,
                c.rank,
                c.index,
            )
        )
        winner, runner_up = competing[0], competing[1]
        if runner_up.level == winner.level and winner.level <= Level.MAPPING_FILE:
            source = "--map" if winner.level == Level.MAP_OPTION else mapping_file_path
            raise UsageError(
                f"{source} maps both '{winner.header}' and '{runner_up.header}' to "
                f"{field_name}; map only one of them (the other can be "
                f"customFields.<key> or ignore)."
            )
        for loser in competing[1:]:
            loser.recast(
                Target("custom", loser.key), Source.SECOND_COLUMN, Level.UNMAPPED,
                Beside(winner.header, field_name),
            )  # fmt: skip
        if winner.level == Level.HEADER:
            losers = competing[1:]
            winner.add(
                ChosenOver(
                    field_name,
                    tuple(c.header for c in losers),
                    tuple(c.header for c in losers if c.empty and c.rank < winner.rank),
                    tuple(c.header for c in losers if c.misfit and not winner.misfit),
                )
            )


def email_fallbacks(claims: Claims, ranked: list[Claim]) -> tuple[str, ...]:
    """The other columns that hold the lead's own address (a listed header or plain header
    words, not values alone), strongest first: where the email cell is empty, the first
    filled one is used. ``ranked``: the header claims on the email, strongest first."""
    winner = next((c for c in claims.values() if c.target == EMAIL), None)
    if winner is None:
        return ()
    out: list[str] = []
    for claim in ranked:
        if claim is winner or claim.target.kind != "custom" or claim.misfit:
            continue
        if claim.rank >= RANK_CONTENT or not claim.own_address:
            continue
        claim.add(EmailFallback(winner.header))
        out.append(claim.column)
    return tuple(out)


def settle_custom_keys(claims: Claims) -> None:
    """Make customFields keys unique; the weaker claim gets a numbered suffix."""
    custom = [c for c in claims.values() if c.target.kind == "custom"]
    custom.sort(key=lambda c: (c.level, c.index))
    taken: set[str] = set()
    for claim in custom:
        key = claim.target.name
        if key in taken:
            n = 2
            while f"{key} ({n})" in taken:
                n += 1
            new_key = f"{key} ({n})"
            claim.add(KeyTaken(key, new_key))
            claim.target = Target("custom", new_key)
            key = new_key
        taken.add(key)
