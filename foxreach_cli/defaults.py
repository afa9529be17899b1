"""Every default a run takes for an option not given, in one place.

The command-line signatures and their ``--help``, the config's parts (:mod:`.import_config`,
:class:`.send.SendPolicy`, :class:`.validate.LeadDefaults`) and the pipeline read them from
here. Light on purpose: the CLI imports it before it parses an option, so it loads neither
pandas nor httpx (only the two API facts of :mod:`.rate_budget` and :mod:`.stage_data`).
"""

from __future__ import annotations

from enum import StrEnum

from .rate_budget import API_RATE_LIMIT, API_RATE_WINDOW
from .stage_data import MAX_BATCH


class Unmapped(StrEnum):
    """What becomes of a column no rule recognises (``--unmapped``)."""

    custom = "custom"
    ignore = "ignore"


# -- credentials ------------------------------------------------------------------------------
ENV_FILE = ".env"  # the file FOXREACH_* settings are read from (--env-file)

# -- reading and mapping ----------------------------------------------------------------------
UNMAPPED = Unmapped.custom
#: Rows per chunk. A live import is paced by the API: small chunks get the first request out
#: sooner; a dry run is paced by the CPU: large chunks amortise per-chunk work.
DRY_RUN_CHUNK_ROWS = 50_000
LIVE_CHUNK_ROWS = 10_000

# -- lead defaults ----------------------------------------------------------------------------
SOURCE = "csv_import"  # --source

# -- sending ----------------------------------------------------------------------------------
BATCH_SIZE = MAX_BATCH  # leads per request: the most the API takes
RATE_LIMIT = API_RATE_LIMIT  # requests per window
RATE_WINDOW = API_RATE_WINDOW  # seconds
TIMEOUT = 30.0  # seconds to wait for an answer (and to write a request) before retrying
#: Seconds: the first retry of a failed request waits a random time up to this, each later one
#: up to twice the one before (at most 30 s).
RETRY_BACKOFF = 0.5
RESTORE = True  # restore soft-deleted matches (--no-restore: count them as duplicates)
#: The most requests in flight without ``--concurrency``, whatever the rate limit: each holds a
#: thread, a connection and a batch of up to 1000 leads, and the API's own budget is 100 a minute.
MAX_DEFAULT_CONCURRENCY = 100


def default_concurrency(limit: int) -> int:
    """Requests in flight when ``--concurrency`` is not given: enough to send a whole window's
    ``limit`` at once (docs/rate-budget.md), at most :data:`MAX_DEFAULT_CONCURRENCY`."""
    return max(1, min(limit, MAX_DEFAULT_CONCURRENCY))


# -- list hygiene -----------------------------------------------------------------------------
DOMAIN_CACHE_DAYS = 7  # how long a checked domain's answer is trusted

# -- state ------------------------------------------------------------------------------------
LOCK_TIMEOUT = 0.0  # seconds to wait for another run working on the same file
