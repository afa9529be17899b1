"""The official FoxReach CLI's command groups (foxreach-cli 0.2.0), rebuilt on the official SDK.

``leads``, ``campaigns``, ``sequences``, ``templates``, ``accounts``, ``inbox``, ``analytics`` and
``webhooks`` take the same subcommands, arguments and options as foxreach-cli 0.2.0 and print the
same ``--json`` shapes; errors and exit codes are this project's (cli/errors.py). Each group is
its own module with a Typer app named ``app``; ``GROUPS`` lists them so that the main CLI loads
a group only when it is asked for (the SDK and httpx are imported when a command runs).

``session`` makes the SDK client (credentials, ``--sandbox``, error translation and 429 waits),
``views`` prints tables, details and JSON.
"""

from __future__ import annotations

#: Group name -> (module under this package, one-line help shown by ``foxreach --help``).
GROUPS: dict[str, tuple[str, str]] = {
    "leads": ("leads_cmd", "Manage leads."),
    "campaigns": ("campaigns_cmd", "Manage campaigns."),
    "sequences": ("sequences_cmd", "Manage campaign sequences (email steps)."),
    "templates": ("templates_cmd", "Manage email templates."),
    "accounts": ("accounts_cmd", "Manage email accounts."),
    "inbox": ("inbox_cmd", "Manage inbox threads."),
    "analytics": ("analytics_cmd", "View analytics and stats."),
    "webhooks": ("webhooks_cmd", "Manage webhooks."),
}
