"""The thin command-line shell: options -> config -> run -> render -> exit code.

One module per command group (``import_cmd``, ``map_cmd``, ``runs_cmd``, ``config_cmd``,
``sandbox_cmd``), the shared options in ``options`` gathered per config part in
``option_groups``, one import run in ``import_run``, the exit codes and the error boundary in
``errors``; ``app`` mounts them.
"""

from .app import app, main
from .errors import EXIT_CODES, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_REJECTED

__all__ = ["EXIT_CODES", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_REJECTED", "app", "main"]
