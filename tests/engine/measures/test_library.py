"""The library as a whole: documentation, coverage by tests, output contract, CLI."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from journey.cli import main
from journey.engine.measures import OBSERVATION_SCHEMA, REGISTRY, compute, drilldown, render_docs

from .helpers import extract

ROOT = Path(__file__).resolve().parents[3]


def test_docs_measures_md_is_generated_from_the_registry_and_up_to_date():
    assert (ROOT / "docs" / "measures.md").read_text() == render_docs(), (
        "docs/measures.md is stale: run `journey measures docs > docs/measures.md`"
    )


def test_every_measure_is_exercised_by_a_hand_worked_test():
    text = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py") if p.name != "test_library.py")
    missing = [m for m in REGISTRY if f'"{m}"' not in text]
    assert missing == []


def test_every_measure_labelled_as_dfes_states_dfes_definition_and_how_it_differs():
    for m in REGISTRY.values():
        if m.lait or "DfE" in m.source:
            assert m.dfe and m.dfe_difference, f"{m.id} names DfE as its source but not DfE's rule and the difference"
            if m.lait:
                assert f"LAIT {m.lait}" in m.dfe, m.id
        if m.source.startswith("local"):
            assert m.lait is None, f"{m.id} is local but carries LAIT code {m.lait}"
    rendered = render_docs()
    for m in REGISTRY.values():
        if m.dfe:
            assert f"- **DfE's definition:** {m.dfe}" in rendered and f"- **Against DfE's:** {m.dfe_difference}" in rendered


def test_a_measure_compared_with_a_published_dfe_figure_has_its_unit_and_lait_code():
    from journey.engine.stats.dfe import PUBLISHED_INDICATORS, library_measure_id

    units = {"rate per 10,000": "rate_per_10k", "percent": "percent", "number": "number"}
    compared = {}
    for indicator in PUBLISHED_INDICATORS:
        m = REGISTRY.get(library_measure_id(indicator.measure_id))
        if m is None:
            continue
        compared[m.id] = indicator.measure_id
        assert units[indicator.unit] == m.unit, m.id
        assert m.lait in (None, indicator.lait_code), m.id  # never a conflicting code
        assert m.dfe and m.dfe_difference, m.id
    # Every library measure DfE publishes a figure for is compared with it.
    assert {"cp_plans_rate_per_10k", "cp_plans_2y_open_pct", "care_leavers_eet_pct", "cla_rate_per_10k", "cin_rate_per_10k"} <= set(compared)


def test_every_measure_documents_its_parameters_and_sources():
    for m in REGISTRY.values():
        assert m.definition and m.numerator and m.denominator and m.source, m.id
        for p in m.parameters:
            assert f"`{p.name}`" in m.definition or f"`{p.name}`" in m.numerator or f"`{p.name}`" in m.denominator, (m.id, p.name)
        assert re.fullmatch(r"[a-z][a-z0-9_]*", m.id)


def test_unknown_parameters_are_refused_with_the_measure_s_parameters_named():
    with pytest.raises(ValueError, match="cp_visits_in_timescale_pct has no parameter 'days'.*working_days"):
        compute(extract(), "2023-06", "2023-06", ["cp_visits_in_timescale_pct"], {"cp_visits_in_timescale_pct": {"days": 5}})


def test_compute_on_an_empty_extract_gives_every_measure_in_the_observations_contract():
    out = compute(extract(as_at="2023-07-12"), "2023-05", "2023-06")
    assert out.schema == OBSERVATION_SCHEMA
    assert set(out["measure_id"]) == set(REGISTRY)
    counts = out.filter(pl.col("measure_id") == "cla_count")
    assert counts["value"].to_list() == [0.0, 0.0, 0.0]  # May, June and latest (July)
    assert counts["period_type"].to_list() == ["month", "month", "latest"]


def test_drilldown_refuses_a_breakdown_the_measure_does_not_support():
    with pytest.raises(ValueError, match="supports: team, cp_category, age_band"):
        drilldown(extract(), "cp_plans_count", "2023-06", breakdown="placement_type")


def _write_parquet(folder: Path) -> None:
    ex = extract(
        cla_episodes=[{"child_id": "A", "episode_start": "2023-01-10", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U4"}],
        referrals=[{"referral_id": "r1", "child_id": "A", "referral_date": "2023-06-01"}],
    )
    for name in ("cla_episodes", "referrals"):
        ex.tables[name].collect().write_parquet(folder / f"{name}.parquet")


def test_journey_compute_writes_an_observations_csv_from_a_parquet_folder(tmp_path):
    _write_parquet(tmp_path)
    out = tmp_path / "obs.csv"
    result = CliRunner().invoke(main, ["compute", "--data", str(tmp_path), "--from", "2023-05", "--to", "2023-06", "--measures", "cla_count,referrals_count", "--out", str(out)])
    assert result.exit_code == 0, result.output
    obs = pl.read_csv(out)
    june = obs.filter((pl.col("measure_id") == "cla_count") & (pl.col("period") == "2023-06") & pl.col("breakdown").is_null())
    assert june["value"].to_list() == [1.0]
    assert set(obs["source"]) == {"computed"}


def test_journey_compute_notes_re_referral_figures_that_cannot_see_the_year_before_them(tmp_path):
    # The extract's one referral is in June 2023, so its referrals are complete from June
    # 2023 and a referral before 1 June 2024 cannot see 12 months back: June 2023's figure
    # is understated and says so; the referrals count is not a re-referral figure.
    _write_parquet(tmp_path)
    out = tmp_path / "obs.csv"
    result = CliRunner().invoke(main, ["compute", "--data", str(tmp_path), "--from", "2023-06", "--to", "2023-06", "--measures", "rereferrals_12m_pct,referrals_count", "--no-breakdowns", "--out", str(out)])
    assert result.exit_code == 0, result.output
    obs = pl.read_csv(out, infer_schema_length=0)
    june = obs.filter((pl.col("period") == "2023-06") & (pl.col("period_type") == "month"))
    notes = dict(zip(june["measure_id"], june["note"].fill_null(""), strict=True))
    assert notes["rereferrals_12m_pct"].startswith("Understated: the extract's referrals are complete only from June 2023")
    assert notes["referrals_count"] == ""
    assert "re-referral figures are understated" in result.output


def test_journey_drilldown_prints_csv_with_reasons(tmp_path):
    _write_parquet(tmp_path)
    result = CliRunner().invoke(main, ["drilldown", "--data", str(tmp_path), "--measure", "cla_count", "--month", "2023-06", "--breakdown", "placement_type", "--cell", "U4", "--format", "csv"])
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(result.output.encode())
    assert frame["child_id"].to_list() == ["A"]
    assert frame["reason"][0].startswith("Looked after at 2023-06-30: in care since 2023-01-10")


def test_journey_measures_explain_names_a_close_id_when_mistyped():
    result = CliRunner().invoke(main, ["measures", "explain", "cla_cont"])
    assert result.exit_code == 1
    assert "did you mean 'cla_count'" in result.output


def test_splitting_an_extract_by_child_gives_the_same_figures():
    from journey.engine.casedata.synth import synth_extract

    tables = {n: df.lazy() for n, df in synth_extract(population=3000, first_month="2022-04", last_month="2023-03", seed=5).items()}
    whole = compute(tables, "2022-10", "2023-03", partitions=1)
    split = compute(tables, "2022-10", "2023-03", partitions=3)
    assert whole.height > 1000
    assert_frame_equal(split, whole, check_exact=False)


def test_a_latest_is_set_beside_the_rated_figure_only_when_it_covers_the_same_window():
    from journey.engine.measures import latest_is_like_rated

    # Referrals: the month is rated unless the plan counts since April; the latest is the
    # year to date at the extract's date.
    assert latest_is_like_rated("referrals_count", cumulative_in_year=False) is False
    assert latest_is_like_rated("referrals_count", cumulative_in_year=True) is True
    # A projected annual rate is rated on the year to date each month, like its latest.
    assert latest_is_like_rated("referrals_rate_per_10k", cumulative_in_year=False) is True
    # Contacts: a month-to-date latest beside the month.
    assert latest_is_like_rated("contacts_count", cumulative_in_year=False) is True
    # A snapshot's latest is the same count on a later day; an id outside the library says nothing.
    assert REGISTRY["cp_plans_count"].kind == "snapshot"
    assert latest_is_like_rated("cp_plans_count", cumulative_in_year=False) is True
    assert latest_is_like_rated("no_such_measure", cumulative_in_year=False) is True
