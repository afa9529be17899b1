"""Rendering of reports and mappings for people (rich) and for machines (one line, JSON).

Only the CLI calls these; the library stages never print.
"""

from __future__ import annotations

from collections import Counter
from itertools import islice

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .details import DISPOSABLE, ROLE
from .mapping.evidence import Source
from .optouts import FoundOptOut
from .readers.base import display_name
from .reasons import ReasonCode
from .report import ImportReport
from .stage_data import DUPLICATE, ERROR, EXCLUDED, INVALID, UNRESOLVED

SAMPLE_REJECTED = 10


def one_line(report: ImportReport) -> str:
    """The final one-line summary (``--quiet`` prints only this)."""
    mode = "dry run" if report.dry_run else ("sandbox" if report.sandbox else "import")
    line = (
        f"foxreach {mode}: {report.tally.rows_read:,} rows read: {report.tally.created:,} created, "
        f"{report.tally.restored:,} restored, {report.tally.duplicates:,} duplicates, "
        f"{report.tally.errors:,} errors, {report.tally.excluded:,} excluded, "
        f"{report.tally.not_sent:,} not sent "
        f"({report.elapsed_seconds:.1f} s, {report.tally.requests:,} requests)"
    )
    if report.unresolved:
        line += f"; {report.unresolved:,} rows unresolved"
    said = _opt_out_counts(report)
    if said:
        line += f"; {said}"
    if report.reproduced:
        line += "; reproduced (imported before, nothing sent)"
    refused = [display_name(f.file) for f in report.files if f.refused]
    if refused:
        line += f"; refused: {', '.join(refused)}"
    if report.stopped_because:
        line += f"; stopped: {report.stopped_because}"
    return line


#: How the summary names each outcome of an opt-out update.
_UPDATE_OUTCOMES = {
    "updated": "opted out",
    "alreadyOptedOut": "opted out already",
    "notInWorkspace": "not in the workspace",
    "notDone": "not done",
    "wouldCheck": "to look up",
}
SAMPLE_OPT_OUTS = 5


def _opt_out_counts(report: ImportReport) -> str:
    """The opt-outs carried by dedup and brought to leads already in the workspace, in a few
    words (empty when there are none)."""
    parts = []
    carried = report.tally.opt_outs_carried
    if carried:
        parts.append(f"{_count(carried, 'opt-out')} of duplicates carried to the lead kept")
    if report.opt_out_updates:
        verb = "would be looked up" if report.dry_run else "opted out in the workspace"
        n = report.tally.opt_out_updates
        parts.append(f"{_count(n, 'lead')} {verb}")
    return ", ".join(parts)


def opt_out_lines(report: ImportReport) -> list[str]:
    """The opt-outs that dedup carried and the updates of leads already in the workspace,
    counted and named (the rich report and the log)."""
    lines: list[str] = []
    carried = [d for d in report.records(DUPLICATE) if d.code is ReasonCode.OPT_OUT_CARRIED]
    if carried:
        named = "; ".join(
            f"row {d.row} ({d.email}, {d.params[0]}) -> row {d.params[1]}"
            + (f" of {display_name(d.params[2])}" if len(d.params) > 2 and d.params[2] else "")
            for d in carried[:SAMPLE_OPT_OUTS]
        )
        more = ", ..." if len(carried) > SAMPLE_OPT_OUTS else ""
        lines.append(
            f"Opt-outs carried from duplicates to the lead kept: {len(carried):,} ({named}{more})."
        )
    updates = report.opt_out_updates
    if updates:
        counts = Counter(u.outcome for u in updates)
        said = ", ".join(
            f"{counts[o]:,} {label}" for o, label in _UPDATE_OUTCOMES.items() if counts[o]
        )
        named = "; ".join(
            f"{u.email} (row {u.row} of {display_name(u.file)}, {u.status}): "
            f"{_UPDATE_OUTCOMES.get(u.outcome, u.outcome)}" + (f" ({u.reason})" if u.reason else "")
            for u in updates[:SAMPLE_OPT_OUTS]
        )
        more = ", ..." if len(updates) > SAMPLE_OPT_OUTS else ""
        what = "Opt-outs for leads already in the workspace"
        lines.append(f"{what}: {len(updates):,} ({said}): {named}{more}.")
    return lines


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def outcome(report: ImportReport) -> str:
    """The run's outcome in words, e.g. ``Imported 138,076 new leads; 7,505 duplicates and
    4,419 errors``."""
    refused = sum(1 for f in report.files if f.refused)
    if report.tally.rows_read == 0:
        if refused:
            return f"Nothing imported: {_count(refused, 'file')} refused"
        return "No rows to import"
    if report.dry_run:
        ready = report.tally.valid - report.tally.excluded
        head = f"Checked {_count(report.tally.rows_read, 'row')}: {ready:,} ready to send"
    else:
        head = f"Imported {_count(report.tally.created, 'new lead')}"
        if report.tally.restored:
            head += f" and restored {report.tally.restored:,}"
        if report.stopped_because:
            head += " before the run stopped"
        if report.reproduced:
            head += " earlier (reproduced; nothing sent now)"
    problems = []
    if report.tally.duplicates:
        problems.append(_count(report.tally.duplicates, "duplicate"))
    if report.tally.errors:
        problems.append(_count(report.tally.errors, "error"))
    if report.tally.excluded:
        problems.append(f"{report.tally.excluded:,} excluded")
    if report.tally.not_sent and not report.dry_run:  # a dry run sends nothing by design
        problems.append(f"{report.tally.not_sent:,} not sent")
    text = f"{head}; {_and(problems) if problems else 'no duplicates or errors'}"
    return f"{text}; {_count(refused, 'file')} refused" if refused else text


def final_line(report: ImportReport, *, report_path: str | None, rejected_path: str | None) -> str:
    """The last line of a run: the outcome in words, then where the details are.

    The hint to add --rejected is given only when there are rows to get back (errors,
    duplicates, rows not sent; a dry run's valid rows are not among them).
    """
    text = outcome(report) + "."
    rejected = len(report.details)  # exactly the rows the --rejected file holds
    where = []
    if rejected_path and rejected:
        what = "with problems" if report.dry_run else "not imported"
        are = "is" if rejected == 1 else "are"
        where.append(f"the {_count(rejected, 'row')} {what} {are} in {rejected_path}")
    if report_path:
        where.append(f"the full report is in {report_path}")
    if where:
        said = _and(where)
        return f"{text} {said[0].upper()}{said[1:]}."
    if rejected:
        return f"{text} Add --rejected FILE.csv to get these rows back, ready to fix."
    return text


#: How the hygiene section names each reason code.
_RULES: dict[ReasonCode, str] = {
    ReasonCode.EXCLUDED_LIST: "on an exclusion list",
    ReasonCode.SOURCE_VERDICT: "the file's verdict",
    ReasonCode.DOMAIN_NOT_FOUND: "domain does not exist",
    ReasonCode.DOMAIN_NO_MAIL: "domain takes no mail",
    ReasonCode.DISPOSABLE_DOMAIN: "disposable (--skip-disposable)",
    ReasonCode.ROLE_ADDRESS: "role address (--skip-role)",
}
SAMPLE_FLAGGED = 5


def hygiene_lines(report: ImportReport) -> list[str]:
    """The hygiene section: what the rules left out (or, in a dry run, would leave out) and
    what they saw, as the JSON report's ``hygiene`` object counts it."""
    h = report.hygiene
    by_rule = report.excluded_by_rule
    verb = "would be left out" if report.dry_run else "left out"
    lines = ["Hygiene (before sending):"]
    for path, n in h.lists:
        lines.append(f"  exclusion list {path}: {_count(n, 'entry', 'entries')}")
    for column in h.verdict_columns:
        lines.append(f"  verdict column {column}")
    total = report.tally.excluded
    detail = ", ".join(f"{_RULES.get(code, code)} {n:,}" for code, n in by_rule.items())
    lines.append(f"  excluded: {_count(total, 'row')} {verb}" + (f" ({detail})" if detail else ""))
    if h.check_domains:
        missing = by_rule.get(ReasonCode.DOMAIN_NOT_FOUND, 0)
        no_mail = by_rule.get(ReasonCode.DOMAIN_NO_MAIL, 0)
        lines.append(
            f"  undeliverable domains: {_count(missing + no_mail, 'row')} ({missing:,} "
            f"not found, {no_mail:,} taking no mail); "
            f"{_count(h.domains_checked, 'domain')} checked"
        )
        if h.domains_unchecked:
            lines.append(
                f"  unchecked: {_count(h.domains_unchecked, 'domain')} could not be checked "
                f"(timeout or server failure), {_count(h.rows_unchecked, 'row')} imported anyway"
            )
    lines += ["  " + line for line in _flagged(report, every=True)]
    if h.verdicts_seen:
        said = ", ".join(f"{c} {v!r} {n:,}" for c, v, n in h.verdicts_seen)
        lines.append(f"  source verdicts invalid or do-not-mail: {said}")
    return lines


def flagged_lines(report: ImportReport) -> list[str]:
    """Role and disposable addresses, when there are any, with a few of them: every run's
    summary and log say what the report counts, hygiene options or not."""
    return _flagged(report, every=False)


def _flagged(report: ImportReport, *, every: bool) -> list[str]:
    """One line per kind (role, disposable): how many, how many kept, the first few kept.
    ``every``: also the kinds with none (the hygiene section lists both)."""
    h = report.hygiene
    lines: list[str] = []
    for kind, label, flag, seen in (
        (ROLE, "role addresses", "--skip-role", h.role_seen),
        (DISPOSABLE, "disposable addresses", "--skip-disposable", h.disposable_seen),
    ):
        if not seen and not every:
            continue
        kept = report.flagged.count(kind)
        named = ", ".join(
            f"{d.email} (row {d.row})"
            for d in islice(report.flagged.records([kind]), SAMPLE_FLAGGED)
        )
        text = f"{label}: {seen:,}"
        if kept:
            text += f", {kept:,} kept ({flag} leaves them out): {named}"
            if kept > SAMPLE_FLAGGED:
                text += ", ..."
        lines.append(text)
    return lines


def mapping_table(
    rows: list[dict[str, str]], *, title: str, samples: list[str] | None = None
) -> Table:
    """A table of column -> field with how each decision was made; ``samples`` holds one
    value per row (so repeated headers each show their own)."""
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("Column")
    if samples is not None:
        table.add_column("Sample", overflow="ellipsis", max_width=32)
    table.add_column("Field")
    table.add_column("How", style="dim")
    for n, row in enumerate(rows):
        cells = [row["column"]]
        if samples is not None:
            cells.append(samples[n])
        cells += [row["field"], row["how"]]
        table.add_row(*cells)
    return table


def mapping_notes(report: ImportReport) -> list[str]:
    """One line per decision on a status-like or opt-out column, per email column that
    stood in for an empty email cell, and per other column whose cells opted leads out (for
    the rich report and --log-file)."""
    lines: list[str] = []
    for f in report.files:
        name = display_name(f.file)
        lines += [f"{name}: {note}" for note in f.notes]
        email = next((m["column"] for m in f.mapping if m["field"] == "email"), "email")
        for header, n in f.email_fallbacks.items():
            rows = "row" if n == 1 else "rows"
            lines.append(
                f"{name}: {n:,} {rows} with no email in '{email}' took it from '{header}'."
            )
        lines += [f"{name}: {opt_out_found(h, x)}" for h, x in f.opt_outs_found.items()]
        lines += [
            f"{name}: {consent_no(h, n, f.consent_required)}" for h, n in f.consent_no.items()
        ]
    return lines


def consent_no(header: str, rows: int, required: bool) -> str:
    """The rows a marketing-permission column says no on, and what became of them."""
    said = f"'{header}' says no to marketing email on {rows:,} {'row' if rows == 1 else 'rows'}"
    if required:
        return f"{said}: imported as unsubscribed (--consent-required)."
    return f"{said}: their status is unchanged (--consent-required imports them as unsubscribed)."


def mapping_warnings(report: ImportReport) -> list[str]:
    """The lines shown even under -q: status-like columns not used for the status, and other
    columns whose cells opted leads out."""
    return [
        f"{display_name(f.file)}: {line}"
        for f in report.files
        for line in [
            *f.warnings,
            *(opt_out_found(h, x) for h, x in f.opt_outs_found.items()),
        ]
    ]


def opt_out_found(header: str, found: FoundOptOut) -> str:
    """What a column not read for opt-outs did to the leads whose cell is an opt-out word:
    "'Stage' row 5000 says 'Unsubscribed': imported as unsubscribed, not active." """
    if found.rows == 1:
        status = "unsubscribed" if found.unsubscribed else "bounced"
        return (
            f"'{header}' row {found.first_row} says '{found.first_value}': "
            f"imported as {status}, not active."
        )
    as_what = _and(
        [
            f"{n:,} as {status}"
            for n, status in ((found.unsubscribed, "unsubscribed"), (found.bounced, "bounced"))
            if n
        ]
    )
    return (
        f"'{header}' says an opt-out on {found.rows:,} rows (first row {found.first_row}: "
        f"'{found.first_value}'): imported {as_what}, not active."
    )


def render_report(console: Console, report: ImportReport, *, show_mapping: bool) -> None:
    """The rich summary printed at the end of a run."""
    if report.sandbox:
        console.print(
            "[bold cyan]Sandbox run:[/] leads went to the local FoxReach sandbox, "
            "not to your workspace."
        )
    for f in report.files:
        if not f.refused and f.header_row != 1:
            console.print(f"{display_name(f.file)}: header on row {f.header_row}.")
    for f in report.files:
        if f.refused:
            continue
        if show_mapping:
            console.print(mapping_table(f.mapping, title=f"Mapping of {display_name(f.file)}"))
            continue
        # Without the table, still say where a column's values overruled its header.
        for row in f.mapping:
            if Source(row["source"]).went_by_values:
                console.print(
                    f"[dim]{display_name(f.file)}: '{row['column']}' went to "
                    f"{row['field']}: {row['how']}[/]"
                )
    for line in mapping_notes(report):
        console.print(line, markup=False, style="dim")
    counts = Table(
        title="Dry run (nothing sent)" if report.dry_run else "Import report",
        title_justify="left",
        show_header=False,
    )
    counts.add_column("What")
    counts.add_column("Rows", justify="right")
    counts.add_row("Rows read", f"{report.tally.rows_read:,}")
    counts.add_row("  valid and unique", f"{report.tally.valid:,}")
    counts.add_row("  invalid", f"{report.tally.invalid:,}")
    counts.add_row("  duplicates in the input", f"{report.tally.local_duplicates:,}")
    if report.tally.opt_outs_carried:
        counts.add_row(
            "    opt-outs carried to the lead kept", f"{report.tally.opt_outs_carried:,}"
        )
    if not report.dry_run:
        counts.add_row("[green]Created[/]", f"{report.tally.created:,}")
        counts.add_row("[cyan]Restored[/]", f"{report.tally.restored:,}")
    counts.add_row("[yellow]Duplicates[/] (total)", f"{report.tally.duplicates:,}")
    counts.add_row("[red]Errors[/] (total)", f"{report.tally.errors:,}")
    if report.tally.excluded or report.hygiene.applied:
        counts.add_row("[magenta]Excluded[/] (hygiene)", f"{report.tally.excluded:,}")
    counts.add_row("Not sent", f"{report.tally.not_sent:,}")
    if report.opt_out_updates:
        label = "would be looked up" if report.dry_run else "opted out"
        counts.add_row(
            f"Leads in the workspace {label} (PATCH)", f"{report.tally.opt_out_updates:,}"
        )
    if report.unresolved:
        counts.add_row("  of which unresolved", f"{report.unresolved:,}")
    if not report.dry_run:
        counts.add_row(
            "Requests (retries, 429s)",
            f"{report.tally.requests:,} ({report.tally.retries:,}, {report.tally.rate_limited:,})",
        )
    counts.add_row("Elapsed", f"{report.elapsed_seconds:.1f} s")
    console.print(counts)

    if report.hygiene.applied or report.tally.excluded:
        for line in hygiene_lines(report):
            console.print(line, markup=False)
    else:
        for line in flagged_lines(report):
            console.print(line, markup=False)
    for line in opt_out_lines(report):
        console.print(line, markup=False)
    problem_kinds = (INVALID, DUPLICATE, ERROR, UNRESOLVED, EXCLUDED)
    problems = report.details.count(*problem_kinds)
    if problems:
        sample = Table(
            title=f"Rows not imported (first {min(problems, SAMPLE_REJECTED)} of {problems:,})",
            title_justify="left",
            header_style="bold",
        )
        several = len(report.files) > 1
        if several:
            sample.add_column("File")
        sample.add_column("Row", justify="right")
        sample.add_column("Email")
        sample.add_column("Reason")
        for rec in islice(report.records(*problem_kinds), SAMPLE_REJECTED):
            cells = [rec.file] if several else []
            sample.add_row(*cells, str(rec.row), rec.email or "", rec.text)
        console.print(sample)
    if report.tally.retry_duplicates:
        console.print(
            f"[yellow]{report.tally.retry_duplicates:,} duplicates came from resending requests "
            "that got no answer:[/] those leads were most likely imported by the first attempt."
        )
    if report.unresolved:
        console.print(
            f"[yellow]{report.unresolved:,} rows are unresolved:[/] the API lists at most 100 "
            "duplicates and errors per request. Run again with --exact-report to resolve every row."
        )
    for f in report.files:
        if f.imported_at:
            console.print(
                f"Reproduced the report of {f.file}: imported on {f.imported_at}; nothing was "
                "sent (--force imports it again)."
            )
    if report.previous:
        p = report.previous
        created, restored, dups, errors = p.created, p.restored, p.duplicates, p.errors
        console.print(
            f"Resumed: {created:,} created, {restored:,} restored, {dups:,} duplicates and "
            f"{errors:,} errors come from earlier runs of the same file."
        )
    for f in report.files:
        if f.refused:
            console.print(
                f"[red]Refused[/] {escape(display_name(f.file))} (nothing of it was read): "
                f"{escape(f.refused)}"
            )
    if report.stopped_because:
        console.print(f"[red]Stopped:[/] {escape(report.stopped_because)}")
