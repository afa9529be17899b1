"""Peer B: import a CSV through ``POST /leads/import`` the plain way, without this tool.

Reads the file with the csv module, sends batches of 1000 one after the other, and on 429
sleeps ``Retry-After`` seconds and sends the same batch again. No concurrency, no budget of its
own: it learns the limit only from the 429s. ``--max-seconds`` bounds the run. The last line on
stdout is a JSON summary.

    python benchmarks/peers/sequential_bulk_loop.py leads.csv --base-url URL --api-key otr_x
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Iterator

import httpx

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
BATCH = 1000
MAX_TRIES_PER_BATCH = 20  # a safety bound: never loop forever on one batch


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


def batches(path: str) -> Iterator[list[dict[str, object]]]:
    """The file's rows as lists of at most ``BATCH`` lead bodies."""
    batch: list[dict[str, object]] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            batch.append(to_lead(row))
            if len(batch) == BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def main() -> None:
    """Send every batch in turn until the file or ``--max-seconds`` ends."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args()

    totals = {"created": 0, "restored": 0, "duplicates": 0, "errors": 0}
    rows = requests = rate_limited = failed_batches = 0
    stopped_early = False
    started = time.perf_counter()
    deadline = started + args.max_seconds
    headers = {"X-API-Key": args.api_key}
    with httpx.Client(base_url=args.base_url, headers=headers, timeout=60) as client:
        for batch in batches(args.file):
            if time.perf_counter() >= deadline:
                stopped_early = True
                break
            rows += len(batch)
            body = {"leads": batch, "restoreSoftDeleted": True}
            for _ in range(MAX_TRIES_PER_BATCH):
                resp = client.post("/leads/import", json=body)
                requests += 1
                if resp.status_code != 429:
                    break
                rate_limited += 1
                time.sleep(float(resp.headers.get("Retry-After", "1")))
            if resp.status_code == 200:
                data = resp.json()["data"]
                for key in totals:
                    totals[key] += data.get(key, 0)
            else:
                failed_batches += 1
    elapsed = time.perf_counter() - started
    summary = {
        "rows": rows,
        **totals,
        "failedBatches": failed_batches,
        "requests": requests,
        "rateLimited": rate_limited,
        "elapsedSeconds": round(elapsed, 3),
        "stoppedEarly": stopped_early,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
