"""Reading DfE's published local-authority statistics as they come from Explore Education Statistics.

DfE files use a tidy layout (``time_period, time_identifier, geographic_level, country_code,
region_code, region_name, old_la_code, new_la_code, la_name, ...``) with suppressed cells
marked by symbols. A symbol is never read as zero: the value becomes null and the symbol is
kept beside it. Files are recognised by their columns, not their names, so next year's
release of the same table imports without change.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

SUPPRESSION_SYMBOLS: dict[str, str] = {
    "c": "confidential: suppressed to protect individuals",
    "k": "rounds to zero but is not zero",
    "low": "a positive figure that rounds to zero",
    "u": "low reliability",
    "x": "not available",
    "z": "not applicable",
    ":": "not available",
    ".": "not applicable",
}
"""The symbols DfE and the Government Statistical Service use in place of a figure."""

GEOGRAPHY_COLUMNS = ("time_period", "time_identifier", "geographic_level", "country_code")
PER_10K = 10_000


class DfeFileError(ValueError):
    """A published file that cannot be read; the message names the file, row and column."""


@dataclass(frozen=True)
class PublishedIndicator:
    """Where one of our measures is published: file (by its columns), rows and column.

    ``per_population`` indicators are not published as rates in the file, so they are
    derived as count / ONS mid-year 0-17 population of the previous year x 10,000, the
    population DfE itself uses for a year ending 31 March.
    """

    measure_id: str
    title: str
    unit: str
    recognised_by: frozenset[str]
    value_column: str
    filters: tuple[tuple[str, str], ...] = ()
    numerator_column: str | None = None
    denominator_column: str | None = None
    per_population: bool = False
    polarity: str | None = None
    lait_code: str | None = None

    def matches(self, columns: Iterable[str]) -> bool:
        return self.recognised_by <= set(columns)


def _indicator(
    measure_id: str, title: str, unit: str, columns: set[str], value: str, **options: object
) -> PublishedIndicator:
    return PublishedIndicator(
        measure_id,
        title,
        unit,
        frozenset(columns | {value}),
        value,
        **options,  # type: ignore[arg-type]
    )


_CLA = {"population_type", "rate_per_10000"}
_STABILITY = {"cla_group", "placement_stability", "children_percent"}
_LEAVERS = {"care_leaver_age", "breakdown", "care_leaver_percent"}
_WORKFORCE = {"agency_rate_fte", "caseload_fte"}

PUBLISHED_INDICATORS: tuple[PublishedIndicator, ...] = (
    _indicator(
        "cla_rate_per_10k",
        "Children looked after at 31 March, rate per 10,000 aged 0-17",
        "rate per 10,000",
        _CLA,
        "rate_per_10000",
        filters=(("population_type", "Children looked after on 31 March each year"),),
        numerator_column="children_count",
        denominator_column="population_estimate",
        lait_code="124",
    ),
    _indicator(
        "cla_starts_rate_per_10k",
        "Children starting to be looked after in the year, rate per 10,000",
        "rate per 10,000",
        _CLA,
        "rate_per_10000",
        filters=(("population_type", "Children starting to be looked after each year"),),
        numerator_column="children_count",
        denominator_column="population_estimate",
        lait_code="376",
    ),
    _indicator(
        "cla_ceased_rate_per_10k",
        "Children ceasing to be looked after in the year, rate per 10,000",
        "rate per 10,000",
        _CLA,
        "rate_per_10000",
        filters=(("population_type", "Children ceasing to be looked after each year"),),
        numerator_column="children_count",
        denominator_column="population_estimate",
        lait_code="392",
    ),
    _indicator(
        "referrals_rate_per_10k",
        "Referrals in the year, rate per 10,000 aged 0-17",
        "rate per 10,000",
        {"rereferral_percent"},
        "referral_count",
        per_population=True,
        lait_code="305",
    ),
    _indicator(
        "rereferrals_12m_pct",
        "Re-referrals within 12 months of a previous referral, %",
        "percent",
        {"referral_count"},
        "rereferral_percent",
        numerator_column="rereferral_count",
        denominator_column="referral_count",
        polarity="lower_is_better",
        lait_code="271",
    ),
    _indicator(
        "cin_rate_per_10k",
        "Children in need at 31 March (episodes), rate per 10,000 aged 0-17",
        "rate per 10,000",
        {"Anypoint_episodes"},
        "At31_episodes",
        per_population=True,
        lait_code="171",
    ),
    _indicator(
        "cp_second_plan_pct",
        "Child protection plans starting in the year that were a second or subsequent plan, %",
        "percent",
        {"CPP_start"},
        "CPP_subsequent_percent",
        numerator_column="CPP_subsequent",
        denominator_column="CPP_start",
        polarity="lower_is_better",
        lait_code="15",
    ),
    _indicator(
        "cp_rate_per_10k",
        "Children on a child protection plan at 31 March, rate per 10,000 aged 0-17",
        "rate per 10,000",
        {"2_years_or_more_percent"},
        "CPP_At31",
        per_population=True,
        lait_code="215",
    ),
    _indicator(
        "cp_plans_2y_plus_pct",
        "Child protection plans open at 31 March that had lasted 2 years or more, %",
        "percent",
        {"CPP_At31"},
        "2_years_or_more_percent",
        numerator_column="2_years_or_more",
        denominator_column="CPP_At31",
        polarity="lower_is_better",
        lait_code="264",
    ),
    _indicator(
        "cla_3plus_placements_pct",
        "Children looked after at 31 March with 3 or more placements in the year, %",
        "percent",
        _STABILITY,
        "children_percent",
        filters=(
            ("cla_group", "CLA on 31 March"),
            ("placement_stability", "With 3 or more placements during the year"),
        ),
        numerator_column="children_count",
        polarity="lower_is_better",
        lait_code="372",
    ),
    _indicator(
        "cla_long_term_stability_pct",
        "Under-16s looked after 2.5 years or more living in the same placement for 2 years, %",
        "percent",
        _STABILITY,
        "children_percent",
        filters=(
            (
                "cla_group",
                "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years",
            ),
            ("placement_stability", "Living with the same carer for at least 2 years"),
        ),
        numerator_column="children_count",
        polarity="higher_is_better",
        lait_code="393",
    ),
    _indicator(
        "cla_3plus_social_workers_pct",
        "Children looked after at 31 March with 3 or more social workers in the year, %",
        "percent",
        {"sw_stability"},
        "percentage",
        filters=(("sw_stability", "3 or more social workers during the year"),),
        numerator_column="number",
        polarity="lower_is_better",
    ),
    _indicator(
        "care_leavers_suitable_accommodation_19_21_pct",
        "Care leavers aged 19-21 in suitable accommodation, %",
        "percent",
        _LEAVERS,
        "care_leaver_percent",
        filters=(
            ("care_leaver_age", "19 to 21 years"),
            ("breakdown", "Accommodation considered suitable"),
        ),
        numerator_column="care_leaver_count",
        polarity="higher_is_better",
        lait_code="112",
    ),
    _indicator(
        "care_leavers_suitable_accommodation_17_18_pct",
        "Care leavers aged 17-18 in suitable accommodation, %",
        "percent",
        _LEAVERS,
        "care_leaver_percent",
        filters=(
            ("care_leaver_age", "17 to 18 years"),
            ("breakdown", "Accommodation considered suitable"),
        ),
        numerator_column="care_leaver_count",
        polarity="higher_is_better",
        lait_code="112",
    ),
    _indicator(
        "care_leavers_eet_19_21_pct",
        "Care leavers aged 19-21 in education, employment or training, %",
        "percent",
        _LEAVERS,
        "care_leaver_percent",
        filters=(
            ("care_leaver_age", "19 to 21 years"),
            ("breakdown", "Total in education, employment or training"),
        ),
        numerator_column="care_leaver_count",
        polarity="higher_is_better",
        lait_code="113",
    ),
    _indicator(
        "care_leavers_eet_17_18_pct",
        "Care leavers aged 17-18 in education, employment or training, %",
        "percent",
        _LEAVERS,
        "care_leaver_percent",
        filters=(
            ("care_leaver_age", "17 to 18 years"),
            ("breakdown", "Total in education, employment or training"),
        ),
        numerator_column="care_leaver_count",
        polarity="higher_is_better",
        lait_code="113",
    ),
    _indicator(
        "workforce_agency_pct",
        "Children and family social workers who are agency workers (FTE), %",
        "percent",
        _WORKFORCE,
        "agency_rate_fte",
        numerator_column="agency_fte",
        polarity="lower_is_better",
        lait_code="287",
    ),
    _indicator(
        "workforce_vacancy_pct",
        "Children and family social worker vacancy rate (FTE), %",
        "percent",
        _WORKFORCE,
        "vacancy_rate_fte",
        numerator_column="vacancy_fte",
        polarity="lower_is_better",
        lait_code="287",
    ),
    _indicator(
        "workforce_turnover_pct",
        "Children and family social worker turnover rate (FTE), %",
        "percent",
        _WORKFORCE,
        "turnover_rate_fte",
        numerator_column="leavers_fte",
        denominator_column="inpost_fte",
        polarity="lower_is_better",
        lait_code="287",
    ),
    _indicator(
        "average_caseload",
        "Average caseload per FTE case-holding children and family social worker",
        "number",
        _WORKFORCE,
        "caseload_fte",
        numerator_column="cases",
        denominator_column="case_holders_fte",
        polarity="lower_is_better",
        lait_code="287",
    ),
)

INDICATORS_BY_MEASURE = {indicator.measure_id: indicator for indicator in PUBLISHED_INDICATORS}

LIBRARY_MEASURES: dict[str, str] = {
    "cp_rate_per_10k": "cp_plans_rate_per_10k",
    "cp_plans_2y_plus_pct": "cp_plans_2y_open_pct",
    "care_leavers_suitable_accommodation_19_21_pct": "care_leavers_suitable_accommodation_pct",
    "care_leavers_suitable_accommodation_17_18_pct": "care_leavers_17_18_suitable_accommodation_pct",
    "care_leavers_eet_19_21_pct": "care_leavers_eet_pct",
    "care_leavers_eet_17_18_pct": "care_leavers_17_18_eet_pct",
}
"""Published indicators whose measure library id differs from the benchmark id: the library
measure counts what DfE counts (at 31 March, or for the year), so plans computing it are
compared with DfE's figure. Indicators named by a library id need no entry here."""

_PUBLISHED_BY_LIBRARY_ID = {library: published for published, library in LIBRARY_MEASURES.items()}


def published_measure_id(measure_id: str) -> str:
    """The benchmark id for a benchmark or measure library id (``cp_plans_rate_per_10k`` is
    published as ``cp_rate_per_10k``); other ids unchanged."""
    return _PUBLISHED_BY_LIBRARY_ID.get(measure_id, measure_id)


def library_measure_id(published_id: str) -> str:
    """The measure library id that counts what a published indicator counts."""
    return LIBRARY_MEASURES.get(published_id, published_id)

POPULATION_COLUMNS = frozenset({"age_group", "population_estimate"})
NEIGHBOURS_2025_COLUMNS = frozenset({"old_la_code", "SN_1", "SN_10"})
NEIGHBOURS_2021_COLUMNS = frozenset({"LA num", "SN1", "SN10"})
DATA_DICTIONARY_COLUMNS = frozenset({"Measure_code", "Measure_short", "Polarity"})

BENCHMARK_SCHEMA: dict[str, pl.DataType] = {
    "measure_id": pl.String(),
    "time_period": pl.String(),
    "time_identifier": pl.String(),
    "geographic_level": pl.String(),
    "area_code": pl.String(),
    "old_la_code": pl.String(),
    "area_name": pl.String(),
    "region_code": pl.String(),
    "region_name": pl.String(),
    "return_code": pl.String(),
    "value": pl.Float64(),
    "suppression": pl.String(),
    "numerator": pl.Float64(),
    "denominator": pl.Float64(),
    "source_file": pl.String(),
    "source_column": pl.String(),
    "derivation": pl.String(),
}
"""The tidy benchmark table: one figure per measure, period and area (England, region, council)."""


def header(path: Path) -> list[str]:
    """The column names of a CSV file, without a byte-order mark."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = next(csv.reader(handle), [])
    except UnicodeDecodeError as error:
        raise DfeFileError(f"{path.name}: not a UTF-8 CSV file ({error})") from error
    return [name.strip() for name in first]


def scan_published(path: Path) -> pl.LazyFrame:
    """Every column as text (blank cells null), with the file's line number, for :func:`figure`.

    Six-digit years (``202425``) become ``2024/25``.
    """
    columns = header(path)
    missing = [c for c in GEOGRAPHY_COLUMNS if c not in columns]
    if missing:
        raise DfeFileError(
            f"{path.name}: not in DfE's tidy layout, missing column(s) {', '.join(missing)}"
        )
    return (
        pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy", new_columns=columns)
        .with_row_index("line", offset=2)
        .with_columns(
            pl.when(pl.col(pl.String).str.strip_chars() != "")
            .then(pl.col(pl.String).str.strip_chars())
            .name.keep()
        )
        .with_columns(
            time_period=pl.when(pl.col("time_period").str.contains(r"^\d{6}$"))
            .then(
                pl.col("time_period").str.slice(0, 4) + "/" + pl.col("time_period").str.slice(4, 2)
            )
            .otherwise(pl.col("time_period"))
        )
    )


def period_label(time_period: str) -> str:
    """DfE's six-digit financial or academic year ``202425`` as ``2024/25``; others unchanged."""
    text = time_period.strip()
    return f"{text[:4]}/{text[4:]}" if len(text) == 6 and text.isdigit() else text


def population_year(time_period: pl.Expr) -> pl.Expr:
    """The ONS mid-year estimate DfE divides by: mid-2024 for 2025 (year to 31 March 2025)
    and for 2024/25."""
    start = time_period.str.slice(0, 4).cast(pl.Int64, strict=False)
    return pl.when(time_period.str.contains("/")).then(start).otherwise(start - 1)


def figure(column: str) -> tuple[pl.Expr, pl.Expr]:
    """(number or null, suppression symbol or null) for a published column."""
    text = pl.col(column).fill_null("")
    symbol = pl.when(text.str.to_lowercase().is_in(list(SUPPRESSION_SYMBOLS))).then(
        text.str.to_lowercase()
    )
    return text.replace("", None).cast(pl.Float64, strict=False), symbol


def check_figures(frame: pl.LazyFrame, columns: Iterable[str], path: Path) -> None:
    """Refuse any cell that is neither a number, blank nor a known DfE symbol."""
    for column in columns:
        number, symbol = figure(column)
        bad = (
            frame.filter(
                pl.col(column).is_not_null()
                & (pl.col(column) != "")
                & number.is_null()
                & symbol.is_null()
            )
            .select("line", column)
            .head(1)
            .collect()
        )
        if bad.height:
            line, value = bad.row(0)
            known = ", ".join(SUPPRESSION_SYMBOLS)
            raise DfeFileError(
                f"{path.name} row {line} column {column}: {value!r} is neither a number nor a "
                f"DfE symbol ({known})"
            )


def explode_joint_returns(frame: pl.LazyFrame) -> pl.LazyFrame:
    """One row per council where councils made one joint return ("314 / 318").

    ``return_code`` keeps the joint code so that a joint figure is ranked only once.
    """
    split = " / "
    return (
        frame.with_columns(return_code=pl.col("old_la_code"))
        .with_columns(
            pl.col("old_la_code").str.split(split),
            pl.col("new_la_code").str.split(split),
            pl.col("la_name").str.split(split),
        )
        .explode(["old_la_code", "new_la_code", "la_name"])
    )


def area_columns() -> list[pl.Expr]:
    """Area code and name at each geographic level, as one pair of columns."""
    level = pl.col("geographic_level")
    return [
        pl.when(level == "National")
        .then(pl.col("country_code"))
        .when(level == "Regional")
        .then(pl.col("region_code"))
        .otherwise(pl.col("new_la_code"))
        .alias("area_code"),
        pl.when(level == "National")
        .then(pl.col("country_name"))
        .when(level == "Regional")
        .then(pl.col("region_name"))
        .otherwise(pl.col("la_name"))
        .alias("area_name"),
    ]


def neighbour_rows(path: Path, columns: list[str]) -> list[dict[str, object]]:
    """The ten statistical neighbours of each council from either DfE model file."""
    wide = NEIGHBOURS_2025_COLUMNS <= set(columns)
    model = _model_name(path)
    rows: list[dict[str, object]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        names = [name.strip() for name in next(reader)]
        positions = [names.index(f"SN_{i}" if wide else f"SN{i}") for i in range(1, 11)]
        code_at = names.index("old_la_code" if wide else "LA num")
        name_at = names.index("la_name" if wide else "LA Name")
        for line, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            council = record[code_at].strip()
            if not council and not any(record[at].strip() for at in positions if at < len(record)):
                continue  # a section heading such as "Old SNs:" in the 2021 file
            if not council.isdigit():
                raise DfeFileError(f"{path.name} row {line}: {council!r} is not an old LA code")
            for rank, at in enumerate(positions, start=1):
                neighbour = record[at].strip() if at < len(record) else ""
                if not neighbour:
                    continue
                if not neighbour.isdigit():
                    raise DfeFileError(
                        f"{path.name} row {line} column {names[at]}: {neighbour!r} is not an old LA code"
                    )
                closeness = record[at + 1].strip().capitalize() if at + 1 < len(record) else ""
                rows.append(
                    {
                        "model": model,
                        "old_la_code": council,
                        "la_name": record[name_at].strip(),
                        "position": rank,
                        "neighbour_old_la_code": neighbour,
                        "closeness": closeness or None,
                    }
                )
    return rows


def _model_name(path: Path) -> str:
    """The model's year from its file name (``sn_model_2025_wide.csv`` is "2025")."""
    found = re.search(r"(20\d\d)", path.name)
    return found.group(1) if found else path.stem
