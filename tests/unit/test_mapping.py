"""MAP stage: which lead field each column fills, and mapping files."""

from __future__ import annotations

import pytest

from foxreach_cli.errors import MappingDriftError, NoEmailColumnError, UsageError
from foxreach_cli.mapping import (
    Mapping,
    MappingFile,
    Target,
    build_mapping,
    normalise_header,
    parse_map_options,
)
from foxreach_cli.mapping.lexicon import lexicon
from foxreach_cli.mapping.words import header_key
from foxreach_cli.mapping_file import check_drift, load_mapping_file, write_mapping_file
from foxreach_cli.stage_data import LEAD_FIELDS, ROW_ERROR_COLUMN, SourceInfo


def info(*headers: str, file: str = "leads.csv", columns: list[str] | None = None) -> SourceInfo:
    return SourceInfo(
        file=file, format="csv", headers=list(headers), columns=columns or list(headers)
    )


def targets(mapping: Mapping) -> dict[str, str]:
    return {cm.header: str(cm.target) for cm in mapping.columns}


def hows(mapping: Mapping) -> dict[str, str]:
    return {cm.header: cm.how for cm in mapping.columns}


# --- Target ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email", Target("field", "email")),
        ("EMAIL", Target("field", "email")),
        ("firstname", Target("field", "firstName")),
        (" linkedinURL ", Target("field", "linkedinUrl")),
        ("customFields.Industry", Target("custom", "Industry")),
        ("customfields.Deal Size (USD)", Target("custom", "Deal Size (USD)")),
        ("tags", Target("tags")),
        ("Ignore", Target("ignore")),
    ],
)
def test_target_parse_accepts_field_names_in_any_case_and_keeps_custom_keys(text, expected):
    assert Target.parse(text) == expected


@pytest.mark.parametrize("text", ["First Name", "e-mail", "customFields.", "fullName", ""])
def test_target_parse_rejects_anything_else_and_lists_the_valid_fields(text):
    with pytest.raises(UsageError) as err:
        Target.parse(text)
    if text != "customFields.":
        assert str(err.value) == (
            f"{text!r} is not a lead field; use one of email, firstName, lastName, company, "
            "title, phone, linkedinUrl, website, notes, source, status, customFields.<key>, "
            "tags or ignore."
        )


@pytest.mark.parametrize(
    "target",
    [*(Target("field", f) for f in LEAD_FIELDS), Target("custom", "Deal=Size"), Target("tags")],
)
def test_target_str_round_trips_through_parse(target):
    assert Target.parse(str(target)) == target


# --- --map options -----------------------------------------------------------------------


def test_parse_map_options_splits_on_the_rightmost_equals_that_leaves_a_valid_target():
    parsed = parse_map_options(
        ["E-mail Addr=email", "Score (1=low)=customFields.score", "A=customFields.x=y", "B = tags"]
    )
    assert parsed == {
        "E-mail Addr": Target("field", "email"),
        "Score (1=low)": Target("custom", "score"),
        "A": Target("custom", "x=y"),
        "B": Target("tags"),
    }


@pytest.mark.parametrize("value", ["email", "=email", "Col=nonsense", ""])
def test_parse_map_options_rejects_values_that_are_not_column_equals_field(value):
    with pytest.raises(UsageError) as caught:
        parse_map_options([value])
    assert caught.value.option == "maps"
    assert caught.value.describe("--map").startswith(f"--map '{value}' is not Column=field")


def test_parse_map_options_rejects_one_column_mapped_twice():
    with pytest.raises(UsageError) as caught:
        parse_map_options(["Email=email", "Email=ignore"])
    assert caught.value.describe("--map") == (
        "--map names column 'Email' twice; keep one per column."
    )


# --- building a mapping ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [("E-mail", "email"), ("E_MAIL", "Email"), ("Person Linkedin Url", "personlinkedinurl")],
)
def test_headers_compare_normalised(a, b):
    assert normalise_header(a) == normalise_header(b)


def test_apollo_export_maps_every_column_people_expect():
    m = build_mapping(
        info(
            "First Name", "Last Name", "Title", "Company", "Company Name for Emails", "Email",
            "Email Status", "Secondary Email", "Work Direct Phone", "Mobile Phone",
            "Corporate Phone", "Person Linkedin Url", "Company Linkedin Url", "Website",
            "Lists", "Industry",
        )
    )  # fmt: skip
    assert targets(m) == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Title": "title",
        "Company": "company",
        "Company Name for Emails": "customFields.Company Name for Emails",
        "Email": "email",
        "Email Status": "customFields.Email Status",
        "Secondary Email": "customFields.Secondary Email",
        "Work Direct Phone": "phone",
        "Mobile Phone": "customFields.Mobile Phone",
        "Corporate Phone": "customFields.Corporate Phone",
        "Person Linkedin Url": "linkedinUrl",
        "Company Linkedin Url": "customFields.Company Linkedin Url",
        "Website": "website",
        "Lists": "tags",
        "Industry": "customFields.Industry",
    }
    assert m.email_column == "Email"
    assert hows(m)["Secondary Email"].startswith("second column for email (after 'Email')")


def test_hubspot_export_keeps_crm_status_and_source_as_custom_fields():
    m = build_mapping(
        info("Email Address", "First Name", "Last Name", "Company Name", "Job Title",
             "Phone Number", "Website URL", "Lead Status", "Lead Source", "Lifecycle Stage")
    )  # fmt: skip
    assert targets(m) == {
        "Email Address": "email",
        "First Name": "firstName",
        "Last Name": "lastName",
        "Company Name": "company",
        "Job Title": "title",
        "Phone Number": "phone",
        "Website URL": "website",
        "Lead Status": "customFields.Lead Status",
        "Lead Source": "customFields.Lead Source",
        "Lifecycle Stage": "customFields.Lifecycle Stage",
    }
    assert hows(m)["Email Address"] == "synonym: 'Email Address'"
    assert hows(m)["Lead Status"] == (
        "not recognised: kept as custom field; read for opt-outs on every row: a cell that "
        "says unsubscribed or bounced makes the lead so"
    )


SYNONYMS = lexicon().field_headers


@pytest.mark.parametrize(("field", "spelling"), [(f, s) for f, ss in SYNONYMS.items() for s in ss])
def test_every_listed_synonym_maps_to_its_field(field, spelling):
    headers = (spelling,) if field == "email" else (spelling, "Email")
    m = build_mapping(info(*headers))
    assert targets(m)[spelling] == field


def test_synonyms_never_name_two_fields():
    seen: dict[str, str] = {}
    for field, spellings in SYNONYMS.items():
        for s in spellings:
            assert seen.setdefault(header_key(s), field) == field, s


def test_better_synonym_wins_wherever_it_stands_and_the_loser_keeps_its_data():
    m = build_mapping(info("Personal Email", "Work Email", "Mobile", "Phone"))
    assert targets(m) == {
        "Personal Email": "customFields.Personal Email",
        "Work Email": "email",
        "Mobile": "customFields.Mobile",
        "Phone": "phone",
    }


def test_tie_goes_to_the_first_column():
    m = build_mapping(info("E-mail", "Email"))
    assert targets(m) == {"E-mail": "email", "Email": "customFields.Email"}


def test_only_a_low_ranked_email_column_still_becomes_the_email():
    assert build_mapping(info("Name", "Personal Email")).email_column == "Personal Email"


def test_precedence_map_option_then_mapping_file_then_field_name_then_synonym():
    i = info("Email", "Mail Addr", "Work Email", "Title", "Role")
    mf = MappingFile({"Title": Target("ignore"), "Mail Addr": Target("field", "notes")}, None, "m")
    m = build_mapping(
        i, overrides={"Mail Addr": Target("field", "email")}, mapping_file=mf, unmapped="ignore"
    )
    assert targets(m) == {
        "Email": "customFields.Email",  # field name, beaten by --map
        "Mail Addr": "email",  # --map beats the mapping file's "notes"
        "Work Email": "customFields.Work Email",
        "Title": "ignore",  # mapping file beats the field name
        "Role": "title",  # synonym fills the field the mapping file left free
    }
    assert hows(m)["Mail Addr"] == "--map" and hows(m)["Title"] == "mapping file"


def test_unmapped_columns_become_custom_fields_or_are_ignored():
    i = info("Email", "Favourite Colour")
    assert targets(build_mapping(i))["Favourite Colour"] == "customFields.Favourite Colour"
    ignored = build_mapping(i, unmapped="ignore")
    assert targets(ignored)["Favourite Colour"] == "ignore"
    assert hows(ignored)["Favourite Colour"] == "not recognised: ignored (--unmapped ignore)"


def test_custom_keys_stay_unique_and_explicit_keys_keep_their_name():
    i = info("Email", "Notes 2", "Region", "Region ", columns=["Email", "Notes 2", "R1", "R2"])
    m = build_mapping(i, overrides={"Notes 2": Target("custom", "Region")})
    assert [str(cm.target) for cm in m.columns] == [
        "email",
        "customFields.Region",
        "customFields.Region (2)",
        "customFields.Region ",
    ]
    assert "already used" in m.columns[2].how


def test_several_columns_may_feed_tags():
    m = build_mapping(
        info("Email", "Tags", "Labels", "Segment"), overrides={"Segment": Target("tags")}
    )
    assert m.tag_columns() == ["Tags", "Labels", "Segment"]


def test_empty_header_keeps_data_under_its_column_key_and_error_column_is_never_mapped():
    i = info("Email", "", "", columns=["Email", "Unnamed: 1", ROW_ERROR_COLUMN])
    m = build_mapping(i)
    assert [cm.column for cm in m.columns] == ["Email", "Unnamed: 1"]
    assert str(m.columns[1].target) == "customFields.Unnamed: 1"


def test_no_email_column_is_one_sentence_naming_the_headers_and_the_fix():
    with pytest.raises(NoEmailColumnError) as err:
        build_mapping(info("Name", "Company", file="people.csv"))
    assert str(err.value) == (
        "people.csv has no column that can be the email (headers: 'Name', 'Company'); "
        "name one with --map 'Column=email'."
    )


def test_map_option_for_a_column_the_file_lacks_names_it_and_lists_the_headers():
    with pytest.raises(UsageError) as err:
        build_mapping(info("Email", "Company"), overrides={"Emial": Target("field", "email")})
    assert str(err.value) == (
        "--map names a column 'Emial' that leads.csv does not have; use one of its headers: "
        "'Email', 'Company'."
    )


def test_map_option_matches_headers_normalised():
    m = build_mapping(
        info("E-Mail Adresse", "Firma"), overrides={"e-mail adresse": Target("field", "email")}
    )
    assert m.email_column == "E-Mail Adresse"


def test_two_map_options_for_one_field_are_a_usage_error():
    with pytest.raises(UsageError, match="maps both 'A' and 'B' to email"):
        build_mapping(
            info("A", "B"), overrides={"A": Target("field", "email"), "B": Target("field", "email")}
        )


# --- mapping files -----------------------------------------------------------------------


def test_mapping_file_round_trips_and_is_readable(tmp_path):
    headers = ["Email Address", "First Name", "Score (1=low)", "Notes", "Notes", ""]
    keys = ["Email Address", "First Name", "Score (1=low)", "Notes", "Notes.1", "c6"]
    i = info(*headers, columns=keys)
    m = build_mapping(i, overrides={"Score (1=low)": Target("ignore")})
    path = tmp_path / "mapping.toml"
    write_mapping_file(str(path), m, i)
    text = path.read_text()
    assert text.startswith("# foxreach mapping for leads.csv")
    assert '"Email Address" = "email"  # synonym: \'Email Address\'' in text
    loaded = load_mapping_file(str(path))
    assert loaded.headers == tuple(i.headers)
    again = build_mapping(i, mapping_file=loaded)
    assert [cm.target for cm in again.columns] == [cm.target for cm in m.columns]
    check_drift(loaded, i)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("columns = [", "is not valid TOML"),
        ('headers = ["a"]\n', r"has no \[columns\] table"),
        ('[columns]\n"Email" = "mail"\n', "column 'Email': 'mail' is not a lead field"),
        ('[columns]\n"Email" = 3\n', "must be a string"),
        ('headers = "Email"\n[columns]\n"Email" = "email"\n', "'headers' must be a list"),
    ],
)
def test_broken_mapping_files_are_one_sentence_usage_errors(tmp_path, content, message):
    path = tmp_path / "m.toml"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        load_mapping_file(str(path))


def test_missing_mapping_file_is_a_usage_error(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(UsageError) as err:
        load_mapping_file(str(path))
    assert str(err.value) == f"Mapping file {path} does not exist; check the path."


def _mf(*headers: str) -> MappingFile:
    return MappingFile({h: Target("ignore") for h in headers}, tuple(headers), "m.toml")


def drift_sentence(changes: str) -> str:
    return (
        f"The columns of leads.csv changed since m.toml was made ({changes}); re-create it with "
        "'foxreach map leads.csv --write m.toml' or edit it to match."
    )


def test_drift_accepts_the_same_headers_in_another_order():
    check_drift(_mf("Email", "Name"), info("Name", "Email"))


def test_drift_names_renamed_missing_and_new_columns():
    with pytest.raises(MappingDriftError) as err:
        check_drift(_mf("Mail", "Name", "Phone"), info("Email", "Name", "Fax", "City"))
    text = str(err.value)
    assert "renamed 'Mail' to 'Email', 'Phone' to 'Fax'" in text
    assert "new 'City'" in text and "foxreach map leads.csv --write m.toml" in text
    with pytest.raises(MappingDriftError) as missing:
        check_drift(_mf("Email", "Phone"), info("Email"))
    assert str(missing.value) == drift_sentence("missing 'Phone'")


def test_new_columns_are_drift_unless_allowed():
    with pytest.raises(MappingDriftError) as new:
        check_drift(_mf("Email"), info("Email", "City"))
    assert str(new.value) == drift_sentence("new 'City'")
    check_drift(_mf("Email"), info("Email", "City"), allow_new_columns=True)


def test_mapping_file_without_recorded_headers_is_not_checked():
    check_drift(MappingFile({"Email": Target("field", "email")}, None, "m"), info("Other"))
