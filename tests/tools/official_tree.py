"""Write the official foxreach-cli's command tree as JSON (tests/data/official_cli_tree.json).

The official CLI installs the same import package (``foxreach_cli``) as this project, so it
cannot be loaded beside ours: this script makes a throw-away virtualenv, installs the given
wheel there (``pip download foxreach-cli==0.2.0 --no-deps`` fetches it), walks its click tree in
that environment and writes what test_official_tree.py compares ours with::

    python -m tests.tools.official_tree foxreach_cli-0.2.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "official_cli_tree.json"

# Runs inside the throw-away environment: every command path with its parameters.
_DUMP = r"""
import json, sys
import click
from foxreach_cli.main import cli

def params(cmd):
    out = []
    for p in cmd.params:
        entry = {"name": p.name, "kind": "argument" if isinstance(p, click.Argument) else "option"}
        if isinstance(p, click.Option):
            entry["opts"] = sorted(p.opts)
            entry["secondary_opts"] = sorted(p.secondary_opts)
            entry["is_flag"] = bool(p.is_flag)
            entry["required"] = bool(p.required)
            if isinstance(p.type, click.Choice):
                entry["choices"] = list(p.type.choices)
            entry["type"] = p.type.name
        out.append(entry)
    return out

def walk(cmd, path, tree):
    tree[" ".join(path)] = {"group": isinstance(cmd, click.Group), "params": params(cmd)}
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            walk(sub, [*path, name], tree)

tree = {}
walk(cli, [], tree)
json.dump(tree, sys.stdout, indent=1, sort_keys=True)
"""


def dump_tree(wheel: Path) -> dict[str, object]:
    """The click tree of the CLI in ``wheel``, loaded in a fresh virtualenv."""
    with tempfile.TemporaryDirectory(prefix="official-cli-") as tmp:
        env = Path(tmp) / "venv"
        venv.EnvBuilder(with_pip=True).create(env)
        python = env / ("Scripts" if sys.platform == "win32" else "bin") / "python"
        subprocess.run([python, "-m", "pip", "install", "-q", str(wheel)], check=True)
        # cwd: away from this checkout, whose own foxreach_cli would shadow the installed one.
        out = subprocess.run(
            [python, "-I", "-c", _DUMP], check=True, capture_output=True, text=True, cwd=tmp
        )
    tree: dict[str, object] = json.loads(out.stdout)
    return tree


def main() -> None:
    """Command-line entry: wheel path in, fixture out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="the foxreach-cli wheel (0.2.0)")
    parser.add_argument("--out", type=Path, default=FIXTURE, help="where to write the JSON")
    args = parser.parse_args()
    tree = dump_tree(args.wheel)
    args.out.write_text(json.dumps(tree, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(tree)} commands written to {args.out}")


if __name__ == "__main__":
    main()
