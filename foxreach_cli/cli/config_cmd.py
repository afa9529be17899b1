"""``foxreach config``: show and save the API key and base URL."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..credentials import (
    API_KEY_ENV,
    BASE_URL_ENV,
    mask_key,
    resolve_credentials_explained,
    write_config_value,
    write_env_value,
)
from ..defaults import ENV_FILE
from ..errors import FoxReachImportError, UsageError
from ..hygiene.default_list import default_list_status
from ..state import default_state_dir
from .errors import out_console, user_errors

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    help="Show and save the API key and base URL foxreach uses.", no_args_is_help=True
)


@app.command("show")
def config_show(
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="As for import.", show_default=False)
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="As for import.", show_default=False)
    ] = None,
    env_file: Annotated[
        str | None, typer.Option("--env-file", help="As for import.", show_default=False)
    ] = None,
    state_dir: Annotated[
        str | None, typer.Option("--state-dir", help="As for import.", show_default=False)
    ] = None,
) -> None:
    """Show the base URL, the API key (masked) and where each came from, the state directory
    and the default exclusion list."""
    with user_errors(False):
        creds, origins = resolve_credentials_explained(
            api_key=api_key, base_url=base_url, env_file=env_file
        )
        out = out_console()
        key = mask_key(creds.api_key) if creds.api_key else "(none)"
        out.print(f"base URL:  {creds.base_url}  [dim]({origins['base_url']})[/]")
        out.print(f"API key:   {key}  [dim]({origins['api_key']})[/]")
        out.print(f"state dir: {state_dir or default_state_dir()}")
        listed = default_list_status()
        if listed.exists:
            size = f"{listed.size:,} bytes" if listed.size is not None else "size unknown"
            out.print(
                f"exclusion list: {listed.path} ({size}; applies to every import)", markup=False
            )
        else:
            out.print(
                f"exclusion list: {listed.path} (none; create it to exclude addresses and "
                "domains from every import)",
                markup=False,
            )
        out.print(
            "[dim]Precedence: flags, then environment variables, then the .env file, "
            "then ~/.foxreach/config.json.[/]"
        )


@app.command("init")
def config_init(
    env_file: Annotated[
        str, typer.Option("--env-file", help="The file to write the key to.")
    ] = ENV_FILE,
) -> None:
    """Ask for the API key (hidden) and save it to .env, readable by you only."""
    with user_errors(False):
        key = _key_to_save(
            _ask_key(
                "FoxReach API key",
                "run 'foxreach config init' in a terminal to type it, or pipe it in.",
            )
        )
        write_env_value(Path(env_file), API_KEY_ENV, key)
        out_console().print(
            f"Saved {mask_key(key)} to {env_file} (owner-only). "
            "foxreach reads it from there when run in this directory."
        )


@app.command("set-key")
def config_set_key(
    key_arg: Annotated[
        str | None,
        typer.Argument(
            metavar="[KEY]", help="The API key (otr_...); asked for (hidden) when not given."
        ),
    ] = None,
    key_opt: Annotated[
        str | None,
        typer.Option(
            "--key", help="The API key, as the official CLI takes it.", show_default=False
        ),
    ] = None,
) -> None:
    """Save the API key to ~/.foxreach/config.json (owner-only), as the official CLI does."""
    with user_errors(False):
        if key_arg and key_opt and key_arg != key_opt:
            raise UsageError("Give the key once: as KEY or with --key; nothing was written.")
        key = _key_to_save(
            key_arg or key_opt or _ask_key("API key", "pass it as an argument or with --key.")
        )
        path = write_config_value(API_KEY_ENV, key)
        out = out_console()
        out.print(f"API key saved: {mask_key(key)} in {path} (owner-only).", markup=False)
        _note_override("api_key", out)


def _ask_key(prompt: str, otherwise: str) -> str:
    """The key from a hidden prompt at a terminal, else the first line of standard input (a
    pipe: no prompt, no getpass warnings). Nothing there is one sentence ending in
    ``otherwise``; Ctrl-C at the prompt is an interruption."""
    if not sys.stdin.isatty():
        typed = sys.stdin.readline()
    else:
        try:
            typed = typer.prompt(prompt, hide_input=True)
        except typer.Abort as exc:  # click makes both Ctrl-D and Ctrl-C "Aborted!", exit 1
            if isinstance(exc.__context__, KeyboardInterrupt):
                raise KeyboardInterrupt from None
            typed = ""
    if not typed.strip():
        raise UsageError(f"No API key given on standard input; {otherwise}")
    return typed


def _key_to_save(typed: str) -> str:
    """A key given to ``config init`` or ``set-key``, trimmed, refused unless it looks like a
    FoxReach key that can be sent in a header."""
    from ..client import check_api_key  # httpx: only for the commands that save a key

    key = typed.strip()
    if not key.startswith("otr_"):
        raise UsageError("FoxReach API keys start with otr_; nothing was written.")
    return check_api_key(key)


@app.command("set-url")
def config_set_url(
    url: Annotated[
        str, typer.Argument(help="The API base URL, e.g. https://api.foxreach.io/api/v1.")
    ],
) -> None:
    """Save the API base URL to ~/.foxreach/config.json, as the official CLI does."""
    from ..client import check_base_url  # httpx parses the URL

    with user_errors(False):
        url = check_base_url(url)
        path = write_config_value(BASE_URL_ENV, url)
        out = out_console()
        out.print(f"Base URL set to {url} in {path}.", markup=False)
        _note_override("base_url", out)


def _note_override(setting: str, out: Console) -> None:
    """Say so when a flagless run would not use the value just saved (an environment variable
    or .env in this directory comes first)."""
    try:
        _, origins = resolve_credentials_explained(api_key=None, base_url=None, env_file=None)
    except FoxReachImportError:
        return  # a broken .env is reported by the commands that use it
    origin = origins[setting]
    if origin.startswith("$") or origin == ".env file":
        out.print(f"Note: {origin} is set here and comes first.", markup=False)
