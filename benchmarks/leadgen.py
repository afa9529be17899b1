"""Realistic lead tables for benchmarks: an Apollo-style export with a few bad rows.

Writes CSV fast (csv.writer over generated rows) with a seeded RNG, so every run of a
benchmark measures the same bytes. About 3% of rows have a bad email and about 3% repeat an
earlier email in another case.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

FIRST = [
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Morgan",
    "Casey",
    "Jamie",
    "Riley",
    "Zoë",
    "Renée",
    "Müller",
    "José",
    "Priya",
    "Wei",
    "Olu",
    "Anya",
    "Lars",
    "Chloé",
    "Omar",
    "Ines",
]
LAST = [
    "Smith",
    "Nguyen",
    "García",
    "O'Brien",
    "Kowalski",
    "Andersson",
    "Rossi",
    "Dubois",
    "Tanaka",
    "Okafor",
    "Schmidt",
    "Silva",
    "Cohen",
    "Murphy",
    "Larsen",
    "Patel",
]
COMPANIES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark Industries",
    "Wayne Enterprises",
    "Wonka, Inc.",
    "Tyrell Corp",
    "Cyberdyne",
    "Soylent",
]
TITLES = [
    "CTO",
    "Head of RevOps",
    "VP Sales",
    "Founder & CEO",
    "Account Executive",
    "Marketing Manager",
    "SDR",
    "Director, Growth",
]
DOMAINS = ["acme.com", "globex.io", "initech.co", "umbrella.org", "hooli.xyz", "example.net"]
INDUSTRIES = ["FinTech", "SaaS", "Healthcare", "Retail", "Logistics"]
BAD_EMAILS = [
    "",
    "not-an-email",
    "jane@",
    "@example.com",
    "a b@example.com",
    "x@y",
    "bob@@acme.com",
]
HEADERS = [
    "First Name",
    "Last Name",
    "Title",
    "Company Name",
    "Email",
    "Person Linkedin Url",
    "Website",
    "Phone Number",
    "Industry",
    "Employees",
    "Tags",
]


def write_leads_csv(
    path: Path, rows: int, *, seed: int = 7, bad_share: float = 0.03, dup_share: float = 0.03
) -> Path:
    """Write ``rows`` data rows of a realistic lead export to ``path``."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = rng.choice(COMPANIES)
            r = rng.random()
            if r < bad_share:
                email = rng.choice(BAD_EMAILS)
            elif r < bad_share + dup_share and i > 10:
                j = rng.randrange(i)
                email = f"Lead.{j}@{DOMAINS[j % len(DOMAINS)]}".upper()
            else:
                email = f"lead.{i}@{DOMAINS[i % len(DOMAINS)]}"
            w.writerow(
                [
                    first,
                    last,
                    rng.choice(TITLES),
                    company,
                    email,
                    f"https://www.linkedin.com/in/{first.lower()}-{last.lower()}-{i}",
                    f"https://{DOMAINS[i % len(DOMAINS)]}",
                    f"+1 415 555 {i % 10000:04d}",
                    rng.choice(INDUSTRIES),
                    rng.choice(["1-10", "11-50", "51-200", "201-500"]),
                    rng.choice(["", "enterprise", "q1-outreach;webinar", "partner"]),
                ]
            )
    return path


NOTE_WORDS = [
    "called",
    "asked for pricing",
    "wants a demo in Q3",
    "met at the Köln fair",
    "référence: salon de Lyon",
    "budget approved",
    "reunión en Málaga",
    "東京オフィス",
    "follow up after holidays",
    "decision maker is the CFO",
    "Ärende öppnat",
    "spotkanie w Krakowie",
    '"quoted" remark, with a comma',
]
CITIES = ["Zürich", "São Paulo", "Kraków", "Göteborg", "Málaga", "Lyon", "東京", "Москва", "Austin"]
EXTRA = [f"Custom {n}" for n in range(1, 16)]


def write_uneven_csv(path: Path, rows: int, *, seed: int = 11) -> Path:
    """Write ``rows`` uneven rows: long multi-line notes, many columns, non-ASCII text."""
    rng = random.Random(seed)
    headers = [*HEADERS, "City", "Notes", "Lead Owner", "Last Activity", *EXTRA]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            domain = DOMAINS[i % len(DOMAINS)]
            words = rng.randrange(0, 60) if rng.random() < 0.3 else rng.randrange(0, 4)
            notes = " ".join(rng.choice(NOTE_WORDS) for _ in range(words))
            if words > 20:
                notes = notes.replace(" called", "\ncalled")  # quoted newlines inside a cell
            extras = [rng.choice(["", "", "x", "Ja", "oui", f"v{i % 97}"]) for _ in EXTRA]
            w.writerow(
                [
                    first,
                    last,
                    rng.choice(TITLES),
                    rng.choice(COMPANIES),
                    f"{first.lower()}.{i}@{domain}",
                    f"https://www.linkedin.com/in/{last.lower()}-{i}",
                    f"https://{domain}",
                    f"+49 30 {i % 1000000:06d}",
                    rng.choice(INDUSTRIES),
                    rng.choice(["1-10", "11-50", "51-200"]),
                    rng.choice(["", "vip", "q1;q2"]),
                    rng.choice(CITIES),
                    notes,
                    rng.choice(["Ana Lima", "Jörg Weiß", "Zoë Martin"]),
                    f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    *extras,
                ]
            )
    return path
