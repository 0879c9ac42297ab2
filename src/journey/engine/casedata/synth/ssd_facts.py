"""The facts a council's own database holds beyond the statutory returns: missing
episodes with their return interviews, the voice of the child, why early help closed.

Drawn from a random stream of their own (seed, chunk, 15), after everything else, so
adding them changed no other table of the synthetic council.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from journey.engine.casedata.synth import _util as u

I64 = np.int64

EH_END_REASONS = (
    "Outcomes achieved",
    "Stepped up to social care",
    "Family disengaged",
    "Moved out of area",
)
_EH_END_W = (0.62, 0.14, 0.17, 0.07)


def rng_for(seed: int, chunk: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, chunk, 15]))


def early_help_end_reasons(rng: np.random.Generator, eh: pl.DataFrame) -> pl.DataFrame:
    """A local reason for every closed early help episode (days as integers)."""
    reasons = u.choose(rng, list(EH_END_REASONS), list(_EH_END_W), eh.height)
    closed = eh["end_date"].to_numpy() != u.NO_DAY
    return eh.with_columns(
        end_reason=pl.Series(np.where(closed, reasons, u.NULL).tolist(), dtype=pl.String)
    )


def missing_episodes(
    rng: np.random.Generator, episodes: pl.DataFrame, dob: np.ndarray, as_at_day: int, ids: pl.Series
) -> pl.DataFrame:
    """Missing and away-from-placement episodes of looked-after children aged 11 and over.

    ``episodes`` has child, episode_start, episode_end (days; NO_DAY when open); ``ids``
    gives enough identifiers (sliced to the episodes drawn).
    """
    child = episodes["child"].to_numpy().astype(I64)
    start = episodes["episode_start"].to_numpy()
    end = episodes["episode_end"].to_numpy()
    end = np.where(end == u.NO_DAY, as_at_day, np.minimum(end, as_at_day))
    end = np.minimum(end, u.add_years(dob[child], 18) - 1)
    age_days = start - dob[child]
    eligible = (age_days >= 11 * 365) & (end > start)
    count = np.where(eligible & (rng.random(len(child)) < 0.22), rng.integers(1, 4, len(child)), 0)
    rows = np.repeat(np.arange(len(child)), count)
    n = len(rows)
    span = (end[rows] - start[rows]).astype(np.float64)
    gone = start[rows] + np.floor(rng.random(n) * span).astype(I64)
    length = np.where(rng.random(n) < 0.55, 0, rng.integers(1, 6, n))
    back = np.minimum(gone + length, end[rows])
    open_ = (gone + length) > as_at_day
    offered = rng.random(n) < 0.82
    accepted = offered & (rng.random(n) < 0.63)
    kinds = np.where(rng.random(n) < 0.8, "M", "A")
    frame = pl.DataFrame(
        {
            "child": child[rows],
            "start_date": gone,
            "end_date": np.where(open_, u.NO_DAY, back),
            "episode_type": pl.Series(kinds.tolist(), dtype=pl.String),
            "return_interview_offered": pl.Series(offered).set(pl.Series(open_), None),
            "return_interview_accepted": pl.Series(accepted).set(pl.Series(open_ | ~offered), None),
        }
    ).sort("start_date", "child")
    return frame.with_columns(missing_id=ids.head(frame.height))


def voice_of_child(
    rng: np.random.Generator, plans: pl.DataFrame, dob: np.ndarray, as_at_day: int, ids: pl.Series
) -> pl.DataFrame:
    """Answers from some children aged 8 and over on a plan or looked after (``plans``:
    child, start, end in days), dated while the plan was open."""
    child = plans["child"].to_numpy().astype(I64)
    start = plans["start"].to_numpy()
    end = plans["end"].to_numpy()
    end = np.where(end == u.NO_DAY, as_at_day, np.minimum(end, as_at_day))
    end = np.minimum(end, u.add_years(dob[child], 18) - 1)
    pick = (end > start) & (start - dob[child] >= 8 * 365) & (rng.random(len(child)) < 0.3)
    c, s, e = child[pick], start[pick], end[pick]
    n = len(c)
    when = s + np.floor(rng.random(n) * (e - s)).astype(I64)
    answers = {
        "explained_worries": 0.82,
        "story_help_understand": 0.7,
        "agree_worker": 0.74,
        "plan_safe": 0.79,
        "tablet_help_explain": 0.61,
    }
    frame = pl.DataFrame(
        {"child": c, "recorded_date": when, **{k: rng.random(n) < p for k, p in answers.items()}}
    ).sort("recorded_date", "child")
    return frame.with_columns(record_id=ids.head(frame.height))
