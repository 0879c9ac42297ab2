"""The built-in map of published indicators agrees with DfE's own LAIT data dictionary."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from journey.engine.stats.dfe import INDICATORS_BY_MEASURE

DICTIONARY = Path(__file__).parent / "fixtures" / "dfe" / "lait_data_dictionary_csc.csv"

# Our measure id -> LAIT's Measure_short for the same definition.
LAIT_MEASURE = {
    "cla_rate_per_10k": "LAC",
    "cla_starts_rate_per_10k": "LAC_Start_Rate",
    "cla_ceased_rate_per_10k": "LAC_Cease_Rate",
    "referrals_rate_per_10k": "CPP_Total_Rateper10,000",
    "rereferrals_12m_pct": "ReReferral",
    "cin_rate_per_10k": "CIN",
    "cp_second_plan_pct": "PrevRegCPR",
    "cp_rate_per_10k": "CPP_rate",
    "cp_plans_2y_plus_pct": "CPPlans2yrsActive",
    "cla_3plus_placements_pct": "LACStable_2016on",
    "cla_long_term_stability_pct": "LAC_LongStable%",
    "cla_3plus_social_workers_pct": "Stability_SocialWorker",
    "care_leavers_suitable_accommodation_19_21_pct": "CareLeaverAcc",
    "care_leavers_suitable_accommodation_17_18_pct": "CareLeaverAcc",
    "care_leavers_eet_19_21_pct": "CareLeaverEET",
    "care_leavers_eet_17_18_pct": "CareLeaverEET",
    "workforce_agency_pct": "Work_Force_Agecy_Rate",
    "workforce_vacancy_pct": "Work_Force_Vac_Rate",
    "workforce_turnover_pct": "Work_Force_TO_Rate",
    "average_caseload": "Work_Force_AvgNumCase_SW",
}
LAIT_POLARITY = {"High": "higher_is_better", "Low": "lower_is_better", "-": None}


def dictionary() -> dict[str, dict[str, str]]:
    with DICTIONARY.open(encoding="utf-8-sig", newline="") as handle:
        return {row["Measure_short"]: row for row in csv.DictReader(handle)}


def test_every_published_indicator_is_matched_to_a_lait_measure():
    assert set(LAIT_MEASURE) == set(INDICATORS_BY_MEASURE)


@pytest.mark.parametrize("measure_id", sorted(LAIT_MEASURE))
def test_polarity_and_measure_code_are_lait_s(measure_id):
    lait = dictionary()[LAIT_MEASURE[measure_id]]
    indicator = INDICATORS_BY_MEASURE[measure_id]
    assert indicator.polarity == LAIT_POLARITY[lait["Polarity"].strip()]
    if lait["Measure_code"] != "NA":
        assert indicator.lait_code == lait["Measure_code"]
