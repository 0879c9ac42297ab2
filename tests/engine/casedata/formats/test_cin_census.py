from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from journey.engine.casedata.formats.cin_census import read_cin_census, write_cin_census
from journey.engine.casedata.schema import Extract

from .conftest import AS_AT, canonical

FIXTURES = Path(__file__).parents[2] / "fixtures" / "formats" / "cin_census"
D = date


def read_messy():
    return read_cin_census(FIXTURES / "census_messy.xml")


def test_children_are_read_with_gender_current_unborn_and_disability():
    children = read_messy().tables["children"]
    assert children.select(
        "child_id", "sex", "date_of_birth", "unborn", "ethnicity", "upn", "disability", "_row"
    ).rows() == [
        ("123", "M", D(2015, 3, 2), False, "WBRI", "A123456789012", False, 16),
        ("B7", "U", D(2024, 4, 20), True, "NOBT", None, None, 60),
    ]


def test_each_cin_episode_becomes_a_referral_with_an_id_from_the_child_and_date():
    referrals = read_messy().tables["referrals"]
    assert referrals.select(
        "referral_id", "child_id", "referral_date", "source", "nfa", "primary_need", "closure_date"
    ).rows() == [
        ("123-R20230501", "123", D(2023, 5, 1), "3A", False, "N1", None),
        ("B7-R20240110", "B7", D(2024, 1, 10), "3B", False, "N1", None),
    ]


def test_assessments_section47_conferences_and_plans_keep_their_episode():
    tables = read_messy().tables
    assert tables["assessments"].select(
        "assessment_id", "referral_id", "start_date", "authorised_date"
    ).rows() == [("123-A20230502", "123-R20230501", D(2023, 5, 2), D(2023, 6, 10))]
    assert tables["section47"].select(
        "s47_id", "referral_id", "strategy_discussion_date", "start_date", "icpc_required"
    ).rows() == [("123-S20230503", "123-R20230501", D(2023, 5, 3), D(2023, 5, 3), True)]
    # The episode's DateOfInitialCPC repeats the section 47's: one conference, not two.
    assert tables["icpcs"].select("icpc_id", "s47_id", "conference_date", "plan_made").rows() == [
        ("123-I20230520", "123-S20230503", D(2023, 5, 20), True)
    ]
    assert tables["cp_plans"].select(
        "cp_plan_id",
        "start_date",
        "end_date",
        "initial_category",
        "latest_category",
        "previous_plans",
    ).rows() == [("123-P20230520", D(2023, 5, 20), None, "NEG", "NEG", 0)]
    assert tables["cp_reviews"].select("cp_plan_id", "review_date").rows() == [
        ("123-P20230520", D(2023, 8, 15))
    ]
    assert tables["cin_plans"].select("cin_plan_id", "child_id", "start_date").rows() == [
        ("B7-N20240201", "B7", D(2024, 2, 1))
    ]


def test_the_reference_date_is_the_extract_date_and_header_and_factors_are_noted():
    result = read_messy()
    assert result.as_at == D(2024, 3, 31)
    # The conference is recorded on the episode as well as its section 47: DfE rule 2884.
    assert [(p.code, p.row) for p in result.problems] == [("dfe_2884", 32)]
    assert result.notes == [
        "census_messy.xml: Collection CIN, Year 2024, ReferenceDate 2024-03-31, LEA 999.",
        "census_messy.xml: AssessmentFactors are read but not kept (no canonical column).",
    ]


def test_a_billion_laughs_file_is_refused_before_any_entity_is_expanded():
    result = read_cin_census(FIXTURES / "billion_laughs.xml")
    [problem] = result.problems
    assert (problem.severity, problem.code, problem.row) == ("error", "unsafe_xml", 2)
    assert "declares a DTD" in problem.message
    assert result.tables == {}


def test_an_external_entity_file_is_refused_and_nothing_is_read_from_disk():
    result = read_cin_census(FIXTURES / "xxe.xml")
    [problem] = result.problems
    assert (problem.severity, problem.code) == ("error", "unsafe_xml")
    assert "external entities" in problem.message
    assert result.tables == {}


def test_a_broken_xml_file_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text("<Message>\n<Children>\n<Child>\n</Children>\n</Message>\n")
    [problem] = read_cin_census(path).problems
    assert (problem.code, problem.row) == ("unreadable_xml", 4)
    assert str(problem).startswith(
        "broken.xml row 4: the file is not well-formed XML: mismatched tag"
    )


def test_an_unreadable_date_names_the_line_of_the_element(tmp_path):
    path = tmp_path / "census.xml"
    path.write_text(
        "<Message><Header/>\n<Children>\n<Child>\n"
        "<ChildIdentifiers><LAchildID>9</LAchildID></ChildIdentifiers>\n"
        "<CINdetails>\n<CINreferralDate>2023-04-01</CINreferralDate>\n"
        "<CINclosureDate>2023-02-30</CINclosureDate>\n<ReferralNFA>maybe</ReferralNFA>\n"
        "</CINdetails>\n</Child>\n</Children></Message>\n"
    )
    assert [str(p) for p in read_cin_census(path).problems] == [
        "census.xml row 7, column CINclosureDate: '2023-02-30' is not a date (expected YYYY-MM-DD)",
        "census.xml row 8, column ReferralNFA: 'maybe' is not true or false",
    ]


def test_elements_in_a_namespace_are_read_by_their_local_names(tmp_path):
    path = tmp_path / "census.xml"
    path.write_text(
        '<Message xmlns="http://www.dcsf.gov.uk/CIN"><Header/><Children><Child>'
        "<ChildIdentifiers><LAchildID>N1</LAchildID><Sex>F</Sex></ChildIdentifiers>"
        "</Child></Children></Message>"
    )
    assert read_cin_census(path).tables["children"].select("child_id", "sex").rows() == [
        ("N1", "F")
    ]


def test_an_xml_file_that_is_not_a_census_is_an_error(tmp_path):
    path = tmp_path / "other.xml"
    path.write_text("<Invoice><Total>3</Total></Invoice>")
    [problem] = read_cin_census(path).problems
    assert problem.code == "not_cin_census"
    assert "root element is <Invoice>" in problem.message


# Columns the census carries; everything else (team, worker, child_seen, outcome, S47 end
# date) is not written.
CARRIED = {
    "children": [
        "child_id",
        "sex",
        "date_of_birth",
        "unborn",
        "ethnicity",
        "upn",
        "disability",
        "date_of_death",
    ],
    "referrals": [
        "referral_id",
        "child_id",
        "referral_date",
        "source",
        "nfa",
        "primary_need",
        "closure_date",
        "closure_reason",
    ],
    "assessments": ["assessment_id", "child_id", "referral_id", "start_date", "authorised_date"],
    "section47": [
        "s47_id",
        "child_id",
        "referral_id",
        "strategy_discussion_date",
        "start_date",
        "icpc_required",
    ],
    "icpcs": ["icpc_id", "child_id", "s47_id", "conference_date", "plan_made"],
    "cin_plans": ["cin_plan_id", "child_id", "start_date", "end_date"],
    "cp_plans": [
        "cp_plan_id",
        "child_id",
        "start_date",
        "end_date",
        "initial_category",
        "latest_category",
        "previous_plans",
    ],
    "cp_reviews": ["child_id", "cp_plan_id", "review_date"],
}


def test_canonical_tables_survive_a_round_trip_through_the_cin_census(council, tmp_path):
    out = tmp_path / "census.xml"
    notes = write_cin_census(Extract({k: v.lazy() for k, v in council.items()}, as_at=AS_AT), out)
    assert notes == []
    result = read_cin_census(out)
    assert result.errors == []
    assert result.as_at == AS_AT
    for table, columns in CARRIED.items():
        expected = council[table]
        if table == "children":
            expected = expected.filter(pl.col("child_id") == "C2").with_columns(
                pl.lit(False).alias("unborn")
            )
        assert canonical(result.tables[table], table, columns).equals(
            canonical(expected, table, columns)
        ), table


def test_the_writer_uses_gender_current_before_2025_and_sex_from_2025(council, tmp_path):
    old, new = tmp_path / "2024.xml", tmp_path / "2025.xml"
    write_cin_census(council, old, reference_date=D(2024, 3, 31))
    write_cin_census(council, new, reference_date=D(2024, 3, 31), collection_year=2025)
    assert "<GenderCurrent>2</GenderCurrent>" in old.read_text()
    assert "<Sex>F</Sex>" in new.read_text()
    assert "<InitialCPCtarget>2023-06-26</InitialCPCtarget>" in old.read_text()


def test_events_before_any_referral_are_reported_as_not_written(council, tmp_path):
    council["cp_plans"] = council["cp_plans"].with_columns(
        pl.lit(D(2023, 5, 1)).alias("start_date")
    )
    notes = write_cin_census(council, tmp_path / "c.xml", reference_date=AS_AT)
    assert notes == ["1 cp_plans row(s) not written: no referral in the census on or before them"]


def test_the_loader_detects_a_census_and_refuses_an_unsafe_one(tmp_path):
    from journey.engine.casedata.load import read_path

    _, report = read_path(FIXTURES / "census_messy.xml")
    assert (report.format, report.ok) == ("cin_census", True)
    _, report = read_path(FIXTURES / "billion_laughs.xml", format="cin_census")
    assert [p.code for p in report.errors] == ["unsafe_xml"]


def test_a_number_of_previous_plans_that_is_not_a_number_is_an_error(tmp_path):
    path = tmp_path / "census.xml"
    path.write_text(
        "<Message><Header/><Children><Child>\n"
        "<ChildIdentifiers><LAchildID>9</LAchildID></ChildIdentifiers>\n"
        "<CINdetails><CINreferralDate>2023-04-01</CINreferralDate>\n"
        "<ChildProtectionPlans><CPPstartDate>2023-05-01</CPPstartDate>\n"
        "<NumberOfPreviousCPP>two</NumberOfPreviousCPP>\n"
        "</ChildProtectionPlans></CINdetails></Child></Children></Message>\n"
    )
    assert [str(p) for p in read_cin_census(path).problems] == [
        "census.xml row 5, column NumberOfPreviousCPP: 'two' is not a whole number"
    ]


def test_disability_is_written_as_dda_or_none_and_read_back(council, tmp_path):
    council["children"] = council["children"].with_columns(
        pl.when(pl.col("child_id") == "C2")
        .then(None)
        .otherwise(pl.col("disability"))
        .alias("disability")
    )
    out = tmp_path / "c.xml"
    write_cin_census(council, out, reference_date=AS_AT)
    assert "<Disabilities>" not in out.read_text()
    council["children"] = council["children"].with_columns(pl.lit(True).alias("disability"))
    write_cin_census(council, out, reference_date=AS_AT)
    assert "<Disability>DDA</Disability>" in out.read_text()
    assert read_cin_census(out).tables["children"]["disability"].to_list() == [True]


def test_without_a_reference_date_the_year_gives_the_extract_date(tmp_path):
    path = tmp_path / "census.xml"
    path.write_text(
        "<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2024</Year>"
        "</CollectionDetails></Header><Children/></Message>"
    )
    result = read_cin_census(path)
    assert result.as_at == D(2024, 3, 31)
    assert [p.code for p in result.problems] == ["as_at_assumed"]


def test_a_census_holds_what_was_known_on_its_reference_date_and_each_conference_once(council, tmp_path):
    # After 31 March 2024 (the census date): C2's referral closes on 1 June, the plan ends
    # on 10 May with a review on 20 April, and a CIN plan starts on 2 April. As at 31 March
    # the referral and the plan are open, the later review and CIN plan not yet held.
    council["referrals"] = council["referrals"].with_columns(
        pl.lit(D(2024, 6, 1)).alias("closure_date"), pl.lit("RC1").alias("closure_reason")
    )
    council["cp_plans"] = council["cp_plans"].with_columns(pl.lit(D(2024, 5, 10)).alias("end_date"))
    council["cp_reviews"] = pl.concat(
        [council["cp_reviews"], council["cp_reviews"].head(1).with_columns(pl.lit(D(2024, 4, 20)).alias("review_date"))]
    )
    council["cin_plans"] = council["cin_plans"].with_columns(pl.lit(D(2024, 4, 2)).alias("start_date"))
    out = tmp_path / "census.xml"
    write_cin_census(council, out, reference_date=AS_AT)
    result = read_cin_census(out)
    assert result.problems == []  # nothing after the reference date, no DfE rule 2884
    assert result.tables["referrals"].select("closure_date", "closure_reason").rows() == [(None, None)]
    assert result.tables["cp_plans"]["end_date"].to_list() == [None]
    assert result.tables["cp_reviews"]["review_date"].to_list() == [D(2023, 9, 14), D(2024, 1, 15)]
    assert result.tables["cin_plans"].height == 0
    # The conference is written in the Section47 module only.
    assert out.read_text().count("<DateOfInitialCPC>2023-06-23</DateOfInitialCPC>") == 1
