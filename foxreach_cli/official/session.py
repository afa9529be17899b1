"""One official command's connection: credentials (or the embedded sandbox), the SDK client,
and every SDK call made through :meth:`Api.call`, which waits out a 429 and turns the SDK's
exceptions into this project's one-sentence errors.

The SDK (and with it httpx) is imported here when a command runs, not when the CLI starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from ..cli.errors import user_errors
from ..client import check_api_key, check_base_url
from ..credentials import resolve_credentials
from ..errors import ApiError, TransientError, UsageError
from .api_errors import scrub, translate

if TYPE_CHECKING:
    from foxreach import FoxReach

    from ..sandbox.server import RunningSandbox

T = TypeVar("T")

#: The key the embedded sandbox is used with (the same as ``import --sandbox``'s, so both see
#: one workspace).
SANDBOX_KEY = "otr_sandbox"
#: 429s waited out per call; a longer wait than MAX_WAIT seconds is reported instead.
MAX_RATE_RETRIES = 3
MAX_WAIT = 60.0
#: What waits after a 429 (tests replace it; unit tests never sleep).
sleep: Callable[[float], None] = time.sleep


@dataclass
class Api:
    """The SDK client of one command, with the key and base URL it uses (for messages)."""

    client: FoxReach
    key: str
    base_url: str

    def call(self, fn: Callable[[FoxReach], T]) -> T:
        """``fn(client)``, retried after a 429 (Retry-After, else 1, 2, 4 s), with every
        SDK or transport failure raised as this project's error."""
        import httpx
        from foxreach import FoxReachError, RateLimitError

        for attempt in range(MAX_RATE_RETRIES + 1):
            try:
                return fn(self.client)
            except RateLimitError as exc:
                wait = exc.retry_after if exc.retry_after is not None else float(2**attempt)
                if attempt == MAX_RATE_RETRIES or wait > MAX_WAIT:
                    raise translate(exc, key=self.key, base_url=self.base_url) from None
                sleep(max(0.0, wait))
            except FoxReachError as exc:
                raise translate(exc, key=self.key, base_url=self.base_url) from None
            except httpx.HTTPError as exc:  # what the SDK does not wrap (a dropped connection)
                reason = scrub(str(exc), self.key) or type(exc).__name__
                raise TransientError(
                    f"The connection to {self.base_url} failed ({type(exc).__name__}: "
                    f"{reason}); the request may or may not have been processed."
                ) from None
            except ValueError:  # a 2xx whose body is not JSON: not a FoxReach API
                raise ApiError(
                    f"The server at {self.base_url} did not answer with JSON.",
                    hint="Check FOXREACH_BASE_URL (it ends in /api/v1).",
                ) from None
        raise AssertionError("unreachable")  # the loop returns or raises


@contextmanager
def session(sandbox: bool, sandbox_db: str | None) -> Iterator[Api]:
    """The SDK client for one command, inside this project's error boundary: against the
    embedded sandbox for ``--sandbox`` (kept in ``sandbox_db``), else with the key and base URL
    from the environment, .env or ~/.foxreach/config.json (as ``import`` finds them)."""
    with user_errors(False), ExitStack() as stack:
        if sandbox_db is not None and not sandbox:
            raise UsageError("--sandbox-db is for --sandbox runs; add --sandbox or drop it.")
        if sandbox:
            running = stack.enter_context(embedded_sandbox(sandbox_db))
            base_url, key = running.base_url, SANDBOX_KEY
        else:
            creds = resolve_credentials(api_key=None, base_url=None, env_file=None)
            base_url = check_base_url(creds.base_url)
            key = check_api_key(creds.api_key or "")
        from foxreach import FoxReach

        # max_retries=0: the SDK would sleep through 429s unannounced; Api.call waits instead.
        client = FoxReach(key, base_url=base_url, max_retries=0)
        stack.callback(client.close)
        yield Api(client=client, key=key, base_url=base_url)


@contextmanager
def embedded_sandbox(db: str | None) -> Iterator[RunningSandbox]:
    """The local sandbox on a free loopback port for one command, kept in ``db`` (default: the
    database of ``foxreach sandbox serve``, which ``import --sandbox`` also uses)."""
    from ..sandbox.config import SandboxConfig, SandboxConfigError
    from ..sandbox.server import SandboxStartupError, run_in_thread

    try:
        config = SandboxConfig() if db is None else SandboxConfig(db=db)
    except SandboxConfigError:
        raise UsageError("--sandbox-db must be a file path or ':memory:'.") from None
    try:
        with run_in_thread(config) as running:
            yield running
    except SandboxStartupError as exc:
        message = exc.describe("--sandbox-db")
        raise UsageError(f"The local sandbox could not start: {message}") from None
