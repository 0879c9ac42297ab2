"""Data-quality problems planted on purpose, so validation warnings can be demonstrated.

Each kind is a mistake real extracts contain. Planting ``n`` problems cycles through the
kinds in order (the first three are an episode ending before it starts, an unknown
placement code and a review for an unknown child), each on a different child, and
returns what was planted so a demonstration can say where to look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from journey.engine.casedata import codes


@dataclass(frozen=True)
class PlantedProblem:
    kind: str
    table: str
    child_id: str
    description: str


#: Kinds of planted problem, in the order they are planted.
KINDS: tuple[str, ...] = (
    "episode_ends_before_start",
    "unknown_placement_code",
    "review_for_unknown_child",
    "assessment_authorised_before_start",
    "overlapping_episodes",
    "unknown_ethnicity_code",
)

UNKNOWN_PLACEMENT = "U9"
UNKNOWN_ETHNICITY = "XXXX"
assert UNKNOWN_PLACEMENT not in codes.PLACEMENT_TYPE
assert UNKNOWN_ETHNICITY not in codes.ETHNICITY

_KEY = "__row"


def _pick(rng: np.random.Generator, df: pl.DataFrame, used: set[str]) -> int | None:
    """A random row whose child has not had a problem planted yet."""
    order = rng.permutation(df.height)
    ids = df["child_id"].to_list()
    for i in order.tolist():
        if ids[i] not in used:
            return int(i)
    return None


def _set(df: pl.DataFrame, row: int, column: str, value: object) -> pl.DataFrame:
    dtype = df.schema[column]
    return df.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.lit(value, dtype=dtype))
        .otherwise(pl.col(column))
        .alias(column)
    )


def plant_problems(
    tables: dict[str, pl.DataFrame], n: int, seed: int
) -> tuple[dict[str, pl.DataFrame], list[PlantedProblem]]:
    """Plant ``n`` problems (cycling through :data:`KINDS`); returns new tables and the list."""
    if n <= 0:
        return tables, []
    rng = np.random.default_rng(np.random.SeedSequence([seed, 903]))
    out = dict(tables)
    used: set[str] = set()
    planted: list[PlantedProblem] = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        made = _plant_one(kind, out, rng, used, i)
        if made is None:
            raise ValueError(
                f"no row to plant a {kind.replace('_', ' ')} problem on: generate more children"
            )
        used.add(made.child_id)
        planted.append(made)
    return out, planted


def _plant_one(
    kind: str, t: dict[str, pl.DataFrame], rng: np.random.Generator, used: set[str], i: int
) -> PlantedProblem | None:
    eps = t["cla_episodes"]
    if kind == "episode_ends_before_start":
        cand = eps.filter(
            pl.col("episode_end").is_not_null()
            & (pl.col("legal_status").is_in(["V3", "V4"]).not_())
        )
        # Only an episode that is its child's last one, so nothing else moves with it.
        cand = cand.filter(
            pl.col("episode_start") == pl.col("episode_start").max().over("child_id")
        )
        row = _pick(rng, cand, used)
        if row is None:
            return None
        r = cand.row(row, named=True)
        idx = eps.with_row_index(_KEY).filter(
            (pl.col("child_id") == r["child_id"]) & (pl.col("episode_start") == r["episode_start"])
        )[_KEY][0]
        new_end = r["episode_start"] - timedelta(days=int(rng.integers(2, 30)))
        t["cla_episodes"] = _set(eps, idx, "episode_end", new_end)
        return PlantedProblem(
            kind,
            "cla_episodes",
            r["child_id"],
            f"episode starting {r['episode_start']} ends {new_end}, before it starts",
        )
    if kind == "unknown_placement_code":
        cand = eps.filter(pl.col("legal_status").is_in(["V3", "V4"]).not_())
        row = _pick(rng, cand, used)
        if row is None:
            return None
        r = cand.row(row, named=True)
        idx = eps.with_row_index(_KEY).filter(
            (pl.col("child_id") == r["child_id"]) & (pl.col("episode_start") == r["episode_start"])
        )[_KEY][0]
        t["cla_episodes"] = _set(eps, idx, "placement_type", UNKNOWN_PLACEMENT)
        return PlantedProblem(
            kind,
            "cla_episodes",
            r["child_id"],
            f"episode starting {r['episode_start']} has placement type {UNKNOWN_PLACEMENT!r}, not an SSDA903 code",
        )
    if kind == "review_for_unknown_child":
        reviews = t["cla_reviews"]
        child_id = f"ZZ{9_000_000 + i:07d}"
        day = reviews["review_date"].max() if reviews.height else None
        if not isinstance(day, date):
            return None
        extra = pl.DataFrame(
            {"child_id": [child_id], "review_date": [day], "participation": ["PN1"]},
            schema=reviews.schema,
        )
        t["cla_reviews"] = pl.concat([reviews, extra])
        return PlantedProblem(
            kind,
            "cla_reviews",
            child_id,
            f"review on {day} for child {child_id}, who is not in children",
        )
    if kind == "assessment_authorised_before_start":
        a = t["assessments"]
        cand = a.with_row_index(_KEY).filter(pl.col("authorised_date").is_not_null())
        row = _pick(rng, cand, used)
        if row is None:
            return None
        r = cand.row(row, named=True)
        new = r["start_date"] - timedelta(days=int(rng.integers(3, 20)))
        t["assessments"] = _set(a, r[_KEY], "authorised_date", new)
        return PlantedProblem(
            kind,
            "assessments",
            r["child_id"],
            f"assessment {r['assessment_id']} started {r['start_date']} but authorised {new}",
        )
    if kind == "overlapping_episodes":
        eps = t["cla_episodes"]
        e = (
            eps.with_row_index(_KEY)
            .sort("child_id", "episode_start")
            .with_columns(
                prev_start=pl.col("episode_start").shift(1).over("child_id"),
                prev_end=pl.col("episode_end").shift(1).over("child_id"),
            )
        )
        cand = e.filter(
            pl.col("prev_start").is_not_null()
            & pl.col("legal_status").is_in(["V3", "V4"]).not_()
            & ((pl.col("episode_start") - pl.col("prev_start")).dt.total_days() > 20)
            & (pl.col("prev_end") == pl.col("episode_start"))
        )
        row = _pick(rng, cand, used)
        if row is None:
            return None
        r = cand.row(row, named=True)
        new = r["episode_start"] - timedelta(days=10)
        t["cla_episodes"] = _set(eps, r[_KEY], "episode_start", new)
        return PlantedProblem(
            kind,
            "cla_episodes",
            r["child_id"],
            f"episode moved to start {new}, ten days before the previous episode ends ({r['prev_end']})",
        )
    if kind == "unknown_ethnicity_code":
        ch = t["children"]
        row = _pick(rng, ch, used)
        if row is None:
            return None
        r = ch.row(row, named=True)
        t["children"] = _set(ch, row, "ethnicity", UNKNOWN_ETHNICITY)
        return PlantedProblem(
            kind, "children", r["child_id"], f"ethnicity {UNKNOWN_ETHNICITY!r} is not a DfE code"
        )
    raise ValueError(f"unknown kind of problem {kind!r}")
