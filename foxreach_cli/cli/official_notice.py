"""The one sentence every ``foxreach`` command prints when FoxReach's own CLI (the
``foxreach-cli`` distribution) is installed in the same environment: both install the import
package ``foxreach_cli`` and the ``foxreach`` command, so whichever came last owns them.

The check is a directory listing or two (no importlib.metadata scan of sys.path at every
start): the ``foxreach_cli-*.dist-info`` folder in the site-packages this package runs from (or
the interpreter's), or a module only the official package ships next to ours."""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Iterable
from pathlib import Path

NOTICE = (
    "foxreach-import replaces the official foxreach-cli, which is also installed here "
    "(every command of it works in this foxreach); to remove it cleanly, run "
    "'pip uninstall foxreach-cli', then 'pip install --force-reinstall foxreach-import'."
)
#: A module the official package has and ours never has (see foxreach_cli/official/).
_THEIR_MODULE = "client_factory.py"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _site_dirs() -> list[Path]:
    """Where a foxreach-cli install would have put its metadata."""
    dirs = [_PACKAGE_DIR.parent]
    purelib = sysconfig.get_paths().get("purelib")
    if purelib and Path(purelib) != _PACKAGE_DIR.parent:
        dirs.append(Path(purelib))
    return dirs


def official_cli_installed(
    site_dirs: Iterable[Path] | None = None, package_dir: Path = _PACKAGE_DIR
) -> bool:
    """Whether the ``foxreach-cli`` distribution is installed beside this package."""
    if (package_dir / _THEIR_MODULE).exists():
        return True
    for folder in _site_dirs() if site_dirs is None else site_dirs:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        if any(n.startswith("foxreach_cli-") and n.endswith(".dist-info") for n in names):
            return True
    return False


def wants_quiet(args: Iterable[str]) -> bool:
    """Whether a command line asks for machine-readable or quiet output (no notice then)."""
    return any(arg in ("--json", "--quiet", "-q") for arg in args)
