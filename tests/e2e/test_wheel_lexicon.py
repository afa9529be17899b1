"""The lexicon is package data: a wheel built from the project carries every language file,
and the words load from the installed package (not from a source checkout)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_a_built_wheel_carries_the_lexicon(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "foxreach_cli",
        project / "foxreach_cli",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(wheels), str(project)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    (wheel,) = wheels.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    languages = sorted(
        p.name for p in (ROOT / "foxreach_cli" / "mapping" / "lexicon").glob("*.toml")
    )
    assert len(languages) >= 9
    for language in languages:
        assert f"foxreach_cli/mapping/lexicon/{language}" in names

    # Installed from the wheel alone, the importer reads its words.
    target = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(target)
    probe = (
        "from foxreach_cli.mapping.lexicon import lexicon; "
        "print(len(lexicon().languages), 'abgemeldet' in lexicon().opt_out_values)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(target)},
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.stdout.split() == [str(len(languages)), "True"]
