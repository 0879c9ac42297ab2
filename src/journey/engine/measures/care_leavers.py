"""Care leavers: in touch, in suitable accommodation, in education, employment or training."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from journey.engine.casedata.codes import EDUCATION_EMPLOYMENT_TRAINING
from journey.engine.measures.base import Context, Periods, fmt_date, with_age
from journey.engine.measures.registry import MeasureDef, Parameter, RecordsFn, register

AREA = "care_leavers"
#: IN_TOUCH codes DfE leaves out of every care leaver figure: died, and returned home to
#: parents (or someone with parental responsibility) for six months or more.
NOT_CARE_LEAVERS = ("DIED", "RHOM")
#: ACCOM letters DfE leaves out of the suitable-accommodation figure: gone abroad,
#: deported, residence not known.
SUITABILITY_NOT_KNOWN = ("G", "H", "R")
DFE_CLA = "DfE Children looked after in England statistics (SSDA903 OC3)"


def care_leavers_at(ctx: Context, periods: Periods, youngest: int, oldest: int) -> pl.LazyFrame:
    """Care leavers aged ``youngest``–``oldest`` at each date, with their latest recorded
    information on or before it (one row each). Those whose latest record says they have
    died or have returned home to their parents for six months or more are left out, as
    DfE leaves them out of every care leaver figure."""
    cl = ctx.table("care_leavers")
    kids = cl.select("child_id").unique()
    recs = with_age(kids.join(periods.points().drop("idx"), how="cross"), ctx, "at", band=False)
    recs = recs.filter(pl.col("age").is_between(youngest, oldest))
    latest = cl.select(
        "child_id", "contact_date", "in_touch", "activity", "accommodation", "accommodation_suitable", "flagged"
    ).sort("contact_date")
    recs = recs.sort("at").join_asof(latest, left_on="at", right_on="contact_date", by="child_id", strategy="backward", check_sortedness=False)
    recs = recs.filter(
        pl.col("contact_date").is_not_null() & ~pl.col("in_touch").is_in(list(NOT_CARE_LEAVERS)).fill_null(False)
    )
    return recs.with_columns(pl.lit(f"{youngest}-{oldest}").alias("age_band"))


def _condition(what: str) -> pl.Expr:
    if what == "in_touch":
        return pl.col("in_touch") == "YES"
    if what == "accommodation":
        return pl.col("accommodation_suitable") == True  # noqa: E712
    return pl.col("activity").is_in(list(EDUCATION_EMPLOYMENT_TRAINING))


def _records(what: str, youngest: int, oldest: int) -> RecordsFn:
    def records(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
        months = int(params["recency_months"])
        recs = care_leavers_at(ctx, periods, youngest, oldest)
        recent = pl.col("contact_date") > pl.col("at").dt.offset_by(f"-{months}mo")
        if what == "accommodation":
            # DfE leaves out of suitability those gone abroad, deported or whose residence
            # is not known (LAIT 112): their suitability cannot be judged.
            unknowable = recent & pl.col("accommodation").is_in(list(SUITABILITY_NOT_KNOWN)).fill_null(False)
            recs = recs.filter(~unknowable)
        return recs.with_columns(
            recent.alias("recent"),
            (recent & _condition(what)).fill_null(False).cast(pl.Float64).alias("num"),
            pl.lit(1.0).alias("den"),
        )

    return records


def _reason(what: str) -> Callable[[dict[str, Any]], pl.Expr]:
    def reason(params: dict[str, Any]) -> pl.Expr:
        status = {
            "in_touch": pl.format("in touch: {}", pl.col("in_touch").fill_null("not recorded")),
            "accommodation": pl.format(
                "accommodation {} ({})",
                pl.col("accommodation").fill_null("not recorded"),
                pl.when(pl.col("accommodation_suitable")).then(pl.lit("suitable")).when(~pl.col("accommodation_suitable")).then(pl.lit("not suitable")).otherwise(pl.lit("suitability not recorded")),
            ),
            "eet": pl.format("activity {}", pl.col("activity").fill_null("not recorded")),
        }[what]
        return pl.format(
            "Aged {}; latest information {}{}: {}",
            pl.col("age"),
            fmt_date("contact_date"),
            pl.when(pl.col("recent")).then(pl.lit("")).otherwise(pl.lit(f" (more than {int(params['recency_months'])} months old, so not known)")),
            status,
        )

    return reason


_WHAT = {
    "in_touch": (
        "in touch",
        "whose latest information says the council is in touch (IN_TOUCH = YES)",
        "higher_is_better",
        None,
        "the percentage in touch (IN_TOUCH = YES). LAIT 317 is another figure: the percentage the council is "
        "not in touch with (IN_TOUCH = NO), which is not 100 minus this (refusing contact and no longer "
        "requiring services are neither)",
    ),
    "accommodation": (
        "in suitable accommodation",
        "whose latest information records their accommodation as suitable (ACCOM ending 1)",
        "higher_is_better",
        "112",
        "the percentage in accommodation considered suitable, leaving out those gone abroad, deported or whose "
        "residence is not known (ACCOM G, H, R); those with no information count in the denominator. "
        "la_care_leavers_accommodation_suitability 'Accommodation considered suitable'",
    ),
    "eet": (
        "in education, employment or training",
        "whose latest activity is education, employment or training (ACTIV F1, P1, F2, P2, F4, P4, F5, P5)",
        "higher_is_better",
        "113",
        "the percentage in education, employment or training (ACTIV F1, P1, F2, P2, F4, P4, F5, P5); those "
        "with no information count in the denominator. la_care_leavers_activity 'Total in education, "
        "employment or training'",
    ),
}
_IDS = {"in_touch": "in_touch", "accommodation": "suitable_accommodation", "eet": "eet"}

_BIRTHDAYS = {(19, 21): "19th, 20th or 21st", (17, 18): "17th or 18th"}
_LEAVES = {21: "22nd", 18: "19th"}
_UNKNOWABLE = (
    "Those whose latest recent information says they have gone abroad, been deported or their residence is "
    "not known (ACCOM G, H, R) are left out, as DfE leaves them out of suitability. "
)

for _ages, _prefix in (((19, 21), "care_leavers"), ((17, 18), "care_leavers_17_18")):
    for _what, (_words, _rule, _polarity, _lait, _dfe_rule) in _WHAT.items():
        _lo, _hi = _ages
        _code = _lait if _ages == (19, 21) else None
        register(
            MeasureDef(
                id=f"{_prefix}_{_IDS[_what]}_pct",
                title=f"Care leavers aged {_lo}-{_hi} {_words} (%)",
                area=AREA,
                definition=(
                    f"Of the care leavers aged {_lo} to {_hi} at the date (anyone with a care-leaver record, aged by "
                    f"their date of birth: in the band from their {_lo}th birthday to the day before their "
                    f"{_LEAVES[_hi]} birthday), the percentage {_rule}, where that information was recorded in the "
                    "`recency_months` months to the date. "
                    + (_UNKNOWABLE if _what == "accommodation" else "")
                    + "Information is the latest care-leaver record on or before the date; care leavers "
                    "with older or no information count in the denominator only; those recorded as having died, or "
                    "as having returned home to their parents for six months or more (IN_TOUCH DIED, RHOM), are left "
                    "out. On an SSDA903 extract each OC3 record is dated on the young person's birthday in the "
                    "collection year, so at 31 March this is DfE's figure for the year."
                ),
                unit="percent",
                polarity=_polarity,
                numerator=f"care leavers aged {_lo}-{_hi} {_words}",
                denominator=f"care leavers aged {_lo}-{_hi} at the date",
                tables=("care_leavers", "children"),
                source=DFE_CLA,
                lait=_code,
                dfe=(
                    f"Of the former relevant young people whose {_BIRTHDAYS[_ages]} birthday fell in the year "
                    f"ending 31 March (aged {_lo} to {_hi} at 31 March), as the SSDA903 OC3 table records them around "
                    "that birthday, leaving out those who died or returned home to their parents for 6 months or "
                    "more, and counting those the council is not in touch with, who refuse contact or no longer "
                    f"require services: {_dfe_rule} (care_leaver_age '{_lo} to {_hi} years'"
                    + (f"; LAIT {_code}" if _code else "; no LAIT code")
                    + ")."
                ),
                dfe_difference=(
                    "None at 31 March on an SSDA903 extract (OC3 dated on the birthday in the collection year). At "
                    f"other month ends it is a rolling local view: the young people aged {_lo} to {_hi} at that "
                    "date and their latest record from the last `recency_months` months; with more frequent "
                    "contact records (Annex A list 9, local systems) the latest contact is used, not the one "
                    "around the birthday."
                ),
                kind="snapshot",
                records=_records(_what, _lo, _hi),
                reason=_reason(_what),
                key_dates=("at", "contact_date"),
                parameters=(Parameter("recency_months", 12, "how recent the information must be, in months"),),
            )
        )
