"""Peer A: import a CSV the way the API docs suggest without this tool.

One ``POST /leads`` per row; on 429, sleep ``Retry-After`` seconds and send the row again
(the docs' own recipe). A 409 (email already there) is counted as a duplicate and skipped.

It is bounded on purpose: at the API's 100 requests a minute a 200,000-row file would take
33 hours, so ``--max-seconds`` and ``--max-rows`` stop it early and the caller projects the
rest from the measured rate. The last line on stdout is a JSON summary.

    python benchmarks/peers/single_create_loop.py leads.csv --base-url URL --api-key otr_x
"""

from __future__ import annotations

import argparse
import csv
import json
import time

import httpx

# The columns of the export we have, mapped by hand to the API's fields.
COLUMNS = {
    "First Name": "firstName",
    "Last Name": "lastName",
    "Title": "title",
    "Company Name": "company",
    "Email": "email",
    "Person Linkedin Url": "linkedinUrl",
    "Website": "website",
    "Phone Number": "phone",
}
MAX_TRIES_PER_ROW = 20  # a safety bound: never loop forever on one row


def to_lead(row: dict[str, str]) -> dict[str, object]:
    """The API body for one CSV row: mapped fields, the rest as customFields."""
    lead: dict[str, object] = {COLUMNS[k]: v for k, v in row.items() if k in COLUMNS and v}
    custom = {k: v for k, v in row.items() if k not in COLUMNS and k != "Tags" and v}
    if custom:
        lead["customFields"] = custom
    if row.get("Tags"):
        lead["tags"] = [t for t in row["Tags"].split(";") if t]
    lead["source"] = "csv_import"
    return lead


def main() -> None:
    """Send the rows one by one until the file, ``--max-rows`` or ``--max-seconds`` ends."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--max-rows", type=int, default=1_000_000)
    args = parser.parse_args()

    created = duplicates = errors = requests = rate_limited = rows = 0
    stopped_early = False
    started = time.perf_counter()
    deadline = started + args.max_seconds
    headers = {"X-API-Key": args.api_key}
    with (
        httpx.Client(base_url=args.base_url, headers=headers, timeout=30) as client,
        open(args.file, encoding="utf-8", newline="") as fh,
    ):
        for row in csv.DictReader(fh):
            if rows >= args.max_rows or time.perf_counter() >= deadline:
                stopped_early = True
                break
            rows += 1
            lead = to_lead(row)
            for _ in range(MAX_TRIES_PER_ROW):
                resp = client.post("/leads", json=lead)
                requests += 1
                if resp.status_code != 429:
                    break
                rate_limited += 1
                time.sleep(float(resp.headers.get("Retry-After", "1")))
            if resp.status_code == 201:
                created += 1
            elif resp.status_code == 409:
                duplicates += 1
            else:
                errors += 1
    elapsed = time.perf_counter() - started
    summary = {
        "rows": rows,
        "created": created,
        "duplicates": duplicates,
        "errors": errors,
        "requests": requests,
        "rateLimited": rate_limited,
        "elapsedSeconds": round(elapsed, 3),
        "stoppedEarly": stopped_early,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
