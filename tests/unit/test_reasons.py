"""One reason vocabulary: every code declares its parameters and its sentence, and every stage,
the journal and the report use it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import foxreach_cli
from foxreach_cli.details import DetailPart
from foxreach_cli.reasons import CODE_IDS, CODES, ReasonCode, recorded_reason

PACKAGE = Path(foxreach_cli.__file__).parent


@pytest.mark.parametrize("code", list(ReasonCode))
def test_every_code_renders_with_its_declared_parameters_and_nothing_left_unfilled(
    code: ReasonCode,
) -> None:
    text = code.of(*(f"<{name}>" for name in code.params)).text
    assert "{" not in text and "[" not in text
    for name in code.params:
        if "{" + name + "}" in code.template and name != "why":
            assert f"<{name}>" in text


def test_an_optional_part_is_left_out_when_its_parameter_is_empty() -> None:
    assert ReasonCode.DUPLICATE_OF.of(3).text == "duplicate of row 3"
    assert ReasonCode.DUPLICATE_OF.of(3, file="b.csv").text == "duplicate of row 3 in b.csv"


def test_a_parameter_with_words_is_shown_as_its_words() -> None:
    null = ReasonCode.DOMAIN_NO_MAIL.of(domain="acme.test", why="null_mx")
    assert null.text == "the domain acme.test says it receives no mail (null MX)"
    assert null.named() == {"domain": "acme.test", "why": "null_mx"}


def test_a_reason_is_built_with_its_declared_parameters_only() -> None:
    with pytest.raises(TypeError, match="no parameter"):
        ReasonCode.ROLE_ADDRESS.of(domain="x.io")
    with pytest.raises(TypeError, match="needs"):
        ReasonCode.INVALID_EMAIL.of()
    with pytest.raises(TypeError, match="takes 1"):
        ReasonCode.INVALID_EMAIL.of("a", "b")
    with pytest.raises(ValueError, match="unknown reason code"):
        ReasonCode.parse("no_such_code")


def test_a_code_is_its_text_and_is_kept_in_one_byte() -> None:
    assert ReasonCode.parse("duplicate_of") is ReasonCode.DUPLICATE_OF == "duplicate_of"
    assert len(CODES) < 256 and CODE_IDS["duplicate_of"] == CODE_IDS[ReasonCode.DUPLICATE_OF]
    part = DetailPart.of("a.csv", [2, 3], ["a@x.io", "b@x.io"], "invalid",
                         [ReasonCode.EMPTY_ROW, "invalid_email"], ["", "no @"])  # fmt: skip
    assert part.codes.dtype.itemsize == 1
    assert [part.record(i).reason.text for i in range(2)] == ["empty row", "invalid email: no @"]


def test_a_sentence_from_a_journal_without_codes_gets_its_code_back() -> None:
    assert recorded_reason("already in the workspace").code is ReasonCode.IN_WORKSPACE
    assert recorded_reason("something else").text == "something else"


def test_no_other_class_is_named_reason() -> None:
    named = []
    for path in PACKAGE.rglob("*.py"):
        if "sandbox" in path.parts:  # the sandbox plays the server: its own words
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name in ("Reason", "Reasons"):
                named.append(f"{path.name}: {node.name}")
    assert named == []


@pytest.mark.parametrize("code", list(ReasonCode))
def test_the_compiled_sentence_equals_the_one_said_part_by_part(code: ReasonCode) -> None:
    # Given k parameters the sentence is one compiled %-format; padded with empty ones it is
    # said part by part: both are the same sentence, literal % and braces kept.
    values = tuple(f"{n}%s{{x}}" for n in range(len(code.params)))
    for k in range(len(values) + 1):
        padded = values[:k] + ("",) * (len(values) - k)
        assert code.text(values[:k]) == code.text(padded)
