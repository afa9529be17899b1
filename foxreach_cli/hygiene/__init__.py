"""Pre-flight list hygiene (issue 21): rows that must not be imported, found before sending.

    suppression   exclusion lists (--exclude FILE, the default list in the config folder)
    domains       DNS checks of each distinct domain (MX, then A/AAAA; null MX), SQLite cache
    roles         role local parts (info@, noreply@...) and disposable-mail domains
    verdicts      verification services' verdict columns (ZeroBounce, NeverBounce, Apollo...)
    check         Hygiene: all of them applied per chunk, with counts
    reasons       Exclusion: a reason code with its parameters

The rules, the default paths and the reason codes: docs/hygiene.md.
"""

from .check import ChunkHygiene, Hygiene, HygieneCounts, HygieneOptions
from .domains import DomainCache, DomainChecker, DomainResult, DomainStatus, parse_resolver
from .reasons import Exclusion, Reason, describe
from .suppression import (
    DefaultListStatus,
    Suppression,
    SuppressionList,
    default_list_path,
    default_list_status,
    load_default_list,
    load_list,
)
from .verdicts import VerdictClass, VerdictColumn, find_verdict_columns

__all__ = [
    "ChunkHygiene",
    "DefaultListStatus",
    "DomainCache",
    "DomainChecker",
    "DomainResult",
    "DomainStatus",
    "Exclusion",
    "Hygiene",
    "HygieneCounts",
    "HygieneOptions",
    "Reason",
    "Suppression",
    "SuppressionList",
    "VerdictClass",
    "VerdictColumn",
    "default_list_path",
    "default_list_status",
    "describe",
    "find_verdict_columns",
    "load_default_list",
    "load_list",
    "parse_resolver",
]
