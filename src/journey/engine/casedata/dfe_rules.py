"""DfE's validation rules for the SSDA903 and CIN census returns that change a figure the
measure library computes, each under DfE's rule code with DfE's own message.

A rule here runs on the canonical tables (so an SSDA903 file, an Annex A workbook and a
canonical extract holding the same episodes are checked alike) and names the rows that
fail it; :func:`journey.engine.casedata.validation.validate` turns them into warnings
located by file, row and column (``dfe_431``), flags the rows, and the drill-down counts
the records of a figure that fail each rule ("3 records failing DfE rule 431 are in this
figure", :func:`rule_counts`). A return DfE would reject stays loadable: the figure is
computed, and says what stands behind it.

Rules tied to the collection year (357, 354, 385, 8569Q) apply to rows whose return year
is known: SSDA903 files with a year in their name or folder (or ``--collection-year``), and
the CIN census (its ``Year``). Rows of a canonical extract carry no return year, so those
rules do not apply to them. The rows each rule flags were checked against D2I's
validators (``csc-validator-be-903`` and ``csc-validator-be-cin``) on files with planted
errors: ``tests/engine/casedata/dfe_rules/``.

Rules 100 (the CIN census ReferenceDate) and 2884 (a conference recorded on both the
section 47 and the CIN episode) are about the file's layout, so the CIN census reader
checks them; they are listed here so they are documented with the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

#: Beside a table's columns while it is checked: the collection year of the return the row
#: came from (null when not known, as for a canonical extract).
YEAR = "_year"
#: The row index validation gives each table while it is checked.
INDEX = "_i"

Check = Callable[[Mapping[str, pl.LazyFrame]], pl.LazyFrame]

SSDA903 = "SSDA903"
CIN = "CIN census"

_CLA_FLOWS = (
    "cla_starts_in_year",
    "cla_starts_rate_per_10k",
    "cla_ceased_in_year",
    "cla_ceased_rate_per_10k",
)
_CLA_PERIODS = (
    *_CLA_FLOWS,
    "cla_3plus_placements_pct",
    "cla_long_term_stability_pct",
    "cla_reviews_in_timescale_pct",
)
_CLA_AT = ("cla_count", "cla_rate_per_10k", "open_cases_count", "unallocated_cases_count")
_CP_OPEN = ("cp_plans_count", "cp_plans_rate_per_10k", "cp_plans_2y_open_pct", "open_cases_count")


@dataclass(frozen=True)
class DfeRule:
    """One of DfE's validation rules, as the library checks it."""

    code: str
    collection: str
    #: DfE's message, word for word.
    message: str
    #: The canonical table whose rows fail it (None: the file's header).
    table: str | None
    #: The canonical column a failure is reported against.
    column: str
    #: The measures whose figures a failing row can change.
    figures: tuple[str, ...]
    #: Why it changes them, in words (for the documentation).
    why: str
    check: Check | None = None

    @property
    def problem_code(self) -> str:
        return f"dfe_{self.code}"


# --- SSDA903 ------------------------------------------------------------------------------


def _collection_start(year: pl.Expr) -> pl.Expr:
    return pl.date(year - 1, 4, 1)


def _collection_end(year: pl.Expr) -> pl.Expr:
    return pl.date(year, 3, 31)


def _episodes(t: Mapping[str, pl.LazyFrame], *, by_end: bool = False) -> pl.LazyFrame:
    """Episodes in DfE's order (child, start; the validators' sort), with the child's
    previous and next episode."""
    keys = (
        ["child_id", "episode_start", "episode_end", INDEX]
        if by_end
        else ["child_id", "episode_start", INDEX]
    )
    e = t["cla_episodes"].sort(keys, nulls_last=True)
    same_prev = pl.col("child_id") == pl.col("child_id").shift(1)
    same_next = pl.col("child_id") == pl.col("child_id").shift(-1)
    return e.with_columns(
        same_prev.fill_null(False).alias("_has_prev"),
        same_next.fill_null(False).alias("_has_next"),
        pl.when(same_prev).then(pl.col("episode_end").shift(1)).alias("_prev_end"),
        pl.when(same_prev).then(pl.col("reason_ceased").shift(1)).alias("_prev_rec"),
        pl.when(same_next).then(pl.col("episode_start").shift(-1)).alias("_next_start"),
    )


def _357(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    first = (
        t["cla_episodes"]
        .filter(pl.col("episode_start").is_not_null())
        .sort(["child_id", "episode_start", INDEX])
        .filter(pl.col("child_id").is_first_distinct())
    )
    return first.filter(
        (pl.col("episode_start") >= _collection_start(pl.col(YEAR)))
        & pl.col("reason_new_episode").ne_missing(pl.lit("S"))
    )


def _366(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    return t["cla_episodes"].filter(
        (pl.col("legal_status") == "V3") & pl.col("reason_new_episode").ne_missing(pl.lit("S"))
    )


def _431(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    e = _episodes(t)
    return e.filter(
        (pl.col("reason_new_episode") == "S") & (pl.col("episode_start") <= pl.col("_prev_end"))
    )


#: Reasons episode ceased that mean the child left care (DfE rule 432's list).
LEFT_CARE = (
    "E2", "E3", "E4A", "E4B", "E5", "E6", "E7", "E8", "E9", "E11", "E12", "E13", "E14",
    "E15", "E16", "E17", "E41", "E45", "E46", "E47", "E48",
)  # fmt: skip


def _432(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    e = _episodes(t)
    return e.filter(
        pl.col("_prev_rec").is_in(LEFT_CARE) & pl.col("reason_new_episode").ne_missing(pl.lit("S"))
    )


def _433(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    e = _episodes(t, by_end=True)
    continuing = pl.col("reason_new_episode").is_in(["P", "L", "T", "U", "B"])
    return e.filter(
        continuing & pl.col("_has_prev") & pl.col("_prev_end").ne_missing(pl.col("episode_start"))
    )


def _501(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    return _episodes(t).filter(pl.col("episode_start") < pl.col("_prev_end"))


def _142(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    e = _episodes(t)
    return e.filter(
        pl.col("_has_next") & (pl.col("episode_end").is_null() | pl.col("reason_ceased").is_null())
    )


def _354(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    return t["cla_episodes"].filter(pl.col("episode_start") > _collection_end(pl.col(YEAR)))


def _385(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    return t["cla_episodes"].filter(pl.col("episode_end") > _collection_end(pl.col(YEAR)))


def _388(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    e = _episodes(t)
    end, nxt, rec = pl.col("episode_end"), pl.col("_next_start"), pl.col("reason_ceased")
    continuing_elsewhere = (rec == "X1") & end.is_not_null() & nxt.is_not_null() & (end != nxt)
    ceased_but_continued = rec.is_not_null() & (rec != "X1") & end.is_not_null() & (end == nxt)
    x1_at_the_end = ~pl.col("_has_next") & end.is_not_null() & (rec == "X1")
    return e.filter(continuing_elsewhere | ceased_but_continued | x1_at_the_end)


# --- CIN census ---------------------------------------------------------------------------


def _8569q(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    from journey.engine.periods import add_working_days

    referrals = t["referrals"]
    years = referrals.select(pl.col(YEAR).drop_nulls().unique()).collect().to_series().to_list()
    # One working day before the census year's first day (1 April), bank holidays allowed for.
    limits = {int(y): add_working_days(date(int(y) - 1, 4, 1), -1) for y in years}
    limit = pl.col(YEAR).replace_strict(limits, default=None, return_dtype=pl.Date)
    return referrals.filter(
        (pl.col("referral_date") < limit) & pl.col("nfa").ne_missing(pl.lit(False))
    )


def _8608(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    return t["assessments"].filter(pl.col("start_date") > pl.col("authorised_date"))


def _8615(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    s47 = t["section47"]
    conferences = (
        t["icpcs"]
        .filter(pl.col("s47_id").is_not_null())
        .group_by("s47_id")
        .agg(pl.col("conference_date").min().alias("_icpc"))
    )
    joined = s47.join(conferences, on="s47_id", how="inner")
    return joined.filter(pl.col("start_date").is_null() | (pl.col("start_date") > pl.col("_icpc")))


def _8925(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    return t["cp_plans"].filter(pl.col("end_date") < pl.col("start_date"))


def _8935(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    plans = t["cp_plans"]
    return plans.filter(
        (pl.col("end_date").is_null().sum().over("child_id") > 1) & pl.col("end_date").is_null()
    )


def _overlapping(frame: pl.LazyFrame, start: str, end: str) -> pl.LazyFrame:
    """Both rows of each overlap: a row starting before the same child's previous row (by
    start) ended, or while it was open, and that previous row."""
    ordered = frame.sort(["child_id", start, INDEX])
    same = (pl.col("child_id") == pl.col("child_id").shift(1)).fill_null(False)
    prev_end = pl.when(same).then(pl.col(end).shift(1))
    prev_open = same & pl.col(end).shift(1).is_null()
    overlaps = ((pl.col(start) < prev_end).fill_null(False) | prev_open).alias("_overlaps")
    marked = ordered.with_columns(overlaps)
    return marked.filter(pl.col("_overlaps") | pl.col("_overlaps").shift(-1).fill_null(False)).drop("_overlaps")


def _8940(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    return _overlapping(t["cp_plans"], "start_date", "end_date")


def _8820(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    return _overlapping(t["referrals"], "referral_date", "closure_date")


def _8630(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    return t["referrals"].filter(pl.col("closure_date") < pl.col("referral_date"))


def _8841(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    plans = t["cp_plans"].select("cp_plan_id", pl.col("start_date").alias("_plan_start"))
    return (
        t["cp_reviews"]
        .join(plans, on="cp_plan_id", how="inner")
        .filter(pl.col("review_date") <= pl.col("_plan_start"))
    )


def _before_referral(table: str) -> Check:
    def check(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
        referrals = t["referrals"].select(
            "referral_id", pl.col("referral_date").alias("_referral_date")
        )
        return (
            t[table]
            .join(referrals, on="referral_id", how="inner")
            .filter(pl.col("start_date") < pl.col("_referral_date"))
        )

    return check


DFE_RULES: tuple[DfeRule, ...] = (
    DfeRule(
        "357",
        SSDA903,
        "If this is the first episode ever for this child, reason for new episode must be S.  Check whether "
        "there is an episode immediately preceding this one, which has been left out.  If not the reason for "
        "new episode code must be amended to S.",
        "cla_episodes",
        "reason_new_episode",
        _CLA_PERIODS,
        "the child's first episode is no start by its code, so the child never starts to be looked after",
        _357,
    ),
    DfeRule(
        "366",
        SSDA903,
        "A child cannot change placement during the course of an individual short-term respite break.",
        "cla_episodes",
        "reason_new_episode",
        _CLA_FLOWS,
        "a short break (V3) continuing another episode hides where the child's care starts and ends",
        _366,
    ),
    DfeRule(
        "431",
        SSDA903,
        "The reason for new episode is started to be looked after, but the previous episode ended on the same day.",
        "cla_episodes",
        "reason_new_episode",
        _CLA_PERIODS,
        "counted as a start (and a new period of care) by its code although the care was continuous",
        _431,
    ),
    DfeRule(
        "432",
        SSDA903,
        "The child ceased to be looked after at the end of the previous episode but the reason for the new "
        "episode is not started to be looked after.",
        "cla_episodes",
        "reason_new_episode",
        _CLA_PERIODS,
        "the child's return to care is no start by its code",
        _432,
    ),
    DfeRule(
        "433",
        SSDA903,
        "The reason for new episode suggests that this is a continuation episode, but the episode does not "
        "start on the same day as the last episode finished.",
        "cla_episodes",
        "reason_new_episode",
        _CLA_PERIODS,
        "no start by its code although the dates show a gap in care",
        _433,
    ),
    DfeRule(
        "501",
        SSDA903,
        "A new episode has started before the end date of the previous episode.",
        "cla_episodes",
        "episode_start",
        (*_CLA_AT, *_CLA_PERIODS),
        "overlapping episodes: the child is counted once, from the later-starting episode",
        _501,
    ),
    DfeRule(
        "142",
        SSDA903,
        "A new episode has started, but the previous episode has not ended.",
        "cla_episodes",
        "episode_end",
        (*_CLA_AT, *_CLA_PERIODS),
        "an episode left open under a later one: no cessation can be counted from it",
        _142,
    ),
    DfeRule(
        "354",
        SSDA903,
        "Date episode started must be on or before the end of the current collection year.",
        "cla_episodes",
        "episode_start",
        (*_CLA_AT, *_CLA_FLOWS),
        "an episode starting after the collection year: a start dated in a year the return does not cover",
        _354,
    ),
    DfeRule(
        "385",
        SSDA903,
        "Date episode ceased must be on or before the end of the current collection year.",
        "cla_episodes",
        "episode_end",
        (*_CLA_AT, *_CLA_FLOWS),
        "an end after the collection year: a cessation dated in a year the return does not cover",
        _385,
    ),
    DfeRule(
        "388",
        SSDA903,
        "Reason episode ceased is coded new episode begins, but there is no continuation episode.",
        "cla_episodes",
        "reason_ceased",
        _CLA_PERIODS,
        "X1 with no episode that day (not counted as ceasing), or a cessation with an episode continuing it",
        _388,
    ),
    DfeRule(
        "100",
        CIN,
        "Reference Date is incorrect",
        None,
        "ReferenceDate",
        ("every CIN census figure",),
        "the census's date is the extract's date: it decides the 'latest' figures and the census year",
    ),
    DfeRule(
        "2884",
        CIN,
        "An initial child protection conference is recorded at both the S47 and CIN Details level and it "
        "should only be recorded in one",
        None,
        "DateOfInitialCPC",
        ("icpc_15wd_pct",),
        "the CIN Details conference is not counted as another conference (the CIN census reader checks it)",
    ),
    DfeRule(
        "8569Q",
        CIN,
        "A case with referral date before one working day prior to the collection start date must not be "
        "flagged as a no further action case",
        "referrals",
        "nfa",
        ("open_cases_count", "unallocated_cases_count", "unallocated_cases_pct", "cin_count", "cin_rate_per_10k"),
        "a referral flagged NFA is not an open case, nor a child in need",
        _8569q,
    ),
    DfeRule(
        "8608",
        CIN,
        "Assessment Start Date cannot be later than its End Date",
        "assessments",
        "start_date",
        ("assessments_45wd_pct",),
        "a negative number of working days counts as in time",
        _8608,
    ),
    DfeRule(
        "8615",
        CIN,
        "Section 47 Enquiry Start Date must be present and cannot be later than the date of the initial Child "
        "Protection Conference",
        "section47",
        "start_date",
        ("icpc_15wd_pct",),
        "the conference is timed from an enquiry that started after it",
        _8615,
    ),
    DfeRule(
        "8925",
        CIN,
        "Child Protection Plan End Date earlier than Start Date",
        "cp_plans",
        "end_date",
        (*_CP_OPEN, "cp_ends_count", "cp_plans_ceased_2y_pct"),
        "a plan with a negative duration",
        _8925,
    ),
    DfeRule(
        "8935",
        CIN,
        "This child is showing more than one open Child Protection plan, i.e. with no End Date",
        "cp_plans",
        "end_date",
        (*_CP_OPEN, "cp_second_plan_pct"),
        "two open plans for one child",
        _8935,
    ),
    DfeRule(
        "8940",
        CIN,
        "Child Protection Plan data contains overlapping dates",
        "cp_plans",
        "start_date",
        (*_CP_OPEN, "cp_second_plan_pct"),
        "a plan starting while another is open: a second plan that is not one",
        _8940,
    ),
    DfeRule(
        "8841",
        CIN,
        "The review date cannot be on the same day or before the Child protection Plan start date.",
        "cp_reviews",
        "review_date",
        ("cp_reviews_in_timescale_pct",),
        "a review before its plan is counted against the plan's timeliness",
        _8841,
    ),
    DfeRule(
        "8630",
        CIN,
        "CIN Closure Date is before CIN Referral Date for the same CIN episode",
        "referrals",
        "closure_date",
        ("open_cases_count", "unallocated_cases_count", "unallocated_cases_pct", "cin_count", "cin_rate_per_10k"),
        "an episode closed before it opened is never open",
        _8630,
    ),
    DfeRule(
        "8820",
        CIN,
        "The dates on the CIN episodes for this child overlap",
        "referrals",
        "referral_date",
        ("rereferrals_12m_pct", "open_cases_count", "cin_count", "cin_rate_per_10k"),
        "a referral while an episode is open is counted as a re-referral, and as a second child in need",
        _8820,
    ),
    DfeRule(
        "1103",
        CIN,
        "The assessment start date cannot be before the referral date",
        "assessments",
        "start_date",
        ("assessments_45wd_pct",),
        "the assessment's clock starts before the referral it belongs to",
        _before_referral("assessments"),
    ),
    DfeRule(
        "2889",
        CIN,
        "The S47 start date cannot be before the referral date.",
        "section47",
        "start_date",
        ("s47_count", "s47_rate_per_10k", "icpc_15wd_pct"),
        "an enquiry dated before its referral",
        _before_referral("section47"),
    ),
)

RULES_BY_CODE = {r.code: r for r in DFE_RULES}


def failing_rows(
    tables: Mapping[str, pl.LazyFrame], only: set[str] | None = None
) -> dict[DfeRule, pl.LazyFrame]:
    """Each row rule's failing rows (the rule's table's columns, with ``_i``), for the rules
    on ``only`` these tables when given.

    ``tables`` are every canonical table, with ``_i`` and, where known, ``_year``."""
    out: dict[DfeRule, pl.LazyFrame] = {}
    for rule in DFE_RULES:
        if rule.check is None or rule.table is None or rule.table not in tables:
            continue
        if only is not None and rule.table not in only:
            continue
        out[rule] = rule.check(tables)
    return out


def rules_by_record(
    tables: Mapping[str, pl.LazyFrame], table_names: tuple[str, ...], keys: Mapping[str, tuple[str, ...]], year: int | None
) -> dict[str, pl.DataFrame]:
    """For each of ``table_names``, its rows failing DfE rules: the table's key columns
    (``keys``) and ``rule`` (one row per rule failed). ``year`` is taken as every row's
    return year (a stored extract keeps no per-row year)."""
    wanted = set(table_names)
    prepared = {
        name: frame.with_row_index(INDEX).with_columns(pl.lit(year, dtype=pl.Int64).alias(YEAR))
        for name, frame in tables.items()
    }
    out: dict[str, list[pl.LazyFrame]] = {}
    for rule, failing in failing_rows(prepared, wanted).items():
        if rule.table in wanted:
            columns = ["child_id", *[k for k in keys[rule.table] if k != "child_id"]]
            out.setdefault(rule.table, []).append(
                failing.select(*columns).with_columns(pl.lit(rule.code).alias("rule"))
            )
    return {name: pl.concat(parts).unique().collect() for name, parts in out.items()}


def attach_rules(records: pl.LazyFrame, failing: Mapping[str, pl.DataFrame], keys: Mapping[str, tuple[str, ...]]) -> pl.LazyFrame:
    """``records`` with ``dfe_rules``: the DfE rules failed by the rows behind each record
    (matched on the table's key where the record carries it, else on the child), in code
    order, comma-separated; null where none."""
    names = records.collect_schema().names()
    found: list[pl.LazyFrame] = []
    indexed = records.with_row_index("_record")
    for table, rows in failing.items():
        on = [k for k in keys[table] if k in names and k in rows.columns]
        if not set(keys[table]) <= set(on):
            on = ["child_id"]
        found.append(indexed.select("_record", *on).join(rows.lazy().select(*on, "rule"), on=on, how="inner").select("_record", "rule"))
    if not found:
        return records.with_columns(pl.lit(None, dtype=pl.String).alias("dfe_rules"))
    codes = (
        pl.concat(found)
        .unique()
        .sort("rule")
        .group_by("_record")
        .agg(pl.col("rule").str.join(", ").alias("dfe_rules"))
    )
    return indexed.join(codes, on="_record", how="left").drop("_record")


def rule_counts(rows: pl.DataFrame) -> dict[str, int]:
    """How many of a figure's records (the drill-down's counted rows) fail each DfE rule."""
    if "dfe_rules" not in rows.columns:
        return {}
    counted = rows.filter(pl.col("in_numerator") | pl.col("in_denominator"))
    codes = counted.select(pl.col("dfe_rules").str.split(", ").explode().drop_nulls())
    if not codes.height:
        return {}
    order = {r.code: i for i, r in enumerate(DFE_RULES)}
    tally = codes.group_by("dfe_rules").len()
    return dict(sorted(tally.iter_rows(), key=lambda kv: order.get(kv[0], 999)))


def rules_in_words(codes: str) -> str:
    """``"8820"`` → ``"8820: The dates on the CIN episodes for this child overlap"``: each
    comma-separated rule code with DfE's message (an unknown code is left as it is)."""
    messages = {rule.code: rule.message for rule in DFE_RULES}
    parts = [code.strip() for code in codes.split(",") if code.strip()]
    return "; ".join(f"{code}: {messages[code]}" if code in messages else code for code in parts)
