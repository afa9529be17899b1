"""What one sandbox app holds: config, store, limiter, faults, counters and revoked keys."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .config import SandboxConfig
from .faults import FaultInjector
from .ratelimit import RateLimiter
from .store import Store, workspace_of

if TYPE_CHECKING:
    from .outreach_store import OutreachStore


@dataclass
class SandboxStats:
    """Counters since start. Updated on the server's event loop; read them from anywhere.

    ``requests``: every HTTP request received. ``imports``: import requests admitted past auth
    and rate limit (faulted ones included). ``statuses``: responses sent, by status code (drops
    send none). ``injected_500`` / ``injected_drops``: faults injected. ``rate_limited``: 429s.
    """

    requests: int = 0
    imports: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    injected_500: int = 0
    injected_drops: int = 0
    rate_limited: int = 0

    def snapshot(self) -> dict[str, Any]:
        """A copy of the counters as plain data."""
        return {
            "requests": self.requests,
            "imports": self.imports,
            "statuses": dict(self.statuses),
            "injected_500": self.injected_500,
            "injected_drops": self.injected_drops,
            "rate_limited": self.rate_limited,
        }


@dataclass
class SandboxState:
    """Everything the routes and the gateway middleware share; one per app, no globals."""

    config: SandboxConfig
    store: Store
    limiter: RateLimiter
    faults: FaultInjector
    stats: SandboxStats = field(default_factory=SandboxStats)
    revoked: set[str] = field(default_factory=set)  # workspace ids whose key was revoked
    # Campaigns, sequences, templates, webhooks and campaign members (set by create_app).
    outreach: OutreachStore | None = None

    def revoke(self, api_key: str) -> None:
        """Make later requests with ``api_key`` fail with 403."""
        self.revoked.add(workspace_of(api_key))

    def unrevoke(self, api_key: str) -> None:
        """Accept ``api_key`` again after :meth:`revoke`."""
        self.revoked.discard(workspace_of(api_key))
