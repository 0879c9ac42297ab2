"""The CIN census as DfE defines it: the ReferenceDate (rule 100) and the census year,
initial conferences that cannot be timed, and a conference recorded on the CIN episode."""

from __future__ import annotations

from datetime import date

import polars as pl

from journey.engine.casedata.formats.cin_census import read_cin_census_bytes
from journey.engine.casedata.load import read_files
from journey.engine.measures import drilldown
from tests.engine._helpers_cin import census


def test_a_census_dated_in_july_is_taken_as_at_the_end_of_its_census_year_with_rule_100():
    data = census(reference="2024-07-21", year="2024", details="<CINreferralDate>2023-05-01</CINreferralDate>")
    result = read_cin_census_bytes(data, "cin.xml")
    assert result.as_at == date(2024, 3, 31)
    [problem] = [p for p in result.problems if p.code == "dfe_100"]
    assert problem.severity == "warning"
    assert problem.message == (
        "DfE CIN census rule 100: Reference Date is incorrect (ReferenceDate 2024-07-21, but the 2024 census's "
        "is 2024-03-31: its figures are taken as at 2024-03-31, the end of the census year)"
    )
    assert (problem.row, problem.column) == (4, "ReferenceDate")
    # "Latest" is then the census year to 31 March, not April to July.
    extract, _ = read_files({"cin.xml": data})
    assert extract.as_at == date(2024, 3, 31)


def test_a_census_dated_31_march_of_its_year_passes_rule_100():
    result = read_cin_census_bytes(census(reference="2024-03-31", year="2024", details=""), "cin.xml")
    assert not [p for p in result.problems if p.code == "dfe_100"]
    assert result.as_at == date(2024, 3, 31)


EPISODE_WITHOUT_S47 = """
<CINreferralDate>2023-05-01</CINreferralDate><DateOfInitialCPC>2023-05-20</DateOfInitialCPC>
<ReferralNFA>false</ReferralNFA>
"""
EPISODE_WITH_UNDATED_S47 = """
<CINreferralDate>2023-06-01</CINreferralDate><DateOfInitialCPC>2023-06-23</DateOfInitialCPC>
<ReferralNFA>false</ReferralNFA>
<Section47><S47ActualStartDate>2023-06-02</S47ActualStartDate><ICPCnotRequired>false</ICPCnotRequired></Section47>
"""
EPISODE_RECORDED_TWICE = """
<CINreferralDate>2023-09-01</CINreferralDate><DateOfInitialCPC>2023-09-25</DateOfInitialCPC>
<ReferralNFA>false</ReferralNFA>
<Section47><S47ActualStartDate>2023-09-04</S47ActualStartDate><DateOfInitialCPC>2023-09-22</DateOfInitialCPC>
<ICPCnotRequired>false</ICPCnotRequired></Section47>
"""


def test_conferences_on_the_cin_episode_are_the_section_47s_and_untimed_ones_are_reported():
    data = census(
        reference="2024-03-31",
        year="2024",
        details=[EPISODE_WITHOUT_S47, EPISODE_WITH_UNDATED_S47, EPISODE_RECORDED_TWICE],
    )
    result = read_cin_census_bytes(data, "cin.xml")
    icpcs = result.tables["icpcs"].sort("conference_date")
    # 20 May: no enquiry in its episode. 23 June: the episode's enquiry (2 June). 25
    # September is recorded on the episode as well as on its enquiry (22 September): one.
    assert icpcs.select("conference_date", "s47_id").rows() == [
        (date(2023, 5, 20), None),
        (date(2023, 6, 23), "C1-S20230602"),
        (date(2023, 9, 22), "C1-S20230904"),
    ]
    codes = sorted(p.code for p in result.problems if p.severity == "warning")
    assert codes == ["dfe_2884", "icpc_not_timed"]
    [untimed] = [p for p in result.problems if p.code == "icpc_not_timed"]
    assert untimed.value == "2023-05-20" and untimed.column == "DateOfInitialCPC"

    extract, _ = read_files({"cin.xml": data})
    rows = drilldown(extract, "icpc_15wd_pct", "2024-03", period_type="fytd")
    # 23 June: 15 working days after 2 June (on time); 22 September: 14 after 4 September.
    counted = rows.filter(pl.col("in_denominator"))
    assert counted["conference_date"].to_list() == [date(2023, 6, 23), date(2023, 9, 22)]
    [listed] = rows.filter(~pl.col("in_denominator")).rows(named=True)
    assert listed["reason"] == (
        "Initial conference 2023-05-20 not timed: no section 47 enquiry to time it from (none named, and none "
        "of the child's started on or before it without a conference of its own): not counted"
    )
