"""Why a row was left out by a hygiene rule: a reason code with its parameters, as data.

The text a person reads is made when the report or the summary is rendered
(:func:`describe`), never branched on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Reason(StrEnum):
    """The reason codes of rows left out as ``excluded`` (docs/hygiene.md)."""

    EXCLUDED_LIST = "excluded_list"  # params: list (path as given), entry (as matched)
    DOMAIN_NOT_FOUND = "domain_not_found"  # params: domain
    DOMAIN_NO_MAIL = "domain_no_mail"  # params: domain, why (null_mx | no_records)
    ROLE_ADDRESS = "role_address"  # params: local (the role local part)
    DISPOSABLE_DOMAIN = "disposable_domain"  # params: domain (the listed one)
    SOURCE_VERDICT = "source_verdict"  # params: column, value, service


@dataclass(frozen=True)
class Exclusion:
    """One row's reason to be left out."""

    code: Reason
    params: dict[str, str] = field(default_factory=dict, hash=False, compare=True)


def describe(exclusion: Exclusion) -> str:
    """The reason as one short sentence fragment for a person."""
    p = exclusion.params
    match exclusion.code:
        case Reason.EXCLUDED_LIST:
            return f"on the exclusion list {p['list']} ({p['entry']})"
        case Reason.DOMAIN_NOT_FOUND:
            return f"the domain {p['domain']} does not exist"
        case Reason.DOMAIN_NO_MAIL:
            if p.get("why") == "null_mx":
                return f"the domain {p['domain']} says it receives no mail (null MX)"
            return f"the domain {p['domain']} cannot receive mail (no MX, A or AAAA record)"
        case Reason.ROLE_ADDRESS:
            return f"a role address ({p['local']}@)"
        case Reason.DISPOSABLE_DOMAIN:
            return f"a disposable-mail domain ({p['domain']})"
        case Reason.SOURCE_VERDICT:
            return f"the file's {p['column']} says {p['value']}"
    return exclusion.code.value  # pragma: no cover  (every code is handled above)
