"""Reading round-trips any table the csv module writes (hypothesis); a big file's late bad byte."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foxreach_cli.read import open_source, read_rows
from tests.unit.test_read import cell_text, read_all, row_numbers, write


def test_non_utf8_late_in_a_large_file_is_found_before_reading(tmp_path: Path) -> None:
    # The only non-ASCII byte sits past the first megabyte: the whole file is checked.
    body = "".join(f"user{i}@example.com,Name {i}\n" for i in range(60_000))
    raw = ("email,name\n" + body + "z@example.com,Zoë\n").encode("cp1252")
    info, records = read_all(write(tmp_path, "late.csv", raw))
    assert info.encoding == "cp1252"
    assert records[-1] == (60_002, {"email": "z@example.com", "name": "Zoë"})


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.lists(
        st.tuples(st.text("xyz", min_size=1, max_size=5), cell_text, cell_text), max_size=25
    ),
    chunk_rows=st.integers(1, 7),
)
def test_any_table_written_by_csv_module_reads_back_identically(
    tmp_path: Path, table: list[tuple[str, str, str]], chunk_rows: int
) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["email", "name", "notes"])
    writer.writerows(table)
    path = write(tmp_path, "round.csv", buffer.getvalue())
    info, records = read_all(path, chunk_rows=chunk_rows)
    assert info.delimiter == ","
    assert [tuple(r.values()) for _, r in records] == table
    assert row_numbers(records) == list(range(2, 2 + len(table)))
    with open_source(path) as source:
        assert [tuple(c) for _, c in read_rows(source, set(range(2, 2 + len(table))))] == table
