"""The MAP stage: decide which lead field each input column fills.

Every column gets exactly one :class:`Target` (a lead field, ``customFields.<key>``, ``tags``
or ``ignore``), decided once per file from its header and the reader's bounded sample of its
values. The modules, one job each:

    lexicon     every word recognised in headers and cells, by language (TOML data)
    words       the forms headers and cells are compared in (header words, compare form)
    headers     what a header names, by its words: a field, a whole name, an opt-out, a status
    values      what one sampled value looks like (email, LinkedIn, URL, phone, name prefix)
    targets     Target and the --map options
    claims      which column may be which field, by which rule, with evidence
    evidence    the rules (Source), their evidence, and the one place they become text
    content     values that overrule or replace a header; full names; verdict columns
    status      the status column and the columns read for opt-outs on every row
    clashes     one column per field, the email's stand-ins, unique custom keys
    decisions   what a saved mapping records and replays
    build       build_mapping: the steps in order
    result      Mapping, ColumnMap, Decision, OptOutColumn, MappingFile

Saving and loading mapping files is :mod:`foxreach_cli.mapping_file`; the rules in full:
docs/mapping.md.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import build_mapping
    from .evidence import Source
    from .headers import names_email
    from .result import (
        EMAIL_FALLBACK,
        OPT_OUT_KINDS,
        SPLIT_NAME,
        VERDICT_KINDS,
        ColumnMap,
        Decision,
        Mapping,
        MappingFile,
        OptOutColumn,
        mapping_rows,
    )
    from .targets import Target, TargetKind, parse_map_options
    from .words import normalise_header

# The names are loaded when first used (PEP 562), as in foxreach_cli.hygiene: the lexicon and
# the word forms are read by the opt-out scan and the hygiene rules, which the building of a
# mapping imports in turn, so importing them must not import the whole stage.
_WHERE = {
    "build": ("build_mapping",),
    "evidence": ("Source",),
    "headers": ("names_email",),
    "result": (
        "EMAIL_FALLBACK",
        "OPT_OUT_KINDS",
        "SPLIT_NAME",
        "VERDICT_KINDS",
        "ColumnMap",
        "Decision",
        "Mapping",
        "MappingFile",
        "OptOutColumn",
        "mapping_rows",
    ),
    "targets": ("Target", "TargetKind", "parse_map_options"),
    "words": ("normalise_header",),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)


__all__ = [
    "EMAIL_FALLBACK",
    "OPT_OUT_KINDS",
    "SPLIT_NAME",
    "VERDICT_KINDS",
    "ColumnMap",
    "Decision",
    "Mapping",
    "MappingFile",
    "OptOutColumn",
    "Source",
    "Target",
    "TargetKind",
    "build_mapping",
    "mapping_rows",
    "names_email",
    "normalise_header",
    "parse_map_options",
]
