"""Write foxreach_cli/confusable_letters.py: the letters of other scripts that look like Latin
ones, derived from Unicode TR39's confusables as the ``confusable-homoglyphs`` package ships them.

Run ``python -m tests.tools.derive_confusable_letters`` after upgrading that package (a test in
tests/unit/test_text_fold.py fails while the shipped table and the package disagree). The table
is derived once here, not at run time: the package's 900 KB JSON would cost every start of the
CLI a load, and only a few hundred of its characters can stand for a Latin letter.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from pathlib import Path

TARGET = Path(__file__).resolve().parents[2] / "foxreach_cli" / "confusable_letters.py"


def derive() -> dict[str, str]:
    """Each non-ASCII character (one that NFKC leaves alone) whose TR39 prototype is ASCII
    letters or digits -> that prototype (``"\\u0435"`` Cyrillic e -> ``"e"``)."""
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[str, str] = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1 or char.isascii() or unicodedata.normalize("NFKC", char) != char:
            continue
        latin = [g["c"] for g in glyphs if g["c"].isascii() and g["c"].isalnum()]
        if latin:
            table[char] = latin[0]
    return table


def render(table: dict[str, str]) -> str:
    """The module's source: characters grouped by the Latin letters they stand for."""
    by_latin: dict[str, list[str]] = defaultdict(list)
    for char, latin in table.items():
        by_latin[latin].append(char)
    lines = [
        '"""Letters of other scripts that look like Latin ones (Unicode TR39 confusables),',
        "grouped by the ASCII they stand for. Generated from the confusable-homoglyphs package",
        'by tests/tools/derive_confusable_letters.py; do not edit by hand."""',
        "",
        "LOOK_ALIKES: dict[str, str] = {",
    ]
    for latin in sorted(by_latin):
        escapes = [
            f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
            for c in sorted(by_latin[latin])
        ]
        # Long groups are split over several string literals (joined by the parser), never
        # inside an escape.
        parts: list[str] = [""]
        for escape in escapes:
            if len(parts[-1]) + len(escape) > 80:
                parts.append("")
            parts[-1] += escape
        if len(parts) == 1:
            lines.append(f'    "{latin}": "{parts[0]}",')
        else:
            lines.append(f'    "{latin}": (')
            lines.extend(f'        "{p}"' for p in parts)
            lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    TARGET.write_text(render(derive()), encoding="utf-8")


if __name__ == "__main__":
    main()
