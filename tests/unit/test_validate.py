"""VALIDATE stage: every row ends valid or rejected with one reason; the email fast path
never accepts what email-validator rejects."""

from __future__ import annotations

import email_validator
import numpy as np
import pandas as pd
import pytest
from hypothesis import strategies as st

from foxreach_cli import validate
from foxreach_cli.errors import UsageError
from foxreach_cli.import_config import parse_lead_defaults
from foxreach_cli.mapping import Target, build_mapping
from foxreach_cli.reasons import ReasonCode, encode_cell
from foxreach_cli.stage_data import ROW_ERROR_COLUMN, Chunk, SourceInfo
from foxreach_cli.validate import LeadDefaults, validate_chunk


def make_chunk(columns: dict[str, list], *, file: str = "leads.csv", dtype: str = "str") -> Chunk:
    frame = pd.DataFrame(columns, dtype=dtype)
    n = len(frame)
    return Chunk(file, frame, np.arange(2, 2 + n, dtype=np.int64))


def check(columns: dict[str, list], defaults: LeadDefaults | None = None, **map_kw):
    chunk = make_chunk(columns)
    headers = [c for c in columns if c != ROW_ERROR_COLUMN]
    mapping = build_mapping(SourceInfo("leads.csv", "csv", headers, headers), **map_kw)
    vc = validate_chunk(chunk, mapping, defaults or LeadDefaults())
    assert len(vc.valid) + len(vc.invalid) == len(chunk.frame)  # every row accounted once
    return vc


def reasons(vc) -> dict[int, str]:
    return dict(zip(vc.invalid["row"].tolist(), worded(vc.invalid), strict=True))


#: A reader's mark on a row with more cells than the header.
LONG = encode_cell(ReasonCode.LONG_ROW.of(5, 3))


def worded(invalid) -> list[str]:
    """The rejected rows' reasons as people read them."""
    return [c.text(c.unpack(p)) for c, p in zip(invalid["code"], invalid["params"], strict=True)]


def validator_reason(email: str) -> str | None:
    try:
        email_validator.validate_email(email, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        return str(exc)
    return None


# --- rows and reasons --------------------------------------------------------------------


def test_each_rejected_row_gets_one_reason_in_rule_order():
    vc = check(
        {
            "Email": ["ok@acme.com", "  ", None, "bad@", "x@acme.com", "y@acme.com", "  "],
            "Status": ["Active", "active", "", "", "lead", "replied", None],
            "Name": ["A", "B", "C", "D", "E", "F", "   "],
            ROW_ERROR_COLUMN: [
                None,
                None,
                None,
                None,
                None,
                encode_cell(ReasonCode.LONG_ROW.of(5, 3)),
                None,
            ],
        }
    )
    assert vc.valid["row"].tolist() == [2]
    assert reasons(vc) == {
        3: "missing email",
        4: "missing email",
        5: "invalid email: " + validator_reason("bad@"),
        6: "status 'lead' is not one of active, bounced, unsubscribed, replied",
        7: "row has 5 cells but the header has 3",
        8: "empty row",
    }
    assert vc.invalid["email"].tolist() == ["", "", "bad@", "x@acme.com", "y@acme.com", ""]
    assert vc.invalid["row"].dtype == np.int64


def test_email_is_sent_trimmed_as_written_and_the_key_is_its_lowercase():
    vc = check({"Email": ["  John.Smith@Example.COM\t", "\u00a0ANA@x.io"]})
    assert vc.valid["email"].tolist() == ["John.Smith@Example.COM", "ANA@x.io"]
    assert vc.valid["key"].tolist() == ["john.smith@example.com", "ana@x.io"]
    assert vc.valid["row"].tolist() == [2, 3] and vc.valid["row"].dtype == np.int64


def test_invalid_email_reason_is_email_validators_sentence():
    bad = ["john@acme", "john.acme.com", "john@@acme.com", "jo hn@acme.com", "a@b.c0", "n/a"]
    vc = check({"Email": bad})
    assert vc.valid.empty
    assert worded(vc.invalid) == [f"invalid email: {validator_reason(e)}" for e in bad]


def test_unicode_and_idn_addresses_get_email_validators_verdict():
    emails = ["josé.garcía@acme.com", "müller@bücher.de", "e\u0301@x.com", "\u200bx@acme.com"]
    vc = check({"Email": emails})
    valid = set(vc.valid["email"])
    for e in emails:
        assert (e in valid) == (validator_reason(e) is None), e


def test_newline_inside_an_email_cell_does_not_shift_other_rows():
    vc = check({"Email": ["a@acme.com", "b@acme.com\nc@acme.com", "d@acme.com"]})
    assert vc.valid["email"].tolist() == ["a@acme.com", "d@acme.com"]
    assert reasons(vc)[3].startswith("invalid email: ")


def test_status_is_checked_any_case_sent_lowercase_and_defaulted_where_blank():
    vc = check(
        {"Email": ["a@x.com", "b@x.com", "c@x.com"], "Status": ["BOUNCED", " ", None]},
        LeadDefaults(status="replied"),
    )
    assert vc.valid["status"].tolist() == ["bounced", "replied", "replied"]
    plain = check({"Email": ["a@x.com"]})
    assert plain.valid["status"].tolist() == [None]


def test_source_comes_from_the_cell_or_the_default():
    vc = check({"Email": ["a@x.com", "b@x.com"], "Source": [" webinar ", ""]})
    assert vc.valid["source"].tolist() == ["webinar", "csv_import"]


def test_object_dtype_with_none_and_nan_cells_works_like_str_dtype():
    cols = {"Email": ["a@x.com", None, np.nan, " b@x.com "], "Company": [None, "X", "Y", np.nan]}
    chunk = make_chunk(cols, dtype="object")
    mapping = build_mapping(SourceInfo("f", "csv", list(cols), list(cols)))
    vc = validate_chunk(chunk, mapping)
    assert vc.valid["email"].tolist() == ["a@x.com", "b@x.com"]
    assert reasons(vc) == {3: "missing email", 4: "missing email"}


def test_an_empty_chunk_gives_empty_frames():
    vc = check({"Email": []})
    assert vc.valid.empty and vc.invalid.empty
    assert list(vc.invalid.columns) == ["row", "email", "code", "params"]


def test_mapped_email_column_is_used_whatever_its_header():
    vc = check(
        {"Contact": ["a@x.com", "nope"], "Email": ["z@x.com", "z@x.com"]},
        overrides={"Contact": Target("field", "email")},
    )
    assert vc.valid["email"].tolist() == ["a@x.com"]


# --- defaults ----------------------------------------------------------------------------


def test_lead_defaults_are_normalised_and_checked_once_in_the_config():
    d = parse_lead_defaults(source=" fair ", status=" Active ", tags=(" vip", "", "vip", "q1"))
    assert (d.source, d.status, d.tags) == ("fair", "active", ("vip", "q1"))
    with pytest.raises(UsageError) as caught:
        parse_lead_defaults(status="lead")
    assert caught.value.describe("--status") == (
        "--status must be one of active, bounced, unsubscribed, replied."
    )
    with pytest.raises(UsageError) as caught:
        parse_lead_defaults(source="  ")
    assert caught.value.describe("--source") == (
        "--source must not be empty; give a name such as csv_import."
    )


# --- email fast path ---------------------------------------------------------------------

TRICKY = [
    "n/a",
    "John Smith",
    "a<b",
    "a＠b.com",
    "a﹫b.com",
    "john@acme",
    "john@ACME-corp",
    "jo.hn@a-b-c",
    "x@xn--abc",
    "a@b--c",
    '"a"@acme',
    "a..b@x.com",
    ".a@x.com",
    "a.@x.com",
    "a@-x.com",
    "a@x-.com",
    "a@x.c",
    "a@x.123",
    "a@localhost",
    "a@x.localhost",
    "a@x.test",
    "a@x.LOCAL",
    "a@x.onion",
    "a b@x.com",
    '"quoted"@x.com',
    '"a@b"@x.com',
    "a@x..com",
    "a@x.com.",
    "@x.com",
    "a@",
    "a@.com",
    "a@@x.com",
    "a@x_y.com",
    "a@ab--cd.com",
    "a@xn--bcher-kva.de",
    "a@xn--zz.com",
    "josé@x.com",
    "jose@bücher.de",
    "a@bu\u0308cher.de",
    "e\u0301@x.com",
    "\u0301e@x.com",
    "\u200b@x.com",
    "a\u00a0b@x.com",
    "Ⅻ@x.com",
    "名前@例え.jp",
    "a" * 65 + "@x.com",
    "a" * 64 + "@x.com",
    "a@" + "b" * 64 + ".com",
    "a@" + ".".join(["b" * 60] * 4) + ".com",
    "a" * 250 + "@x.com",
    "a@[127.0.0.1]",
    "John <john@x.com>",
    "a@x.com\n",
    "a\n@x.com",
    "a@x.c\u00f6m",
    "a@x.com\x00",
    "a＠x.com",
    "a@x.co\u200b",
    "a@x.com ",
]
PLAIN = [
    "john.smith@acme.com",
    "J.O'Brien+list@Sub.Example.CO.UK",
    "a-b_c@x-y.io",
    "x@a1.b2.museum",
]


@pytest.mark.parametrize("email", TRICKY + PLAIN)
def test_fast_paths_never_accept_what_email_validator_rejects(email):
    # In a chunk, cells are trimmed first.
    assert validate_chunk_verdict(email) == validator_reason(email.strip())


@pytest.fixture
def slow_path_asked(monkeypatch) -> list[str]:
    """The addresses validation hands to email-validator (its slow path), in order."""
    asked: list[str] = []
    real = validate.email_verdict

    def counting(email: str) -> str | None:
        asked.append(email)
        return real(email)

    monkeypatch.setattr(validate, "email_verdict", counting)
    return asked


def test_plain_addresses_take_the_vectorised_path(slow_path_asked):
    vc = check({"Email": PLAIN})
    assert len(vc.valid) == len(PLAIN)
    assert slow_path_asked == []


def test_the_fast_path_keeps_each_verdict_on_its_own_row(slow_path_asked):
    emails = ["a@x.com", "", "bad", "b@y.org", "c\n@x.com", "d@z.net"]
    vc = check({"Email": emails, "Name": ["A", "B", "C", "D", "E", "F"]})
    assert vc.valid["row"].tolist() == [2, 5, 7]
    assert reasons(vc) == {
        3: "missing email",
        4: "invalid email: " + validator_reason("bad"),
        6: "invalid email: " + validator_reason("c\n@x.com"),
    }
    assert "a@x.com" not in slow_path_asked and "b@y.org" not in slow_path_asked


def validate_chunk_verdict(email: str) -> str | None:
    vc = check({"Email": ["ok@acme.com", email, "ok2@acme.com"]})
    assert vc.valid["email"].tolist()[0] == "ok@acme.com"  # neighbours unaffected
    r = reasons(vc).get(3)
    return None if r is None else r.removeprefix("invalid email: ")


_EMAILISH = st.text(
    alphabet=st.sampled_from(
        [
            *"abcXYZ019.-_+@'\"<> \t\n!#$%&*/=?^`{|}~,;:()[]\\",
            *["é", "ü", "名", "\u0301", "\u200b", "\u00a0", "Ⅻ", "ß", "İ", "K", "\x00", "＠"],
        ]
    ),
    max_size=24,
)
_DOMAINISH = st.from_regex(r"[a-z0-9][a-z0-9\-\.]{0,12}\.[a-zA-Z0-9\-]{1,6}", fullmatch=True)


_NO_PERIOD_ISH = st.from_regex(r"[a-z.\-_+]{0,6}@[a-zA-Z0-9\-]{0,8}", fullmatch=True)


def test_unicode_local_parts_on_the_fast_path_are_ones_email_validator_accepts(slow_path_asked):
    # A spread of every Unicode letter/digit block (all of them were checked when writing).
    word = [chr(cp) for cp in range(0x80, 0x30000, 97) if chr(cp).isalnum()]
    emails = [e for c in word for e in (f"a{c}b@x.com", f"{c}@x.org", f"{c * 70}@x.io")]
    emails += ["cafe\u0301@x.com", "ｆｕｌｌ@x.com", "Ⅻ@x.com"]  # not NFC; NFC-changing
    vc = check({"Email": emails})
    got = {row: None for row in vc.valid["row"].tolist()} | reasons(vc)
    for row, email in enumerate(emails, start=2):
        expected = validator_reason(email)
        assert got[row] == (None if expected is None else "invalid email: " + expected), email
    assert len(emails) - len(slow_path_asked) > len(word)  # the fast path takes unicode ones
