"""The command-line options, declared once as ``Annotated`` aliases and shared between commands,
in the order of the config's parts; :mod:`.option_groups` gathers them into those parts.

The defaults are not here: they are :mod:`foxreach_cli.defaults`'s, the one place each is set.
This module is read before any option is parsed (``--help`` too), so it imports nothing heavy.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ..defaults import DOMAIN_CACHE_DAYS, MAX_DEFAULT_CONCURRENCY, Unmapped
from ..stage_data import LEAD_STATUSES, MAX_BATCH
from .errors import FailOn

# -- the run ----------------------------------------------------------------------------------
Files = Annotated[
    list[str],
    typer.Argument(help="CSV/TSV/TXT/XLSX files or folders; '-' reads stdin.", show_default=False),
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Read, map, validate and dedup; send nothing.")
]
Sandbox = Annotated[
    bool,
    typer.Option("--sandbox", help="Import into the embedded local sandbox; no account needed."),
]
SandboxDb = Annotated[
    str | None,
    typer.Option(
        "--sandbox-db",
        metavar="PATH",
        help="The database --sandbox keeps its leads in (default: the one of 'foxreach "
        "sandbox serve'; ':memory:' for a throw-away one).",
        show_default=False,
    ),
]
Limit = Annotated[int | None, typer.Option("--limit", help="Process only the first N data rows.")]
Campaign = Annotated[
    str | None,
    typer.Option(
        "--campaign",
        metavar="ID",
        help="Then add the file's active leads to this campaign (checked before sending).",
        show_default=False,
    ),
]
AllowNewColumns = Annotated[
    bool,
    typer.Option(
        "--allow-new-columns", help="Accept columns added since the --mapping file was written."
    ),
]

# -- credentials ------------------------------------------------------------------------------
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help="API key (otr_...); default: $FOXREACH_API_KEY, .env, ~/.foxreach/config.json.",
        show_default=False,
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="API base URL; default: $FOXREACH_BASE_URL, .env, ~/.foxreach/config.json, "
        "or https://api.foxreach.io/api/v1.",
        show_default=False,
    ),
]
EnvFile = Annotated[
    str | None,
    typer.Option(
        "--env-file",
        help="Read FOXREACH_* settings from this file (default .env).",
        show_default=False,
    ),
]

# -- reading and mapping (import and map) -----------------------------------------------------
Sheet = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        help="Workbook sheet name or 1-based number; 'all' reads every sheet of leads, each "
        "as its own input (default: the first sheet holding email addresses).",
    ),
]
Encoding = Annotated[
    str | None, typer.Option("--encoding", help="Text encoding (default: detected).")
]
Delimiter = Annotated[
    str | None,
    typer.Option("--delimiter", help="Field delimiter, e.g. ';' or 'tab' (default: detected)."),
]
HeaderRow = Annotated[
    int | None,
    typer.Option(
        "--header-row",
        help="Row number of the column names (default: found past any notes above them).",
        show_default=False,
    ),
]
Maps = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Column=field (repeatable); field is a lead field, "
        "customFields.<key>, tags or ignore.",
    ),
]
MappingFile = Annotated[
    str | None, typer.Option("--mapping", help="Mapping TOML file from 'foxreach map --write'.")
]
UnmappedColumns = Annotated[
    Unmapped,
    typer.Option("--unmapped", help="Unrecognised columns become customFields, or are ignored."),
]
ConsentRequired = Annotated[
    bool,
    typer.Option(
        "--consent-required",
        help="A no in a marketing-permission column (Permission to email, GDPR consent) "
        "imports the lead as unsubscribed.",
    ),
]

# -- lead defaults ----------------------------------------------------------------------------
Tags = Annotated[
    list[str] | None, typer.Option("--tag", help="Tag added to every lead (repeatable).")
]
Source = Annotated[str, typer.Option("--source", help="Lead source.")]
Status = Annotated[
    str | None,
    typer.Option(
        "--status", help="Status for leads without one: " + ", ".join(LEAD_STATUSES) + "."
    ),
]

# -- sending ----------------------------------------------------------------------------------
NoRestore = Annotated[
    bool,
    typer.Option("--no-restore", help="Count soft-deleted matches as duplicates; don't restore."),
]
BatchSize = Annotated[int, typer.Option("--batch-size", help=f"Leads per request (1-{MAX_BATCH}).")]
RateLimit = Annotated[
    int, typer.Option("--rate-limit", help="Requests per minute this run may use.")
]
RateWindow = Annotated[
    float,
    typer.Option(
        "--rate-window",
        help="Length in seconds of the API's rate window "
        "(60; smaller only for sandboxes and tests).",
    ),
]
Concurrency = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        help="Requests in flight at once [default: the --rate-limit, at most "
        f"{MAX_DEFAULT_CONCURRENCY}: a whole window's budget at once].",
        show_default=False,
    ),
]
Timeout = Annotated[
    float, typer.Option("--timeout", help="Seconds to wait for each answer before retrying.")
]
RetryBackoff = Annotated[
    float,
    typer.Option(
        "--retry-backoff",
        help="Longest wait in seconds before the first retry of a failed request; it doubles "
        "with each retry, up to 30 (smaller only for sandboxes and tests).",
    ),
]
ExactReport = Annotated[
    bool,
    typer.Option(
        "--exact-report", help="Batches of at most 100, so every duplicate and error is named."
    ),
]

# -- list hygiene (docs/hygiene.md) ---------------------------------------------------------
Exclude = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        metavar="FILE",
        help="Addresses and domains never to import: a text list (one a line; acme.com, "
        "*.acme.com for subdomains too) or a CSV/TSV/XLSX column (repeatable). "
        "~/.foxreach/exclude.txt always applies.",
        show_default=False,
    ),
]
CheckDomains = Annotated[
    bool,
    typer.Option(
        "--check-domains",
        help="Ask DNS whether each domain takes mail (MX, then A/AAAA); leave out rows whose "
        "domain does not exist or takes none. "
        f"Answers are cached for {DOMAIN_CACHE_DAYS} days.",
    ),
]
Resolver = Annotated[
    str | None,
    typer.Option(
        "--resolver",
        metavar="HOST[:PORT]",
        help="The DNS server --check-domains asks (default: the system's).",
        show_default=False,
    ),
]
SkipRole = Annotated[
    bool,
    typer.Option("--skip-role", help="Leave out role addresses (info@, sales@, noreply@...)."),
]
SkipDisposable = Annotated[
    bool,
    typer.Option("--skip-disposable", help="Leave out addresses at disposable-mail domains."),
]
IgnoreVerdicts = Annotated[
    bool,
    typer.Option(
        "--ignore-verdicts",
        help="Import rows whose verification column (ZB Status, Email Status...) says "
        "invalid or do-not-mail.",
    ),
]

# -- outputs ----------------------------------------------------------------------------------
Report = Annotated[
    str | None, typer.Option("--report", help="Write the final report as JSON to this file.")
]
Rejected = Annotated[
    str | None,
    typer.Option(
        "--rejected",
        help="Write every row not imported (original columns + row, reason) to this CSV.",
    ),
]
LogFile = Annotated[
    str | None,
    typer.Option(
        "--log-file", help="Append timestamped progress and summary lines here.", show_default=False
    ),
]

# -- state and unattended runs ----------------------------------------------------------------
Resume = Annotated[
    bool | None,
    typer.Option(
        "--resume/--no-resume",
        help="Send only what earlier runs of the same file "
        "did not get answered (default: on; off for --sandbox).",
        show_default=False,
    ),
]
StateDir = Annotated[
    str | None,
    typer.Option(
        "--state-dir",
        help="Where the resume journal, locks and shared rate budget "
        "live (default: the user's state directory).",
        show_default=False,
    ),
]
LockTimeout = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        help="Seconds to wait for another run working on the same file; then exit 6.",
    ),
]
MoveDone = Annotated[
    str | None,
    typer.Option(
        "--move-done",
        help="Move each file fully accounted for into this folder (never on a failed run).",
        show_default=False,
    ),
]
Force = Annotated[bool, typer.Option("--force", help="Import files already imported before again.")]

# -- display ----------------------------------------------------------------------------------
JsonOut = Annotated[
    bool, typer.Option("--json", help="Print only the final report as JSON on stdout.")
]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the one-line summary and errors.")
]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="More detail, including on failures.")
]
FailOnOption = Annotated[
    FailOn,
    typer.Option(
        "--fail-on", help="Exit 1 when rows were rejected: errors, duplicates (or errors), never."
    ),
]
