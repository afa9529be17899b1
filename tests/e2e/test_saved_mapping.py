"""A saved mapping is the same mapping: for every export file (and a few made here), the
leads of a plain dry run equal those of a dry run with the file ``map --write`` saved. Runs
the CLI about 75 times, so it lives with the slow tests."""

from __future__ import annotations

from pathlib import Path

from foxreach_cli.cli import app
from tests.exports import EXPORTS
from tests.unit.test_names import _leads, _made_files, runner


def test_a_saved_mapping_gives_the_same_leads(tmp_path: Path) -> None:
    # Every export but the one made to be refused (its first row is a lead, not a header).
    exports = [p for p in sorted(EXPORTS.glob("*.csv")) if p.name != "no_header_row.csv"]
    files = exports + _made_files(tmp_path)
    split_seen = 0
    recorded = ""
    for path in files:
        saved = str(tmp_path / f"{path.stem}.toml")
        result = runner.invoke(app, ["map", str(path), "--write", saved])
        assert result.exit_code == 0, (path.name, result.output)
        plain, replayed = _leads(path), _leads(path, saved)
        assert plain, path.name
        assert replayed == plain, path.name
        split_seen += any("firstName" in lead for lead in plain) and "split_name" in Path(
            saved
        ).read_text(encoding="utf-8")
        recorded += Path(saved).read_text(encoding="utf-8")
    assert split_seen >= 3  # the full-name files really were split, with and without it
    # The opt-out and email-fallback decisions were recorded (and so replayed) too.
    for kind in ("[decisions.email_fallback]", "[decisions.opt_out_flag_unsubscribed]",
                 "[decisions.opt_out_status]"):  # fmt: skip
        assert kind in recorded
