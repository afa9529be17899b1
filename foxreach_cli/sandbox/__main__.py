"""``python -m foxreach_cli.sandbox serve ...``: the sandbox CLI without the main CLI."""

from .cli import app

if __name__ == "__main__":
    app(prog_name="python -m foxreach_cli.sandbox")
