"""Readers behind ``foxreach_cli.read`` (import from there): one module per concern."""
