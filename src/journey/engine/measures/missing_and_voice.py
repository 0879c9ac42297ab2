"""What a council's own database (the Standard Safeguarding Dataset) adds to the returns:
children missing from care and their return interviews, and the voice of the child."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from journey.engine.measures.base import Context, Periods, fmt_date, keep_first, with_age
from journey.engine.measures.registry import MeasureDef, Parameter, RecordsFn, register

_FLOW = ("month", "fytd", "rolling12", "latest")
STAT_GUIDANCE = "DfE statutory guidance on children who run away or go missing from home or care (2014)"


# ----------------------------------------------------------------------------- missing


def _missing(ctx: Context) -> pl.LazyFrame:
    return ctx.table("missing_episodes")


def _missing_started(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    m = _missing(ctx).with_columns(pl.col("start_date").alias("date"))
    return with_age(m, ctx, "date").with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _missing_reason(params: dict[str, Any]) -> pl.Expr:
    kind = pl.when(pl.col("episode_type") == "A").then(pl.lit("Away from placement")).otherwise(pl.lit("Missing"))
    back = pl.when(pl.col("end_date").is_null()).then(pl.lit("not yet returned")).otherwise(pl.format("returned {}", fmt_date("end_date")))
    return pl.format("{} from {}, {}", kind, fmt_date("start_date"), back)


def _returned(ctx: Context) -> pl.LazyFrame:
    """Episodes that ended, dated by their end (the return interview follows the return)."""
    m = _missing(ctx).filter(pl.col("end_date").is_not_null()).with_columns(pl.col("end_date").alias("date"))
    return with_age(m, ctx, "date")


def _offered(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return _returned(ctx).with_columns(
        pl.col("return_interview_offered").fill_null(False).cast(pl.Float64).alias("num"),
        pl.lit(1.0).alias("den"),
    )


def _accepted(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return (
        _returned(ctx)
        .filter(pl.col("return_interview_offered").fill_null(False))
        .with_columns(
            pl.col("return_interview_accepted").fill_null(False).cast(pl.Float64).alias("num"),
            pl.lit(1.0).alias("den"),
        )
    )


def _interview_reason(params: dict[str, Any]) -> pl.Expr:
    def said(column: str) -> pl.Expr:
        return pl.when(pl.col(column).is_null()).then(pl.lit("not recorded")).when(pl.col(column)).then(pl.lit("yes")).otherwise(pl.lit("no"))

    return pl.format(
        "Returned {} (missing since {}): return interview offered {}, accepted {}",
        fmt_date("end_date"),
        fmt_date("start_date"),
        said("return_interview_offered"),
        said("return_interview_accepted"),
    )


# ----------------------------------------------------------------------------- voice


VOICE_QUESTIONS = {
    "plan_safe": "say their plan helps keep them safe",
    "explained_worries": "say their worker explained the worries about them",
    "agree_worker": "say they agree with their worker",
}


def _voice(question: str) -> RecordsFn:
    def records(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
        months = int(params["months"])
        # Answers without a date are taken as given on the extract date.
        undated = ctx.as_at or date.today()
        answers = (
            ctx.table("voice_of_child")
            .filter(pl.col(question).is_not_null())
            .with_columns(pl.col("recorded_date").fill_null(undated).alias("answered"))
        )
        points = periods.points().select("pt", "period", "period_type", "at")
        recent = answers.join(points, how="cross").filter(
            (pl.col("answered") <= pl.col("at")) & (pl.col("answered") > pl.col("at").dt.offset_by(f"-{months}mo"))
        )
        latest = keep_first(recent, ["child_id", "pt"], ["answered", "record_id"], descending=True)
        return with_age(latest, ctx, "at").with_columns(
            pl.col(question).cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den")
        )

    return records


def _voice_reason(question: str) -> Any:
    def reason(params: dict[str, Any]) -> pl.Expr:
        return pl.format(
            "Answered {}: {}",
            fmt_date("answered"),
            pl.when(pl.col(question)).then(pl.lit("yes")).otherwise(pl.lit("no")),
        )

    return reason


register(
    MeasureDef(
        id="missing_episodes_count",
        title="Missing and away from placement episodes",
        area="looked_after",
        definition=(
            "Episodes of a child missing (whereabouts not known) or away from placement without authorisation "
            "that started in the period, each counted (a child missing twice counts twice)."
        ),
        unit="count",
        polarity="lower_is_better",
        numerator="episodes starting in the period",
        denominator="none",
        tables=("missing_episodes",),
        source=STAT_GUIDANCE + "; SSDA903 Missing",
        dfe=(
            "DfE's children looked after statistics (SSDA903 Missing) count missing and "
            "away-from-placement incidents of children looked after during the year, and the children"
            " who had one (LAIT 161, as a percentage of children looked after)."
        ),
        dfe_difference=(
            "Local: episodes starting in the period for every child in the missing table (not only "
            "children looked after), by month; not DfE's annual figure."
        ),
        kind="flow",
        records=_missing_started,
        reason=_missing_reason,
        key_dates=("start_date", "end_date"),
        breakdowns=("age_band",),
        period_types=_FLOW,
        latest_window="month",
        record_id="missing_id",
    ),
    MeasureDef(
        id="missing_children_count",
        title="Children missing or away from placement",
        area="looked_after",
        definition="Children with at least one missing or away-from-placement episode starting in the period (each child once per period).",
        unit="count",
        polarity="lower_is_better",
        numerator="children with an episode starting in the period",
        denominator="none",
        tables=("missing_episodes",),
        source=STAT_GUIDANCE + "; SSDA903 Missing",
        dfe=(
            "DfE publishes the percentage of children looked after during the year who went missing, "
            "and who were away from placement without authorisation (LAIT 161)."
        ),
        dfe_difference=(
            "Local: a count, not a percentage, of any child in the missing table (not only children "
            "looked after) with an episode starting in the period; not DfE's figure."
        ),
        kind="flow",
        records=_missing_started,
        reason=_missing_reason,
        key_dates=("start_date", "end_date"),
        breakdowns=("age_band",),
        period_types=_FLOW,
        latest_window="month",
        distinct="child_id",
        record_id="missing_id",
    ),
    MeasureDef(
        id="return_interviews_offered_pct",
        title="Return home interviews offered (%)",
        area="looked_after",
        definition=(
            "Of the missing and away-from-placement episodes that ended in the period, the percentage after which "
            "the child was offered a return home interview. An episode with no record either way counts as not offered."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="episodes ended in the period after which an interview was offered",
        denominator="episodes ended in the period",
        tables=("missing_episodes",),
        source=STAT_GUIDANCE + " (an interview within 72 hours of return)",
        dfe=(
            "DfE's statutory guidance on children who run away or go missing (2014) says a return "
            "home interview should be offered within 72 hours of return; DfE publishes no figure for "
            "it."
        ),
        dfe_difference=(
            "Local measure of that duty (offered at all, not within 72 hours)."
        ),
        kind="flow",
        records=_offered,
        reason=_interview_reason,
        key_dates=("start_date", "end_date"),
        breakdowns=("age_band",),
        period_types=_FLOW,
        latest_window="month",
        record_id="missing_id",
    ),
    MeasureDef(
        id="return_interviews_accepted_pct",
        title="Return home interviews accepted (%)",
        area="looked_after",
        definition="Of the episodes ended in the period after which a return home interview was offered, the percentage where the child accepted it.",
        unit="percent",
        polarity="higher_is_better",
        numerator="offered interviews the child accepted",
        denominator="episodes ended in the period with an interview offered",
        tables=("missing_episodes",),
        source=STAT_GUIDANCE,
        dfe=(
            "DfE publishes no figure for return home interviews accepted."
        ),
        dfe_difference=(
            "Local."
        ),
        kind="flow",
        records=_accepted,
        reason=_interview_reason,
        key_dates=("start_date", "end_date"),
        breakdowns=("age_band",),
        period_types=_FLOW,
        latest_window="month",
        record_id="missing_id",
    ),
    *[
        MeasureDef(
            id=f"voice_{question}_pct",
            title=f"Children who {words} (%)",
            area="workforce",
            definition=(
                f"Of the children who answered the question in the `months` months to the date (their latest answer), "
                f"the percentage who {words}. Answers recorded without a date count as given on the extract date."
            ),
            unit="percent",
            polarity="higher_is_better",
            numerator=f"children whose latest answer is yes: they {words}",
            denominator="children who answered in the window",
            tables=("voice_of_child",),
            source="local (voice of the child; SSD ssd_voice_of_child)",
            kind="snapshot",
            records=_voice(question),
            reason=_voice_reason(question),
            key_dates=("answered",),
            parameters=(Parameter("months", 12, "how recent an answer must be, in months"),),
            breakdowns=("age_band",),
            record_id="record_id",
        )
        for question, words in VOICE_QUESTIONS.items()
    ],
)
