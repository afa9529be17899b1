"""Pre-flight list hygiene (issue 21): rows that must not be imported, found before sending.

    suppression   exclusion lists (--exclude FILE, the default list in the config folder)
    default_list  where the default list is (~/.foxreach/exclude.txt), read by config show
    domains       DNS checks of each distinct domain (MX, then A/AAAA; null MX), SQLite cache
    roles         role local parts (info@, noreply@...) and disposable-mail domains
    verdicts      verification services' verdict columns (ZeroBounce, NeverBounce, Apollo...)
    stage         Hygiene: all of them applied per chunk (the HYGIENE stage), with counts

A rule's reason to leave a row out is a ``foxreach_cli.reasons.Rejection`` (the run's one
vocabulary of reason codes).

The rules, the default paths and the reason codes: docs/hygiene.md.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .default_list import DefaultListStatus, default_list_path, default_list_status
    from .domains import DomainCache, DomainChecker, DomainResult, DomainStatus, parse_resolver
    from .stage import ChunkHygiene, Hygiene, HygieneCounts, HygieneRules, HygieneSplit, load_rules
    from .suppression import Suppression, SuppressionList, load_default_list, load_list
    from .verdicts import VerdictClass, VerdictColumn, find_verdict_columns

# The names are loaded when first used (PEP 562): the mapping needs only ``verdicts``, and a
# run with no rule in use should not pay for dnspython and the disposable-domain list.
_WHERE = {
    "stage": (
        "ChunkHygiene",
        "Hygiene",
        "HygieneCounts",
        "HygieneRules",
        "HygieneSplit",
        "load_rules",
    ),
    "domains": ("DomainCache", "DomainChecker", "DomainResult", "DomainStatus", "parse_resolver"),
    "default_list": ("DefaultListStatus", "default_list_path", "default_list_status"),
    "suppression": ("Suppression", "SuppressionList", "load_default_list", "load_list"),
    "verdicts": ("VerdictClass", "VerdictColumn", "find_verdict_columns"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)


__all__ = [
    "ChunkHygiene",
    "DefaultListStatus",
    "DomainCache",
    "DomainChecker",
    "DomainResult",
    "DomainStatus",
    "Hygiene",
    "HygieneCounts",
    "HygieneRules",
    "HygieneSplit",
    "Suppression",
    "SuppressionList",
    "VerdictClass",
    "VerdictColumn",
    "default_list_path",
    "default_list_status",
    "find_verdict_columns",
    "load_default_list",
    "load_list",
    "load_rules",
    "parse_resolver",
]
