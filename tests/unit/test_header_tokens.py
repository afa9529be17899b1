"""Headers matched by the meaning of their words: camelCase, snake_case and punctuation split,
accents folded. The header rows are those of public exports and templates of each tool
(sources beside each); the people in the rows are invented."""

from __future__ import annotations

import pytest

from foxreach_cli.mapping import Source, build_mapping
from foxreach_cli.stage_data import SourceInfo


def targets(*headers: str, rows: list[list[str]] | None = None) -> dict[str, str]:
    samples = {h: [row[i] for row in rows] for i, h in enumerate(headers)} if rows else {}
    info = SourceInfo(
        file="leads.csv", format="csv", headers=list(headers), columns=list(headers),
        samples=samples,
    )  # fmt: skip
    return {cm.header: str(cm.target) for cm in build_mapping(info).columns}


def lead_fields(*headers: str, rows: list[list[str]] | None = None) -> dict[str, str]:
    return {h: t for h, t in targets(*headers, rows=rows).items() if "." not in t}


# Each case: where the header row comes from, the headers, the lead fields they fill (every
# other column stays a custom field).
EXPORTS = [
    (
        # Active Directory / LDAP attributes (Microsoft's attribute table: displayName,
        # givenName, sn, title, mail, telephoneNumber, department).
        "ldap",
        ["displayName", "givenName", "sn", "title", "mail", "telephoneNumber", "department", "o"],
        {"givenName": "firstName", "sn": "lastName", "title": "title", "mail": "email",
         "telephoneNumber": "phone", "o": "company"},
    ),
    (
        # An ldap-csvexport run: -a "sn,givenname,manager,title,mail,mobile,telephoneNumber,ou"
        "ldap-csvexport",
        ["sn", "givenname", "manager", "title", "mail", "mobile", "telephoneNumber", "ou"],
        # "mobile" is a listed header: it ranks before telephone words.
        {"sn": "lastName", "givenname": "firstName", "title": "title", "mail": "email",
         "mobile": "phone"},
    ),
    (
        # vCard property names as CSV headers (FN, N, ORG, TITLE, TEL, EMAIL).
        "vcard",
        ["FN", "ORG", "TITLE", "TEL", "EMAIL", "NOTE"],
        {"ORG": "company", "TITLE": "title", "TEL": "phone", "EMAIL": "email", "NOTE": "notes"},
    ),
    (
        # Outlook's CSV export (Microsoft's import template, English).
        "outlook",
        ["Title", "First Name", "Middle Name", "Last Name", "Suffix", "Company", "Department",
         "Job Title", "Business Fax", "Business Phone", "Mobile Phone", "E-mail Address",
         "E-mail 2 Address", "Notes", "Web Page"],
        {"First Name": "firstName", "Last Name": "lastName", "Company": "company",
         "Job Title": "title", "Business Phone": "phone", "E-mail Address": "email",
         "Notes": "notes", "Web Page": "website"},
    ),
    (
        # Outlook's Project Notes plugin fields (Outlook object model property names).
        "outlook-object-model",
        ["FullName", "Email1Address", "BusinessTelephoneNumber", "MobileTelephoneNumber",
         "CompanyName", "JobTitle"],
        {"Email1Address": "email", "BusinessTelephoneNumber": "phone", "CompanyName": "company",
         "JobTitle": "title"},
    ),
    (
        # A CRM's contact export in snake_case (react-admin's Atomic CRM demo).
        "atomic-crm",
        ["first_name", "last_name", "gender", "title", "organization_name", "email_work",
         "email_home", "phone_work", "phone_home"],
        {"first_name": "firstName", "last_name": "lastName", "title": "title",
         "organization_name": "company", "email_work": "email", "phone_work": "phone"},
    ),
    (
        # Brevo (Sendinblue) contact attributes of a French account.
        "brevo-fr",
        ["EMAIL", "PRENOM", "NOM", "ENTREPRISE", "SMS"],
        {"EMAIL": "email", "PRENOM": "firstName", "NOM": "lastName", "ENTREPRISE": "company"},
    ),
    (
        # A French call tool's import headers ("Prénom Nom Numéro mail").
        "dimicall-fr",
        ["Prénom", "Nom", "Numéro", "mail"],
        {"Prénom": "firstName", "Nom": "lastName", "mail": "email"},
    ),
    (
        # A French prospect CSV (Nom holds the whole name there: no Prénom beside it).
        "prospects-fr",
        ["Nom", "Email", "Téléphone", "Entreprise", "Statut", "Notes", "Adresse", "Ville"],
        {"Email": "email", "Téléphone": "phone", "Entreprise": "company", "Notes": "notes"},
    ),
    (
        # Kürschner's German address export (LfdNr;...;Nachname;Vorname;...;Email1;Internet).
        "kuerschner-de",
        ["LfdNr", "Nachname", "Vorname", "Titel", "Funktion_Amt", "Email1", "Internet"],
        {"Nachname": "lastName", "Vorname": "firstName", "Email1": "email"},
    ),
    (
        # Telekom Cloud's German contact template (Vorname, Nachname, Anzeigename, E-Mail Adresse).
        "telekom-de",
        ["Vorname", "Nachname", "Anzeigename", "E-Mail Adresse"],
        {"Vorname": "firstName", "Nachname": "lastName", "E-Mail Adresse": "email"},
    ),
    (
        # German address books: Vorname beside Name (the family name), Firma, Outlook's
        # German "Telefon geschäftlich" (not one tool's export).
        "crm-de",
        ["Anrede", "Vorname", "Name", "Firma", "E-Mail-Adresse", "Telefon geschäftlich"],
        {"Vorname": "firstName", "Name": "lastName", "Firma": "company",
         "E-Mail-Adresse": "email"},
    ),
    (
        # A Spanish contact sheet (a public script's "Nombre"/"Apellidos" columns, with the
        # usual Correo electrónico, Empresa, Cargo).
        "contactos-es",
        ["Nombre", "Apellidos", "Correo electrónico", "Teléfono móvil", "Empresa", "Cargo"],
        {"Nombre": "firstName", "Apellidos": "lastName", "Correo electrónico": "email",
         "Teléfono móvil": "phone", "Empresa": "company", "Cargo": "title"},
    ),
    (
        # Italian and Portuguese: Nome beside Cognome / Sobrenome (the fields' usual names in
        # those languages, not one tool's export).
        "contatti-it",
        ["Nome", "Cognome", "Email", "Azienda", "Cellulare"],
        {"Nome": "firstName", "Cognome": "lastName", "Email": "email", "Azienda": "company",
         "Cellulare": "phone"},
    ),
    (
        "contatos-pt",
        ["Nome", "Sobrenome", "E-mail", "Empresa", "Telefone"],
        {"Nome": "firstName", "Sobrenome": "lastName", "E-mail": "email", "Empresa": "company",
         "Telefone": "phone"},
    ),
    (
        # Dutch, Swedish and Polish: the fields' usual names (not one tool's export).
        "crm-nl",
        ["Voornaam", "Achternaam", "E-mailadres", "Bedrijfsnaam", "Functie", "Telefoonnummer"],
        {"Voornaam": "firstName", "Achternaam": "lastName", "E-mailadres": "email",
         "Bedrijfsnaam": "company", "Functie": "title", "Telefoonnummer": "phone"},
    ),
    (
        "crm-sv",
        ["Förnamn", "Efternamn", "E-post", "Företag", "Befattning", "Mobilnummer"],
        {"Förnamn": "firstName", "Efternamn": "lastName", "E-post": "email",
         "Företag": "company", "Befattning": "title", "Mobilnummer": "phone"},
    ),
    (
        "crm-pl",
        ["Imię", "Nazwisko", "Email", "Nazwa firmy", "Stanowisko", "Telefon"],
        {"Imię": "firstName", "Nazwisko": "lastName", "Email": "email",
         "Nazwa firmy": "company", "Stanowisko": "title", "Telefon": "phone"},
    ),
    (
        # camelCase compounds whose words mean company (API field names of HR and CRM tools).
        "camel-case",
        ["emailAddress", "givenName", "familyName", "employerName", "EnterpriseName",
         "organisationName", "firmName"],
        # "Organisation Name" is a listed header: it ranks before the others' words.
        {"emailAddress": "email", "givenName": "firstName", "familyName": "lastName",
         "organisationName": "company"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("source", "headers", "expected"), EXPORTS, ids=[e[0] for e in EXPORTS])
def test_export_headers_fill_the_lead_fields_their_words_mean(source, headers, expected):
    assert lead_fields(*headers) == expected


def test_every_company_compound_is_the_company_when_alone():
    for header in ("employerName", "EnterpriseName", "organisationName", "firmName", "org_name"):
        assert lead_fields("Email", header) == {"Email": "email", header: "company"}, header


def test_words_about_a_company_keep_another_field_from_being_the_lead_s_own():
    assert lead_fields("Email", "EnterpriseEmail", "employer_phone", "Firma Telefon") == {
        "Email": "email"
    }


def test_a_fax_number_is_not_the_phone():
    assert lead_fields("Email", "facsimileTelephoneNumber", "Business Fax") == {"Email": "email"}


def test_a_bare_name_beside_a_first_name_is_the_family_name_and_says_so():
    info = SourceInfo(file="x.csv", format="csv", headers=["Email", "First Name", "Name"],
                      columns=["Email", "First Name", "Name"])  # fmt: skip
    column = build_mapping(info).columns[2]
    assert str(column.target) == "lastName"
    assert column.source is Source.FAMILY_NAME
    assert column.how == "a bare name beside the first-name column 'First Name': the family name"


def test_a_bare_name_is_not_the_family_name_when_a_last_name_column_exists():
    assert targets("Email", "First Name", "Last Name", "Name")["Name"] == "customFields.Name"


def test_a_lone_name_column_is_still_split_as_a_full_name():
    names = {"Name": ["Ada King", "Bo Lind"]}
    info = SourceInfo(
        file="x.csv", format="csv", headers=["Email", "Name"], columns=["Email", "Name"],
        samples=names,
    )  # fmt: skip
    mapping = build_mapping(info)
    assert mapping.split_name == "Name"
    assert str(mapping.columns[1].target) == "customFields.Name"
