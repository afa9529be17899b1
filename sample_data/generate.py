"""Regenerate the sample files (deterministic): ``python sample_data/generate.py``.

leads.csv            ~200 leads as an Apollo export writes them, with a few invalid rows
                     (missing or malformed email, unknown status) and repeated emails.
hubspot_export.xlsx  ~40 contacts as a HubSpot export names its columns; a few repeat
                     emails of leads.csv in another case (duplicates across files).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).parent
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
    ("Acme", "acme.com"),
    ("Globex", "globex.io"),
    ("Initech", "initech.co"),
    ("Umbrella", "umbrella.org"),
    ("Hooli", "hooli.xyz"),
    ("Wonka, Inc.", "wonka.com"),
    ("Tyrell Corp", "tyrell.ai"),
    ("Cyberdyne", "cyberdyne.net"),
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


def main() -> None:
    rng = random.Random(2026)
    rows = []
    emails = []
    for i in range(200):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company, domain = rng.choice(COMPANIES)
        local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        email = f"{local}{i}@{domain}"
        emails.append(email)
        rows.append(
            {
                "First Name": first,
                "Last Name": last,
                "Title": rng.choice(TITLES),
                "Company Name": company,
                "Email": email,
                "Person Linkedin Url": f"https://www.linkedin.com/in/{local}-{i}",
                "Website": f"https://{domain}",
                "Phone Number": f"+1 415 555 {1000 + i:04d}" if i % 4 else "4155550100",
                "Zip": f"0{2100 + i % 50}",
                "Status": rng.choice(["active", "active", "active", "replied", ""]),
                "Industry": rng.choice(["FinTech", "SaaS", "Healthcare", "Retail"]),
                "Tags": rng.choice(["", "enterprise", "q1-outreach;webinar", "partner|enterprise"]),
            }
        )
    # What real exports contain: blanks, typos, notes with commas and line breaks, repeats.
    rows[7]["Email"] = ""
    rows[23]["Email"] = "jane.doe@"
    rows[41]["Email"] = "bob@@acme.com"
    rows[58]["Email"] = "  " + rows[58]["Email"] + "  "
    rows[77]["Status"] = "lead"
    rows[90]["Email"] = rows[12]["Email"].upper()
    rows[133]["Email"] = rows[40]["Email"].title()
    rows[151]["Email"] = "no spaces allowed@globex.io"
    rows[175]["Email"] = rows[174]["Email"]
    rows[60]["Title"] = 'VP "Revenue", EMEA\nand APAC'
    with open(HERE / "leads.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(
        [
            "Email Address",
            "Given Name",
            "Surname",
            "Account Name",
            "Job Title",
            "Mobile Phone",
            "Lifecycle Stage",
        ]
    )
    for i in range(40):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company, domain = rng.choice(COMPANIES)
        email = f"{first[0]}{last}.hs{i}@{domain}".lower().replace("'", "")
        if i in (5, 17, 29):
            email = emails[i * 3].upper()  # already in leads.csv
        phone = 4155550000 + i  # stored as a number, as Excel does
        ws.append(
            [
                email,
                first,
                last,
                company,
                rng.choice(TITLES),
                phone,
                rng.choice(["lead", "customer", "opportunity"]),
            ]
        )
    ws2 = wb.create_sheet("Notes")
    ws2.append(["This sheet is not leads"])
    wb.save(HERE / "hubspot_export.xlsx")


if __name__ == "__main__":
    main()
