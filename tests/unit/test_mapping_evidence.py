"""Claims carry evidence, not prose: each column's rule is a Source and its evidence typed
objects; the text is rendered in one place; a mapping file written by the previous version
still loads and replays the same decisions."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from foxreach_cli.mapping import Source, build_mapping, mapping_rows
from foxreach_cli.mapping.evidence import (
    ChosenOver,
    OptOutRead,
    Spelling,
    ValueFit,
    describe,
)
from foxreach_cli.mapping.values import Fit
from foxreach_cli.mapping_file import load_mapping_file
from foxreach_cli.read import open_source
from foxreach_cli.stage_data import SourceInfo

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "foxreach_cli" / "mapping"
SAVED = ROOT / "tests" / "data" / "saved_mappings"
EXPORTS = ROOT / "tests" / "data" / "exports"


def info(*headers: str, samples: dict[str, list[str]] | None = None) -> SourceInfo:
    return SourceInfo(
        file="leads.csv", format="csv", headers=list(headers), columns=list(headers),
        samples=samples or {},
    )  # fmt: skip


def test_every_column_says_which_rule_decided_it():
    m = build_mapping(
        info("Email", "E-mail", "Vorname", "contact_last_name", "Notes2", "", "URL",
             samples={"URL": ["https://www.linkedin.com/in/ann-x"]})
    )  # fmt: skip
    assert [c.source for c in m.columns] == [
        Source.FIELD_NAME, Source.SECOND_COLUMN, Source.HEADER_WORDS, Source.HEADER_WORDS,
        Source.UNRECOGNISED, Source.NO_HEADER, Source.CONTENT,
    ]  # fmt: skip
    rows = mapping_rows(m)
    assert rows[1] == {
        "column": "E-mail",
        "field": "customFields.E-mail",
        "how": "second column for email (after 'Email'): kept as custom field; used as the "
        "email where 'Email' is empty",
        "source": "second_column",
    }


def test_the_text_is_rendered_from_the_source_and_its_evidence():
    fit = Fit(7, 8, "n/a")
    text = describe(
        Source.SYNONYM,
        Spelling("Email Address"),
        [ValueFit(fit, "email addresses", "email"), ChosenOver("email", ("Other",), (), ())],
    )
    assert text == (
        "synonym: 'Email Address'; 7 of 8 values looked at are email addresses; chosen over "
        "'Other': the primary address ranks first"
    )
    flag = OptOutRead("flag", "unsubscribed", Fit(3, 3))
    assert describe(Source.UNRECOGNISED, None, [flag]) == (
        "not recognised: kept as custom field; read for opt-outs on every row: a yes makes the "
        "lead unsubscribed (3 of 3 values looked at are yes or no; a row holding anything "
        "else is rejected)"
    )


def _uses_of_how(tree: ast.AST) -> list[ast.AST]:
    """Nodes that decide on, or edit, a ``.how`` text (the previous mapping.py had 15): in
    the test of an if/while/assert/comprehension, a comparison, a method call on it
    (``how.startswith``), ``how +=``."""
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        tests: list[ast.AST] = []
        if isinstance(node, ast.If | ast.While | ast.IfExp | ast.Assert):
            tests.append(node.test)
        elif isinstance(node, ast.comprehension):
            tests.extend(node.ifs)
        elif isinstance(node, ast.Compare):
            tests.append(node)
        elif isinstance(node, ast.AugAssign):
            tests.append(node.target)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            tests.append(node.func.value)
        found += [
            n
            for t in tests
            for n in ast.walk(t)
            if isinstance(n, ast.Attribute) and n.attr == "how"
        ]
    return found


def test_no_rule_reads_or_edits_the_text_it_shows():
    # The text is rendered in evidence.py from a claim's source and evidence; the code only
    # passes it on (to ColumnMap, OptOutColumn, a recorded decision), never decides on it.
    for path in [*PACKAGE.rglob("*.py"), ROOT / "foxreach_cli" / "render.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert _uses_of_how(tree) == [], path.name
    assert 'row["how"].startswith' not in (ROOT / "foxreach_cli" / "render.py").read_text()


def _dump(mapping, path: str) -> dict:
    return {
        "columns": [
            [c.header, str(c.target), c.how.replace(path, "{path}")] for c in mapping.columns
        ],
        "decisions": [[d.kind, list(d.columns), d.evidence] for d in mapping.decisions],
        "opt_outs": [[o.column, o.kind, o.means] for o in mapping.opt_outs],
        "email_fallbacks": list(mapping.email_fallbacks),
        "notes": [n.replace(path, "{path}") for n in mapping.notes],
        "warnings": [n.replace(path, "{path}") for n in mapping.warnings],
        "verdicts": [[v.key, v.service] for v in mapping.verdicts],
    }  # fmt: skip


EXPECTED = json.loads((SAVED / "replayed.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_mapping_file_of_the_previous_version_replays_as_it_did(name):
    # Written by `foxreach map --write` before the mapping became a package, with what that
    # version built from it.
    path = str(SAVED / f"{Path(name).stem}.toml")
    with open_source(str(EXPORTS / name)) as source:
        mapping = build_mapping(source.info, mapping_file=load_mapping_file(path))
    assert _dump(mapping, path) == EXPECTED[name]
