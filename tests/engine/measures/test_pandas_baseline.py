"""The pandas baseline (benchmarks/pandas_baseline.py) and the library agree on the five
core measures on a small synthetic council (not timed: timings live in make bench)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from journey.engine.casedata.synth import synth_extract
from journey.engine.measures import compute

BASELINE = Path(__file__).resolve().parents[3] / "benchmarks" / "pandas_baseline.py"


def _baseline():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("pandas_baseline", BASELINE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pandas_baseline_and_library_agree_on_the_five_core_measures():
    baseline = _baseline()
    tables = synth_extract(population=4000, first_month="2021-04", last_month="2023-03", seed=11)
    first, last = "2022-04", "2023-03"
    expected = pl.from_pandas(
        baseline.compute({name: df.to_pandas() for name, df in tables.items()}, first, last)
    ).with_columns(pl.col("denominator").cast(pl.Float64))
    got = (
        compute({n: df.lazy() for n, df in tables.items()}, first, last, list(baseline.MEASURES), breakdowns=[], period_types=["month"])
        .select("measure_id", "period", "value", "numerator", "denominator")
    )
    key = ["measure_id", "period"]
    assert expected.height == 5 * 12
    assert expected["numerator"].sum() > 0
    assert_frame_equal(got.sort(key), expected.sort(key), check_exact=False)
