"""Every breakdown adds up to its headline: for each measure of the library that has
breakdowns, each of its breakdowns, month, year to date and rolling period, the parts'
numerators and denominators sum to the whole's (a record with no value for the breakdown
is counted under "Not recorded", never dropped, and none is counted twice). Checked on a
synthetic council whose extract gives every table, so every breakdown has figures."""

from __future__ import annotations

import polars as pl
import pytest

from journey.engine.measures import REGISTRY, compute

KEY = ["measure_id", "period", "period_type"]
WITH_BREAKDOWNS = sorted(m for m, d in REGISTRY.items() if d.breakdowns)


@pytest.fixture(scope="module")
def extract() -> dict[str, pl.DataFrame]:
    from journey.engine.casedata.synth import synth_extract

    # A small council: seed 6 staffs every case-holding role (seed 5 happens to have no
    # newly qualified ASYE worker, so the ASYE caseload would have no breakdowns to check).
    return synth_extract(population=1500, first_month="2022-04", last_month="2023-03", seed=6)


@pytest.fixture(scope="module")
def figures(extract) -> pl.DataFrame:
    return compute({n: df.lazy() for n, df in extract.items()}, "2022-10", "2023-03", partitions=1)


def test_the_library_has_measures_with_breakdowns_to_check():
    assert len(WITH_BREAKDOWNS) >= 40


def test_the_council_checked_staffs_every_case_holding_role(extract):
    from journey.engine.measures.workforce import CASE_HOLDING_ROLES

    assert set(CASE_HOLDING_ROLES) <= set(extract["workers"]["role"].unique())


@pytest.mark.parametrize("measure_id", WITH_BREAKDOWNS)
def test_each_breakdown_of_the_measure_adds_up_to_its_headline(figures, measure_id):
    mine = figures.filter(pl.col("measure_id") == measure_id)
    whole = mine.filter(pl.col("breakdown").is_null()).select(
        *KEY, pl.col("numerator").alias("whole_num"), pl.col("denominator").alias("whole_den")
    )
    parts = (
        mine.filter(pl.col("breakdown").is_not_null())
        .group_by(*KEY, "breakdown")
        .agg(
            pl.col("numerator").sum().alias("parts_num"),
            pl.col("denominator").sum().alias("parts_den"),
            pl.col("denominator").is_not_null().any().alias("has_den"),
        )
    )
    # Every breakdown the library lists has figures on this council.
    assert set(parts["breakdown"].unique()) == set(REGISTRY[measure_id].breakdowns)
    joined = parts.join(whole, on=KEY, how="left")
    assert joined["whole_num"].null_count() == 0, "a breakdown without its headline"
    wrong = joined.filter(
        ((pl.col("parts_num") - pl.col("whole_num")).abs() > 1e-9)
        | (pl.col("has_den") & ((pl.col("parts_den") - pl.col("whole_den")).abs() > 1e-9))
    )
    assert wrong.is_empty(), "\n".join(
        f"{r['breakdown']} {r['period']} {r['period_type']}: parts {r['parts_num']:g} of {r['parts_den']:g}, "
        f"whole {r['whole_num']:g} of {r['whole_den']}"
        for r in wrong.head(5).iter_rows(named=True)
    )
