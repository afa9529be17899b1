"""Suppression lists: every supported format, the entry kinds, subdomain matching, the default
list in the config folder and its errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from foxreach_cli.errors import InputError
from foxreach_cli.hygiene.addresses import split_addresses
from foxreach_cli.hygiene.default_list import default_list_path, default_list_status
from foxreach_cli.hygiene.suppression import (
    Suppression,
    SuppressionList,
    load_default_list,
    load_list,
)

ROWS = [
    "ann@acme.com",  # 0: the address entry
    "Ann@ACME.com",  # 1: the same, another case
    "bob@acme.com",  # 2: not listed
    "x@beta.com",  # 3: @beta.com
    "y@sub.beta.com",  # 4: a subdomain of beta.com: not covered
    "z@gamma.com",  # 5: gamma.com (no @)
    "q@delta.com",  # 6: *.delta.com covers delta.com
    "r@a.b.delta.com",  # 7: and its subdomains
    "s@notdelta.com",  # 8: not a subdomain of delta.com
    "t@BÜCHER.de",  # 9: an IDN, listed as punycode
    "",  # 10: no address
]


def matched(lists: list[SuppressionList], rows: list[str] = ROWS) -> list[tuple[str, str] | None]:
    addresses, domains = split_addresses(np.array(rows, dtype=object))
    out = Suppression(lists).match(addresses, domains)
    return [(e.named()["list"], e.named()["entry"]) if e else None for e in out]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return str(path)


TEXT_LIST = """# people who asked not to be contacted
ann@acme.com
@beta.com

gamma.com   # the whole company
*.delta.com
\u200bxn--bcher-kva.de
"""


def expected(path: str) -> list[tuple[str, str] | None]:
    return [
        (path, "ann@acme.com"),
        (path, "ann@acme.com"),
        None,
        (path, "beta.com"),
        None,
        (path, "gamma.com"),
        (path, "*.delta.com"),
        (path, "*.delta.com"),
        None,
        (path, "xn--bcher-kva.de"),
        None,
    ]


def test_a_text_list_matches_addresses_domains_and_subdomains_only_with_a_star(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "exclude.txt", TEXT_LIST)
    loaded = load_list(path)
    assert (loaded.entries, loaded.unusable, loaded.size, loaded.columns) == (5, 0, 5, ())
    assert matched([loaded]) == expected(path)


def test_a_text_list_with_an_idn_a_header_and_unusable_lines_names_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "list.txt",
        "email\r\nann@acme.com\r\nnot an entry\r\n@beta.com\r\nbücher.de\r\nlocalhost\r\n",
    )
    loaded = load_list(path)
    assert (loaded.entries, loaded.unusable) == (3, 2)
    assert loaded.examples == ((3, "not an entry"), (6, "localhost"))
    assert matched([loaded], ["t@xn--bcher-kva.de", "u@bücher.de", "ann@acme.com"]) == [
        (path, "xn--bcher-kva.de"),
        (path, "xn--bcher-kva.de"),
        (path, "ann@acme.com"),
    ]


def test_a_cp1252_text_list_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "list.txt", "josé@acme.com\n", encoding="cp1252")
    assert matched([load_list(path)], ["José@acme.com"]) == [(path, "josé@acme.com")]


def test_a_csv_export_uses_its_email_column_not_its_website_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "unsubscribed.csv",
        "Name,Email,Website\n"
        "Ann Example,ann@acme.com,https://www.other.com\n"
        "Bea Example,bea@beta.com,other.com\n"
        "Cy Example,,\n",
    )
    loaded = load_list(path)
    assert (loaded.columns, loaded.entries, loaded.unusable) == (("Email",), 2, 0)
    assert matched([loaded], ["ann@acme.com", "x@beta.com", "x@other.com"]) == [
        (path, "ann@acme.com"),
        None,
        None,
    ]


def test_a_tsv_of_domains_is_a_list_of_domains(tmp_path: Path) -> None:
    path = write(tmp_path, "competitors.tsv", "Company\tDomain\nAcme\tacme.com\nBeta\t*.beta.com\n")
    loaded = load_list(path)
    assert loaded.columns == ("Domain",)
    assert matched([loaded], ["a@acme.com", "b@x.beta.com", "c@x.acme.com"]) == [
        (path, "acme.com"),
        (path, "*.beta.com"),
        None,
    ]


def test_an_xlsx_list_is_read_through_the_workbook_reader(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["First", "E-mail address"])
    sheet.append(["Ann", "ann@acme.com"])
    sheet.append(["Bea", "BEA@Beta.com"])
    path = tmp_path / "dnc.xlsx"
    book.save(path)
    loaded = load_list(str(path))
    assert loaded.columns == ("E-mail address",)
    assert matched([loaded], ["bea@beta.com", "ann@acme.com", "cy@acme.com"]) == [
        (str(path), "bea@beta.com"),
        (str(path), "ann@acme.com"),
        None,
    ]


def test_a_table_without_addresses_or_domains_is_refused_in_one_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, "names.csv", "First,Last\nAnn,Example\nBea,Example\n")
    with pytest.raises(InputError) as caught:
        load_list(path)
    assert str(caught.value) == (
        f"The exclusion list {path} has no column of email addresses or domains; give a file "
        "with one address or domain per line, or a column of them."
    )


def test_the_first_list_given_is_named_when_two_lists_hold_an_entry(tmp_path: Path) -> None:
    first = write(tmp_path, "a.txt", "@acme.com\n")
    second = write(tmp_path, "b.txt", "ann@acme.com\nacme.com\n")
    lists = [load_list(first), load_list(second)]
    # The address entry beats the domain entry; for the domain, the first list wins.
    assert matched(lists, ["ann@acme.com", "bob@acme.com"]) == [
        (second, "ann@acme.com"),
        (first, "acme.com"),
    ]


def test_the_default_list_lives_beside_the_settings_file_and_is_described(
    tmp_path: Path,
) -> None:
    path = default_list_path()
    assert path == Path(os.environ["HOME"]) / ".foxreach" / "exclude.txt"
    status = default_list_status()
    assert (status.path, status.exists, status.size) == (path, False, None)
    assert load_default_list() is None
    path.parent.mkdir()
    path.write_text("ann@acme.com\n", encoding="utf-8")
    status = default_list_status()
    assert (status.exists, status.size) == (True, 13)
    assert matched([load_default_list()], ["ann@acme.com"]) == [(str(path), "ann@acme.com")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_default_list_that_cannot_be_read_stops_with_one_sentence() -> None:
    path = default_list_path()
    path.parent.mkdir()
    path.write_text("ann@acme.com\n", encoding="utf-8")
    path.chmod(0)
    with pytest.raises(InputError) as caught:
        load_default_list()
    assert str(caught.value) == (
        "The default exclusion list cannot be used: Cannot read the exclusion list "
        f"{path}: permission denied. Fix or remove it; it applies to every run."
    )


def test_a_default_list_that_is_a_folder_stops_with_one_sentence() -> None:
    path = default_list_path()
    path.mkdir(parents=True)
    with pytest.raises(InputError) as caught:
        load_default_list()
    assert str(caught.value) == (
        "The default exclusion list cannot be used: Cannot read the exclusion list "
        f"{path}: it is a folder. Fix or remove it; it applies to every run."
    )


def test_entries_are_read_as_a_person_means_them(tmp_path: Path) -> None:
    """NFKC, non-breaking spaces pasted from a web page, mailto: links and a mail client's
    ``Name <address>`` are entries, not lines that silently match nothing."""
    path = write(
        tmp_path,
        "exclude.txt",
        "mailto:ann@acme.com\n"
        "\u00a0bob@acme.com\u00a0\n"
        "Cy Young <cy@acme.com>\n"
        '"Dee, Ltd" <DEE@acme.com>,\n'
        "\uff45\uff56\uff45@acme.com\n"  # full-width 'eve'
        "fay@acme.com\u200b\n",
    )
    lst = load_list(path)
    assert (lst.entries, lst.unusable) == (6, 0)
    rows = ["ann@acme.com", "bob@acme.com", "cy@acme.com", "dee@acme.com", "eve@acme.com",
            "fay@acme.com", "gus@acme.com"]  # fmt: skip
    found = matched([lst], rows)
    assert found[:6] == [(path, row) for row in rows[:6]]
    assert found[6] is None


def test_an_address_entry_covers_its_plus_addressed_forms(tmp_path: Path) -> None:
    path = write(tmp_path, "exclude.txt", "jo@acme.com\nkim+sales@acme.com\n")
    rows = ["jo+news@acme.com", "JO+x+y@Acme.com", "jo@acme.com", "jojo@acme.com",
            "kim+sales@acme.com", "kim@acme.com", "kim+other@acme.com", "+@acme.com"]  # fmt: skip
    assert matched([load_list(path)], rows) == [
        (path, "jo@acme.com"),
        (path, "jo@acme.com"),
        (path, "jo@acme.com"),
        None,
        (path, "kim+sales@acme.com"),  # a plus-addressed entry covers only itself
        None,
        None,
        None,
    ]


def test_every_line_not_used_is_counted_and_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "exclude.txt",
        "ann@acme.com\n# a comment is not a line to use\n\nsee below\n\u00a0\u00a0call Ann\u00a0\n"
        "bob@acme.com and more\n",
    )
    lst = load_list(path)
    assert (lst.entries, lst.unusable) == (1, 3)
    assert lst.skipped_note() == (
        f"{path}: skipped 3 lines that are neither an address nor a domain: "
        "line 4 'see below', line 5 'call Ann', line 6 'bob@acme.com and more'"
    )
    assert load_list(write(tmp_path, "ok.txt", "ann@acme.com\n")).skipped_note() is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "does not exist"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "it is not a CSV or XLSX file"),
        ("xlsx", "it has no header row (every sheet is empty)"),
        (b'email,name\nann@acme.com,"Ann\n', "the quote that opens in row 2 is never closed"),
    ],
    ids=["missing", "binary", "empty-workbook", "unclosed-quote"],
)
def test_a_list_that_cannot_be_read_says_which_list_and_how_to_fix_it(
    tmp_path: Path, content: bytes | str | None, reason: str
) -> None:
    path = tmp_path / "suppress.csv"
    if content == "xlsx":
        path = tmp_path / "suppress.xlsx"
        openpyxl.Workbook().save(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_list(str(path))
    text = str(caught.value)
    assert f"exclusion list {path}" in text
    assert reason in text
    # Never the fix meant for a lead file.
    assert "--sheet" not in text and "leads" not in text
    assert "Give a text file" in text or "Check its path" in text
