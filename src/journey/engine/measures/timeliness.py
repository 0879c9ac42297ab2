"""Shared rules for statutory timescales: chains of reviews and the last visit.

**Review chains.** A plan (or period of care) starts at an anchor; each review must be
held by a due date counted from the previous review (or the start). A link of the chain
is *missed* when the next review is later than its due date, or there is no next review;
the plan is out of timescale from the day after the earliest missed due date, for good.
So at any date ``d`` the plan's reviews have all been on time exactly when ``d`` is on
or before that earliest missed due date — reviews held after ``d`` cannot change the
answer (a late one is only known late after its due date has passed anyway).

**Visits.** At a date, the child's last visit (child seen) on or after the plan or
placement start and on or before the date sets the next due date; the visit is in time
when that due date is on or after the date.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from journey.engine.measures.base import Context, fmt_date, group_ids, row_in_group, shift_in_group

DueFn = Callable[[pl.Expr, pl.Expr], pl.Expr]
"""(sequence number of the anchor: 0 = start, 1 = first review, ...; anchor date) → due date."""


def review_links(starts: pl.LazyFrame, reviews: pl.LazyFrame, key: str, due: DueFn) -> pl.LazyFrame:
    """Each link of each chain: key, anchor, seq, due, next_review, missed (bool).

    ``starts``: key, start, end (end may be null). ``reviews``: key, review_date,
    review_flagged. Reviews outside the start–end span are ignored; two reviews on one day
    count once.
    """
    revs = (
        reviews.join(starts.select(key, "start", "end"), on=key, how="inner")
        .filter(
            (pl.col("review_date") > pl.col("start"))
            & (pl.col("end").is_null() | (pl.col("review_date") <= pl.col("end")))
        )
        .group_by(key, "review_date")
        .agg(pl.col("review_flagged").any())
        .select(key, pl.col("review_date").alias("anchor"), "review_flagged")
    )
    anchors = pl.concat(
        [starts.select(key, pl.col("start").alias("anchor"), pl.lit(False).alias("review_flagged")), revs],
        how="vertical_relaxed",
    ).sort(key, "anchor")
    links = anchors.with_columns(group_ids(key).alias("_g")).with_columns(row_in_group("_g").alias("seq"))
    links = links.with_columns(
        due(pl.col("seq"), pl.col("anchor")).alias("due"),
        shift_in_group(pl.col("anchor"), "_g", -1).alias("next_review"),
    )
    links = links.with_columns(
        (pl.col("next_review").is_null() | (pl.col("next_review") > pl.col("due"))).alias("missed"),
        shift_in_group(pl.col("due"), "_g").alias("anchor_due"),
    ).drop("_g")
    # Whether the review that is this link's anchor was itself held late.
    return links.with_columns(
        ((pl.col("seq") > 0) & (pl.col("anchor") > pl.col("anchor_due"))).fill_null(False).alias("anchor_late")
    )


def review_status(links: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Per chain: the earliest missed due date, the review (if any) that came late for
    it, how many reviews, and whether any review row was flagged."""
    missed = (
        links.filter(pl.col("missed"))
        .sort(key, "due")
        .group_by(key, maintain_order=True)
        .agg(pl.col("due").first().alias("missed_due"), pl.col("next_review").first().alias("late_review"))
    )
    counts = links.group_by(key).agg(
        (pl.col("seq") > 0).sum().alias("reviews"), pl.col("review_flagged").any().alias("reviews_flagged")
    )
    return counts.join(missed, on=key, how="left")


def attach_reviews(
    records: pl.LazyFrame, links: pl.LazyFrame, status: pl.LazyFrame, key: str, mode: str = "all"
) -> pl.LazyFrame:
    """Add to records (key, at): in_time, the current link (last anchor on or before at and
    its due date, and whether that review was late) and the earliest missed link.

    ``mode="all"``: in time when every review so far was on time (DfE, CP plans).
    ``mode="current"``: in time when the latest review was held on time and the next is
    not overdue (a late review long ago no longer counts)."""
    current = links.select(
        key,
        pl.col("anchor").alias("last_anchor"),
        pl.col("due").alias("next_due"),
        pl.col("anchor_due").alias("last_due"),
        pl.col("anchor_late").alias("last_late"),
    )
    out = (
        records.sort("at")
        .join_asof(current.sort("last_anchor"), left_on="at", right_on="last_anchor", by=key, strategy="backward", check_sortedness=False)
        .join(status, on=key, how="left")
    )
    if mode == "all":
        in_time = pl.col("missed_due").is_null() | (pl.col("at") <= pl.col("missed_due"))
    else:
        in_time = (pl.col("at") <= pl.col("next_due")) & ~pl.col("last_late").fill_null(False)
    return out.with_columns(
        in_time.alias("in_time"),
        (pl.col("flagged") | pl.col("reviews_flagged").fill_null(False)).alias("flagged"),
    )


def current_review_reason(what: str) -> pl.Expr:
    on_time = pl.format(
        "{}s on time: last {} {}, next due by {}",
        pl.lit(what),
        pl.when(pl.col("last_anchor") == pl.col("start")).then(pl.lit("start")).otherwise(pl.lit("review")),
        fmt_date("last_anchor"),
        fmt_date("next_due"),
    )
    return (
        pl.when(pl.col("at") > pl.col("next_due"))
        .then(pl.format("{} overdue: due by {}, not held by {}", pl.lit(what), fmt_date("next_due"), fmt_date("at")))
        .when(pl.col("last_late").fill_null(False))
        .then(pl.format("Last {} held late on {} (due by {})", pl.lit(what.lower()), fmt_date("last_anchor"), fmt_date("last_due")))
        .otherwise(on_time)
    )


def review_reason(what: str) -> pl.Expr:
    late = (
        pl.when(pl.col("late_review").is_not_null() & (pl.col("late_review") <= pl.col("at")))
        .then(pl.format("{} due by {}, held late on {}", pl.lit(what), fmt_date("missed_due"), fmt_date("late_review")))
        .otherwise(pl.format("{} overdue: due by {}, not held by {}", pl.lit(what), fmt_date("missed_due"), fmt_date("at")))
    )
    return (
        pl.when(pl.col("in_time"))
        .then(
            pl.format(
                "{}s on time: last {} {}, next due by {}",
                pl.lit(what),
                pl.when(pl.col("last_anchor") == pl.col("start")).then(pl.lit("start")).otherwise(pl.lit("review")),
                fmt_date("last_anchor"),
                fmt_date("next_due"),
            )
        )
        .otherwise(late)
    )


def seen_visits(ctx: Context, visit_type: str) -> pl.LazyFrame:
    """Visits of the type at which the child was seen (seen not recorded counts as seen),
    one per child and day, sorted by date."""
    return ctx.cached(
        f"seen_visits:{visit_type}",
        lambda: ctx.table("visits")
        .filter((pl.col("visit_type") == visit_type) & pl.col("seen").fill_null(True))
        .group_by("child_id", "visit_date")
        .agg(pl.col("flagged").any().alias("visit_flagged"))
        .select("child_id", pl.col("visit_date").alias("last_visit"), "visit_flagged")
        .sort("last_visit"),
    )


def attach_last_visit(records: pl.LazyFrame, visits: pl.LazyFrame, since: str) -> pl.LazyFrame:
    """Add ``last_visit`` (the last seen visit on or after ``since`` and on or before at)."""
    out = records.sort("at").join_asof(
        visits.sort("last_visit"), left_on="at", right_on="last_visit", by="child_id", strategy="backward", check_sortedness=False
    )
    too_early = pl.col("last_visit") < pl.col(since)
    return out.with_columns(
        pl.when(too_early).then(None).otherwise(pl.col("last_visit")).alias("last_visit"),
        (pl.col("flagged") | (pl.col("visit_flagged").fill_null(False) & ~too_early.fill_null(True))).alias("flagged"),
    ).drop("visit_flagged")


def visit_reason(what: str, since_words: str, since: str) -> pl.Expr:
    seen = pl.when(pl.col("last_visit").is_null()).then(
        pl.format("not seen since {} {}", pl.lit(since_words), fmt_date(since))
    ).otherwise(pl.format("last seen {}", fmt_date("last_visit")))
    return (
        pl.when(pl.col("in_time"))
        .then(pl.format("{} in time: {}, next due by {}", pl.lit(what), seen, fmt_date("due")))
        .otherwise(pl.format("{} overdue: {}, due by {}", pl.lit(what), seen, fmt_date("due")))
    )
