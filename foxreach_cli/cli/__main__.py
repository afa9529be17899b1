"""``python -m foxreach_cli.cli``: the ``foxreach`` command."""

from .app import main

if __name__ == "__main__":  # pragma: no cover
    main()
