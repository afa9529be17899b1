"""``python -m foxreach_cli.sandbox serve ...``: the sandbox CLI without the main CLI."""

from ..gc_tuning import GC_THRESHOLD, tune_gc
from .cli import app

if __name__ == "__main__":
    tune_gc(GC_THRESHOLD)
    app(prog_name="python -m foxreach_cli.sandbox")
