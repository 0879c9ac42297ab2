"""Round trips: the synthetic council written in each format and read back gives the same
children and events (for what the format carries), and passes validation cleanly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from journey.cli import main
from journey.engine.casedata import canonical, schema
from journey.engine.casedata.formats.annex_a import read_annex_a, write_annex_a
from journey.engine.casedata.formats.cin_census import read_cin_census, write_cin_census
from journey.engine.casedata.formats.ssda903 import read_ssda903, write_ssda903
from journey.engine.casedata.load import read_files
from journey.engine.casedata.synth import PROBLEM_KINDS, synth_case_data

YEAR_START, YEAR_END = date(2022, 4, 1), date(2023, 3, 31)
#: Identifiers a statutory format does not carry (its reader makes its own).
MADE_UP_IDS = {
    "referral_id", "assessment_id", "s47_id", "icpc_id", "cp_plan_id", "cin_plan_id",
    "visit_id", "contact_id", "episode_id", "audit_id",
}  # fmt: skip


@pytest.fixture(scope="module")
def extract() -> schema.Extract:
    return synth_case_data(population=8_000, first_month="2022-04", last_month="2023-03", seed=4)


@pytest.fixture(scope="module")
def tables(extract) -> dict[str, pl.DataFrame]:
    return {
        name: frame.drop(schema.FLAG_COLUMN).collect() for name, frame in extract.tables.items()
    }


def _sorted(df: pl.DataFrame) -> pl.DataFrame:
    return df.sort(df.columns, nulls_last=True)


def _carried(
    read: pl.DataFrame, source: pl.DataFrame, *, besides: frozenset[str] = frozenset()
) -> list[str]:
    """Columns the format carried: in both, not location or made-up identifiers, not all empty."""
    return [
        c
        for c in source.columns
        if c in read.columns
        and c not in MADE_UP_IDS | besides
        and read[c].null_count() < read.height
    ]


#: Annex A lists give the team and worker allocated now, not those of the event.
NOW_NOT_THEN = frozenset({"team", "worker_id"})


def _same_rows(read: pl.DataFrame, expected: pl.DataFrame, *, at_least: list[str]) -> None:
    cols = _carried(read, expected)
    assert set(at_least) <= set(cols), f"the format lost {set(at_least) - set(cols)}"
    assert read.height == expected.height
    assert_frame_equal(_sorted(read.select(cols)), _sorted(expected.select(cols)))


def _in_year(df: pl.DataFrame, start: str, end: str) -> pl.DataFrame:
    return df.filter(
        (pl.col(start) <= YEAR_END) & (pl.col(end).is_null() | (pl.col(end) >= YEAR_START))
    )


def test_canonical_csv_round_trip_gives_identical_tables_and_no_validation_warnings(
    extract, tables, tmp_path
):
    canonical.write_csv_folder(extract, tmp_path)
    back, report = read_files({p.name: p.read_bytes() for p in tmp_path.iterdir()})
    assert report.ok and report.problems == []
    assert back.as_at == YEAR_END
    for name in schema.SCHEMA:
        read = back.tables[name].drop(schema.FLAG_COLUMN).collect()
        assert_frame_equal(_sorted(read), _sorted(tables[name]))


def test_planted_problems_are_exactly_the_validation_warnings(tmp_path):
    planted_extract = synth_case_data(
        population=8_000,
        first_month="2022-04",
        last_month="2023-03",
        seed=4,
        plant=len(PROBLEM_KINDS),
    )
    canonical.write_csv_folder(planted_extract, tmp_path)
    _, report = read_files({p.name: p.read_bytes() for p in tmp_path.iterdir()})
    assert report.ok
    # DfE's rules flag some planted rows too (tested in dfe_rules/); the planted kinds:
    assert sorted((p.file, p.code) for p in report.problems if not p.code.startswith("dfe_")) == sorted(
        [
            ("cla_episodes.csv", "end_before_start"),
            ("cla_episodes.csv", "unknown_code"),
            ("cla_reviews.csv", "unknown_reference"),
            ("assessments.csv", "end_before_start"),
            ("cla_episodes.csv", "overlapping_episodes"),
            ("children.csv", "unknown_code"),
        ]
    )


def test_ssda903_round_trip_gives_the_same_episodes_reviews_and_children(extract, tables, tmp_path):
    write_ssda903(extract, tmp_path, collection_years=[2023])
    result = read_ssda903(tmp_path)
    assert result.errors == []
    episodes = _in_year(tables["cla_episodes"], "episode_start", "episode_end")
    _same_rows(
        result.tables["cla_episodes"],
        episodes,
        at_least=["child_id", "episode_start", "reason_new_episode", "legal_status", "placement_type",
                  "placement_provider", "episode_end", "reason_ceased", "placement_urn"],
    )  # fmt: skip
    reviews = tables["cla_reviews"].filter(pl.col("review_date").is_between(YEAR_START, YEAR_END))
    _same_rows(
        result.tables["cla_reviews"], reviews, at_least=["child_id", "review_date", "participation"]
    )
    looked_after = set(episodes["child_id"].to_list())
    header = result.tables["children"]
    assert looked_after <= set(header["child_id"].to_list())
    # Before 2025 SSDA903 records sex as 1 or 2 only: compare children whose sex it can hold.
    known_sex = pl.col("child_id").is_in(list(looked_after)) & pl.col("sex").is_in(["M", "F"])
    _same_rows(
        header.filter(known_sex),
        tables["children"].filter(known_sex),
        at_least=["child_id", "sex", "date_of_birth", "ethnicity"],
    )
    # OC3 is one row a year, dated on the birthday, with what the latest contact said.
    leavers = result.tables["care_leavers"].join(
        tables["children"].select("child_id", "date_of_birth"), on="child_id"
    )
    assert leavers.height > 0
    birthday = pl.col("date_of_birth").dt.offset_by(
        pl.format("{}y", pl.col("contact_date").dt.year() - pl.col("date_of_birth").dt.year())
    )
    assert leavers.select((pl.col("contact_date") == birthday).all()).item()  # 29 Feb → 28 Feb
    said = [c for c in _carried(leavers, tables["care_leavers"]) if c != "contact_date"]
    assert {"in_touch", "activity", "accommodation", "accommodation_suitable"} <= set(said)
    assert (
        leavers.select(said)
        .join(tables["care_leavers"].select(said), on=said, how="anti", nulls_equal=True)
        .height
        == 0
    )


def test_cin_census_round_trip_gives_the_same_referrals_plans_and_enquiries(
    extract, tables, tmp_path
):
    path = tmp_path / "census.xml"
    write_cin_census(extract, path, reference_date=YEAR_END, period_start=YEAR_START)
    result = read_cin_census(path)
    assert result.errors == []
    referrals = _in_year(tables["referrals"], "referral_date", "closure_date")
    _same_rows(
        result.tables["referrals"],
        referrals,
        at_least=[
            "child_id",
            "referral_date",
            "source",
            "nfa",
            "primary_need",
            "closure_date",
            "closure_reason",
        ],
    )
    in_census = pl.col("referral_id").is_in(referrals["referral_id"].to_list())
    for name, start, end, needed in (
        (
            "cp_plans",
            "start_date",
            "end_date",
            ["child_id", "start_date", "end_date", "initial_category"],
        ),
        ("cin_plans", "start_date", "end_date", ["child_id", "start_date", "end_date"]),
    ):
        read = result.tables[name]
        expected = _in_year(tables[name], start, end)
        cols = _carried(read, expected)
        assert set(needed) <= set(cols)
        # Every plan read back is a synthetic plan (the census also carries earlier plans of
        # an open episode), and every plan open in the year is there.
        assert (
            read.select(cols)
            .join(tables[name].select(cols), on=cols, how="anti", nulls_equal=True)
            .height
            == 0
        )
        assert (
            expected.select(cols)
            .join(read.select(cols), on=cols, how="anti", nulls_equal=True)
            .height
            == 0
        )
    assessments = tables["assessments"].filter(in_census)
    read = result.tables["assessments"]
    cols = _carried(read, assessments)
    assert {"child_id", "start_date", "authorised_date"} <= set(cols)
    assert (
        read.select(cols)
        .join(assessments.select(cols), on=cols, how="anti", nulls_equal=True)
        .height
        == 0
    )
    assert (
        read.height
        == assessments.filter(
            pl.col("authorised_date").is_null() | (pl.col("authorised_date") >= YEAR_START)
        ).height
        or read.height == assessments.height
    )


def test_annex_a_round_trip_gives_the_same_children_and_events(extract, tables, tmp_path):
    path = write_annex_a(extract, tmp_path / "annex_a.xlsx", YEAR_END)
    result = read_annex_a(path, as_at=YEAR_END)
    assert result.errors == []
    for name, expected in (
        ("contacts", tables["contacts"].filter(pl.col("contact_date") >= YEAR_START)),
        ("referrals", _in_year(tables["referrals"], "referral_date", "closure_date")),
    ):
        read = result.tables[name]
        assert read.height == expected.height, name
        # Events dated in the year come from their own list with every column; older open
        # referrals come from the CIN list, which carries fewer.
        day = "contact_date" if name == "contacts" else "referral_date"
        for part in (read.filter(pl.col(day) >= YEAR_START), read.filter(pl.col(day) < YEAR_START)):
            if part.height == 0:
                continue
            cols = _carried(part, expected, besides=NOW_NOT_THEN)
            assert {"child_id", day} <= set(cols)
            assert (
                part.select(cols)
                .join(expected.select(cols), on=cols, how="anti", nulls_equal=True)
                .height
                == 0
            )
    # Lists that carry their events whole.
    for name in ("cp_plans", "icpcs", "cp_reviews", "early_help", "cla_reviews", "care_leavers"):
        read = result.tables[name]
        cols = _carried(read, tables[name], besides=NOW_NOT_THEN)
        assert "child_id" in cols and read.height > 0, name
        assert (
            read.select(cols)
            .join(tables[name].select(cols), on=cols, how="anti", nulls_equal=True)
            .height
            == 0
        ), name
    # Lists that carry some of an event's columns (a section 47 by its strategy discussion,
    # an assessment without the product's outcome words, a child without UASC status).
    for name, cols in (
        ("section47", ["child_id", "strategy_discussion_date", "icpc_required"]),
        ("assessments", ["child_id", "start_date", "authorised_date", "child_seen"]),
        ("children", ["child_id", "sex", "date_of_birth", "ethnicity"]),
    ):
        read = result.tables[name]
        assert read.height > 0, name
        assert (
            read.select(cols)
            .join(tables[name].select(cols), on=cols, how="anti", nulls_equal=True)
            .height
            == 0
        ), name
    # List 8 has a row per child looked after in the year (short breaks too).
    looked_after = _in_year(tables["cla_episodes"], "episode_start", "episode_end")
    read = set(result.tables["cla_episodes"]["child_id"].to_list())
    assert read == set(looked_after["child_id"].to_list())


@pytest.mark.parametrize(
    "fmt", ["canonical", "canonical-xlsx", "ssda903", "cin-census", "annex-a", "parquet"]
)
def test_the_synth_command_writes_each_format(fmt, tmp_path):
    out = tmp_path / fmt
    result = CliRunner().invoke(
        main,
        ["synth", "--population", "3000", "--from", "2022-10", "--to", "2023-03", "--seed", "1",
         "--out", str(out), "--format", fmt, "--plant-problems", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Planted: episode ends before start" in result.output
    assert "Planted: unknown placement code" in result.output
    written = [p for p in out.rglob("*") if p.is_file()]
    assert written
    if fmt == "parquet":
        assert (out / "extract.json").exists() and (out / "visits" / "part-00000.parquet").exists()


def test_the_synth_command_refuses_an_extract_date_before_the_window(tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "synth",
            "--from",
            "2023-04",
            "--to",
            "2023-06",
            "--as-at",
            "2023-01-31",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code != 0
    assert "before the first month" in result.output


def test_parquet_output_needs_no_path_beyond_the_out_directory(tmp_path: Path):
    result = CliRunner().invoke(
        main,
        ["synth", "--population", "2000", "--from", "2023-01", "--to", "2023-03", "--out", str(tmp_path / "a" / "b"),
         "--format", "parquet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == sorted(
        [*schema.SCHEMA, "extract.json"]
    )


def test_the_synth_command_offers_every_named_profile():
    from journey.cli.synth import synth
    from journey.engine.casedata.synth import PROFILES

    choice = next(p for p in synth.params if p.name == "profile_name")
    assert sorted(choice.type.choices) == sorted(PROFILES)  # type: ignore[attr-defined]


def test_a_mid_month_extract_of_a_mid_sized_council_passes_validation_without_a_warning():
    latest = synth_case_data(population=33_000, seed=7, as_at=date(2023, 8, 15))
    back, report = read_files(canonical.to_csv_files(latest))
    assert report.ok and report.problems == []
    unborn = back.tables["children"].filter(pl.col("unborn")).collect()
    assert unborn.height > 0
    looked_after = back.tables["cla_episodes"].collect()
    assert not looked_after["child_id"].is_in(unborn["child_id"].to_list()).any()
