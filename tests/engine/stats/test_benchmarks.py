"""Published DfE benchmarks, checked against the raw CSV rows read independently.

The fixture files are DfE's own published rows (tests/engine/stats/fixtures/dfe/README.md).
Every expected figure below is computed in the test from those rows with the csv module, not
by the code under test.
"""

from __future__ import annotations

import csv
import math
import shutil
import statistics
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from journey.engine.stats.benchmarks import BenchmarkStore, import_benchmarks
from journey.engine.stats.dfe import DfeFileError

DFE = Path(__file__).parent / "fixtures" / "dfe"
CLA = DFE / "cla_number_and_rate_per_10k_children.csv"
SN_2025 = DFE / "sn_model_2025_wide.csv"
NORTH_EAST_LINCOLNSHIRE = "812"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def council_figures(path: Path, column: str, **filters: str) -> dict[str, float | None]:
    return {
        r["old_la_code"]: number(r[column])
        for r in rows(path)
        if r["geographic_level"] == "Local authority"
        and r["time_period"] == "2025"
        and all(r[k] == v for k, v in filters.items())
    }


def neighbours_2025(code: str) -> list[str]:
    (row,) = [r for r in rows(SN_2025) if r["old_la_code"] == code]
    return [row[f"SN_{i}"] for i in range(1, 11)]


def competition_rank(own: float, others: list[float], higher_is_better: bool) -> int:
    return 1 + sum(1 for v in others if (v > own if higher_is_better else v < own))


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> BenchmarkStore:
    directory = tmp_path_factory.mktemp("benchmarks")
    import_benchmarks(sorted(DFE.glob("*.csv")), directory)
    return BenchmarkStore(directory)


def test_a_councils_looked_after_rate_against_neighbours_england_region_rank_and_quartile(store):
    looked_after = {"population_type": "Children looked after on 31 March each year"}
    rates = council_figures(CLA, "rate_per_10000", **looked_after)
    own = rates[NORTH_EAST_LINCOLNSHIRE]
    neighbour_rates = [rates[c] for c in neighbours_2025(NORTH_EAST_LINCOLNSHIRE)]
    (england,) = [
        number(r["rate_per_10000"])
        for r in rows(CLA)
        if r["geographic_level"] == "National"
        and r["time_period"] == "2025"
        and r["population_type"] == looked_after["population_type"]
    ]
    (region,) = [
        number(r["rate_per_10000"])
        for r in rows(CLA)
        if r["geographic_level"] == "Regional"
        and r["time_period"] == "2025"
        and r["region_name"] == "Yorkshire and The Humber"
        and r["population_type"] == looked_after["population_type"]
    ]
    ranked = [v for v in rates.values() if v is not None]
    # No better direction for the looked-after rate in LAIT: rank 1 is the lowest rate.
    rank = competition_rank(own, ranked, higher_is_better=False)

    (result,) = store.for_council(
        NORTH_EAST_LINCOLNSHIRE, "cla_rate_per_10k", neighbour_model="2025"
    )

    assert result.la_name == "North East Lincolnshire"
    assert result.time_period == "2025"
    assert result.value == own
    assert result.england == england
    assert (result.region_name, result.region_value) == ("Yorkshire and The Humber", region)
    assert [n.old_la_code for n in result.neighbours] == neighbours_2025(NORTH_EAST_LINCOLNSHIRE)
    assert result.neighbour_mean == pytest.approx(sum(neighbour_rates) / 10)
    assert result.neighbour_median == pytest.approx(statistics.median(neighbour_rates))
    assert result.neighbours_with_figures == 10
    assert (result.rank, result.ranked_of) == (rank, len(ranked))
    assert result.quartile == "ABCD"[math.ceil(rank * 4 / len(ranked)) - 1]
    assert result.quartile_label.endswith("quarter)")
    assert "best" not in result.quartile_label and "worst" not in result.quartile_label
    assert (result.source_file, result.source_column) == (CLA.name, "rate_per_10000")


def test_the_new_ons_code_finds_the_same_council(store):
    by_old = store.for_council("812", "cla_rate_per_10k")[0]
    by_new = store.for_council("E06000012", "cla_rate_per_10k")[0]
    assert by_new == by_old


def test_rank_1_is_the_best_where_higher_is_better(store):
    path = DFE / "la_cla_placement_stability.csv"
    stable = council_figures(
        path,
        "children_percent",
        cla_group="Children looked after continuously for at least 2.5 years on 31 March aged under 16 years",
        placement_stability="Living with the same carer for at least 2 years",
    )
    ranked = [v for v in stable.values() if v is not None]
    for code in ("857", NORTH_EAST_LINCOLNSHIRE):
        (result,) = store.for_council(code, "cla_long_term_stability_pct")
        assert result.polarity == "higher_is_better"
        assert result.rank == competition_rank(stable[code], ranked, higher_is_better=True)
        assert result.ranked_of == len(ranked)
    (best,) = store.for_council("857", "cla_long_term_stability_pct")  # Rutland: 100%
    assert (best.rank, best.quartile_label) == (1, "A (best quarter)")


def test_the_plans_polarity_can_override_dfes(store):
    (as_published,) = store.for_council("812", "cla_rate_per_10k")
    (lower_better,) = store.for_council("812", "cla_rate_per_10k", polarity="lower_is_better")
    (higher_better,) = store.for_council("812", "cla_rate_per_10k", polarity="higher_is_better")
    assert lower_better.rank == as_published.rank
    assert lower_better.quartile_label == "D (worst quarter)"
    assert higher_better.quartile_label.startswith("A")


def test_a_suppressed_figure_is_null_with_its_symbol_never_zero(store):
    raw = [
        r
        for r in rows(CLA)
        if r["old_la_code"] == "201" and r["population_type"].startswith("Children looked after")
    ]
    assert raw[0]["rate_per_10000"] == "c"
    (city,) = store.for_council("201", "cla_rate_per_10k")
    assert (city.value, city.suppression, city.rank, city.quartile) == (None, "c", None, None)
    table = store.table().filter(pl.col("suppression").is_not_null()).collect()
    assert table["value"].null_count() == table.height


def test_referral_rate_is_derived_from_the_count_and_the_previous_years_population(store):
    path = DFE / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
    referrals = council_figures(path, "referral_count")[NORTH_EAST_LINCOLNSHIRE]
    (population_row,) = [
        r
        for r in rows(DFE / "ons_mid-year_population_estimates_2012_to_2024.csv")
        if r["old_la_code"] == NORTH_EAST_LINCOLNSHIRE
    ]
    assert population_row["time_period"] == "2024"
    expected = round(referrals / float(population_row["population_estimate"]) * 10_000, 1)
    (result,) = store.for_council(NORTH_EAST_LINCOLNSHIRE, "referrals_rate_per_10k")
    assert result.value == pytest.approx(expected)
    assert result.derivation == "referral_count / ONS mid-2024 population aged 0-17 x 10,000"


def test_a_joint_return_counts_for_both_councils_but_is_ranked_once(store):
    path = DFE / "csww_indicators_2017_to_2025.csv"
    (joint,) = [r for r in rows(path) if r["old_la_code"] == "314 / 318"]
    returns = [
        number(r["agency_rate_fte"])
        for r in rows(path)
        if r["geographic_level"] == "Local authority" and number(r["agency_rate_fte"]) is not None
    ]
    kingston = store.for_council("314", "workforce_agency_pct")[0]
    richmond = store.for_council("E09000027", "workforce_agency_pct")[0]
    assert kingston.value == richmond.value == float(joint["agency_rate_fte"])
    assert kingston.rank == richmond.rank
    assert kingston.ranked_of == len(returns)
    assert "joint return (314 / 318)" in kingston.notes[0]


def test_the_2021_neighbour_model_can_be_chosen(store):
    (row,) = [
        r
        for r in rows(DFE / "New_Statistical_Neighbour_Groupings_April_2021.csv")
        if r["LA num"] == NORTH_EAST_LINCOLNSHIRE
    ]
    (result,) = store.for_council(
        NORTH_EAST_LINCOLNSHIRE, "cla_rate_per_10k", neighbour_model="2021"
    )
    assert [n.old_la_code for n in result.neighbours] == [row[f"SN{i}"] for i in range(1, 11)]
    assert store.neighbour_models() == ["2021", "2025"]


def test_every_measure_for_a_council_comes_back_at_its_latest_year(store):
    results = store.for_council(NORTH_EAST_LINCOLNSHIRE)
    measures = {r.measure_id for r in results}
    assert {"cla_rate_per_10k", "rereferrals_12m_pct", "workforce_agency_pct"} <= measures
    assert all(r.time_period == "2025" for r in results)


def test_unknown_councils_and_measures_are_named(store):
    with pytest.raises(LookupError, match="no council with code '999'"):
        store.for_council("999")
    with pytest.raises(LookupError, match="no published benchmark for measure 'contacts_count'"):
        store.for_council("812", "contacts_count")


def test_a_cell_that_is_neither_number_nor_symbol_is_refused_naming_file_row_and_column(tmp_path):
    lines = CLA.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + ",n/a"
    bad = tmp_path / "cla.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(
        DfeFileError, match=r"cla.csv row 3 column rate_per_10000: 'n/a' is neither"
    ):
        import_benchmarks([bad], tmp_path / "out")


def test_a_rejected_import_leaves_the_previous_benchmarks_untouched(tmp_path):
    directory = tmp_path / "benchmarks"
    import_benchmarks([CLA, SN_2025], directory)
    before = (directory / "benchmarks.parquet").read_bytes()
    stranger = tmp_path / "other.csv"
    stranger.write_text("name,score\nA,1\n", encoding="utf-8")
    with pytest.raises(DfeFileError, match="other.csv: not in DfE.s tidy layout, missing column"):
        import_benchmarks([CLA, stranger], directory)
    assert (directory / "benchmarks.parquet").read_bytes() == before


def test_rates_needing_a_population_are_skipped_with_a_note_when_none_is_given(tmp_path):
    referrals = tmp_path / "c1.csv"
    shutil.copy(DFE / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv", referrals)
    report = import_benchmarks([referrals], tmp_path / "out")
    assert "referrals_rate_per_10k" not in report.rows_by_measure
    assert report.rows_by_measure["rereferrals_12m_pct"] > 0
    assert report.notes == (
        "referrals_rate_per_10k not derived from c1.csv: no ONS population file among the files imported",
    )


def test_history_gives_every_published_year_oldest_first(tmp_path):
    # The fixture keeps 2025 only; a second year is made by relabelling the 2025 rows 2024.
    lines = CLA.read_text(encoding="utf-8-sig").splitlines()
    older = [line.replace("2025,", "2024,", 1) for line in lines[1:]]
    two_years = tmp_path / "cla.csv"
    two_years.write_text("\n".join([lines[0], *lines[1:], *older]) + "\n", encoding="utf-8")
    import_benchmarks([two_years, SN_2025], tmp_path / "out")
    history = BenchmarkStore(tmp_path / "out").history("812", "cla_rate_per_10k")
    assert [h.time_period for h in history] == ["2024", "2025"]
    assert history[0].neighbour_mean == history[1].neighbour_mean


def test_the_comparison_table_sets_a_councils_figures_beside_its_comparators(store):
    from journey.engine.stats.benchmarks import comparison_table

    results = store.for_council("201", "cla_rate_per_10k") + store.for_council(
        "857", "cla_long_term_stability_pct"
    )
    city, rutland = results
    expected = pl.DataFrame(
        {
            "measure_id": ["cla_rate_per_10k", "cla_long_term_stability_pct"],
            "time_period": ["2025", "2025"],
            "old_la_code": ["201", "857"],
            "new_la_code": ["E09000001", "E06000017"],
            "value": [None, 100.0],
            "suppression": ["c", None],
            "england": [city.england, rutland.england],
            "region_value": [city.region_value, rutland.region_value],
            "neighbour_mean": [city.neighbour_mean, rutland.neighbour_mean],
            "neighbour_median": [city.neighbour_median, rutland.neighbour_median],
            "rank": [None, 1],
            "ranked_of": [city.ranked_of, rutland.ranked_of],
            "quartile": [None, "A"],
        },
        schema_overrides={"value": pl.Float64, "rank": pl.Int64, "ranked_of": pl.Int64},
    )
    assert_frame_equal(comparison_table(results), expected)


def test_six_digit_financial_years_read_as_2024_25_and_use_that_years_population(tmp_path):
    # A file in EES's financial-year form: the 2025 referral rows relabelled 202425.
    path = DFE / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    relabelled = tmp_path / "c1.csv"
    relabelled.write_text(
        "\n".join(
            [
                lines[0],
                *(
                    line.replace("2025,Reporting year", "202425,Financial year", 1)
                    for line in lines[1:]
                ),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    import_benchmarks(
        [relabelled, DFE / "ons_mid-year_population_estimates_2012_to_2024.csv"], tmp_path / "out"
    )
    store = BenchmarkStore(tmp_path / "out")
    (result,) = store.for_council("812", "referrals_rate_per_10k", time_period="202425")
    assert result.time_period == "2024/25"
    assert result.derivation == "referral_count / ONS mid-2024 population aged 0-17 x 10,000"


D5 = DFE / "d5_cpps_at31march_by_duration_2013_to_2025.csv"
LEAVERS = DFE / "la_care_leavers_accommodation_suitability.csv"


def test_a_library_measure_counted_as_dfe_counts_is_compared_under_its_own_id(store):
    # cp_plans_2y_open_pct (the library's) is DfE's "2 years or more" of plans open at 31 March.
    published = council_figures(D5, "2_years_or_more_percent")
    by_library_id = store.for_council(NORTH_EAST_LINCOLNSHIRE, "cp_plans_2y_open_pct")[0]
    assert by_library_id.measure_id == "cp_plans_2y_plus_pct"
    assert by_library_id.value == published[NORTH_EAST_LINCOLNSHIRE]
    # Care leavers aged 19-21 in suitable accommodation: DfE's percentage, read from its row.
    (row,) = [
        r for r in rows(LEAVERS)
        if r["old_la_code"] == NORTH_EAST_LINCOLNSHIRE and r["time_period"] == "2025"
        and r["care_leaver_age"] == "19 to 21 years" and r["breakdown"] == "Accommodation considered suitable"
    ]
    leavers = store.for_council(NORTH_EAST_LINCOLNSHIRE, "care_leavers_suitable_accommodation_pct")[0]
    assert leavers.value == number(row["care_leaver_percent"])
    # The rate of children on plans at 31 March: the count over the previous mid-year population.
    cp = store.for_council(NORTH_EAST_LINCOLNSHIRE, "cp_plans_rate_per_10k")[0]
    assert cp.measure_id == "cp_rate_per_10k"
    population = council_figures_2024(DFE / "ons_mid-year_population_estimates_2012_to_2024.csv", "population_estimate")
    at31 = council_figures(D5, "CPP_At31")[NORTH_EAST_LINCOLNSHIRE]
    assert cp.value == pytest.approx(round(at31 / population[NORTH_EAST_LINCOLNSHIRE] * 10_000, 1))
    assert store.history(NORTH_EAST_LINCOLNSHIRE, "cp_plans_rate_per_10k")[-1].value == cp.value


def council_figures_2024(path: Path, column: str) -> dict[str, float | None]:
    return {r["old_la_code"]: number(r[column]) for r in rows(path) if r["geographic_level"] == "Local authority" and r["time_period"] == "2024"}
