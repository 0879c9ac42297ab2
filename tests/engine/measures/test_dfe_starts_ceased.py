"""Starts and ceased counted as DfE counts them (by RNE and REC, short breaks excluded),
checked against a count written independently here, row by row, and against hand-worked
numbers; the local gap method as a parameter; the drill-down's notes where codes and dates
disagree."""

from __future__ import annotations

from datetime import date

import polars as pl

from journey.engine.measures import drilldown

from .helpers import extract, figure

YEAR_START, YEAR_END = date(2023, 4, 1), date(2024, 3, 31)


def ep(child, start, rne, ls, end=None, rec=None):
    return {
        "child_id": child,
        "episode_start": start,
        "reason_new_episode": rne,
        "legal_status": ls,
        "placement_type": "U6",
        "episode_end": end,
        "reason_ceased": rec,
    }


EPISODES = [
    # SB: care order, then the same day a series of short breaks (V4), then the same day a
    # care order again (RNE L): X1 then L, a continuation. DfE: no start, no cessation.
    ep("SB", "2022-06-01", "S", "C2", "2023-06-10", "X1"),
    ep("SB", "2023-06-10", "L", "V4", "2023-07-01", "X1"),
    ep("SB", "2023-07-01", "L", "C2"),
    # SB2: a short break (V3, RNE S), then the same day an interim care order (RNE L).
    # DfE: the S is a short break's, the L is no start: no start.
    ep("SB2", "2023-05-01", "S", "V3", "2023-05-03", "X1"),
    ep("SB2", "2023-05-03", "L", "C1"),
    # GAP: started in April; X1 on 1 August but the next episode (RNE L) starts 4 August.
    # DfE: one start (April), no cessation.
    ep("GAP", "2023-04-10", "S", "C2", "2023-08-01", "X1"),
    ep("GAP", "2023-08-04", "L", "C2"),
    # SAME: in care since March 2023; RNE S the day the previous episode ended X1 (DfE rule
    # 431). DfE: a start in September (by the code); no cessation.
    ep("SAME", "2023-03-20", "S", "V2", "2023-09-01", "X1"),
    ep("SAME", "2023-09-01", "S", "C1"),
    # CEASE: ceased (E13) and a new episode the same day with RNE P. DfE: a cessation; the
    # P is no start (and the period of care started in the year before).
    ep("CEASE", "2023-01-01", "S", "C2", "2023-10-01", "E13"),
    ep("CEASE", "2023-10-01", "P", "C2"),
    # PLAIN: starts and ceases in the year.
    ep("PLAIN", "2023-11-01", "S", "V2", "2024-02-01", "E4A"),
    # X1END: ends X1 with no later episode (DfE rule 388). DfE: no cessation.
    ep("X1END", "2022-01-01", "S", "C2", "2023-12-01", "X1"),
    # SBONLY: short breaks only.
    ep("SBONLY", "2023-06-01", "S", "V3", "2023-06-03", "E8"),
    # BLANK: no codes at all: the dates decide (a start and a cessation).
    ep("BLANK", "2023-06-01", None, "C2", "2023-07-01", None),
    # TWICE: starts twice, ceases once: one child each.
    ep("TWICE", "2023-04-05", "S", "V2", "2023-04-20", "E13"),
    ep("TWICE", "2023-05-02", "S", "C1"),
]


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def dfe_counts(rows: list[dict]) -> tuple[set[str], set[str]]:
    """DfE's convention, written out plainly: children with an episode (not a short break)
    starting in the year with RNE S, and children with one ending in the year with a REC
    other than X1; a blank code is decided by the dates."""
    care = [r for r in rows if r["legal_status"] not in ("V3", "V4")]
    started, ceased = set(), set()
    for r in care:
        start, end = _d(r["episode_start"]), _d(r["episode_end"])
        others = [o for o in care if o is not r and o["child_id"] == r["child_id"]]
        if YEAR_START <= start <= YEAR_END:
            if r["reason_new_episode"] == "S":
                started.add(r["child_id"])
            elif r["reason_new_episode"] is None:
                runs_up = any(
                    _d(o["episode_start"]) < start and (o["episode_end"] is None or _d(o["episode_end"]) >= start)
                    for o in others
                )
                if not runs_up:
                    started.add(r["child_id"])
        if end is not None and YEAR_START <= end <= YEAR_END:
            if r["reason_ceased"] not in (None, "X1"):
                ceased.add(r["child_id"])
            elif r["reason_ceased"] is None:
                follows_on = any(start < _d(o["episode_start"]) <= end for o in others)
                if not follows_on:
                    ceased.add(r["child_id"])
    return started, ceased


def test_starts_and_ceased_follow_dfe_codes_and_its_short_break_conventions():
    ex = extract(cla_episodes=EPISODES)
    started, ceased = dfe_counts(EPISODES)
    # Hand-worked: starts GAP, SAME, PLAIN, BLANK, TWICE; ceased CEASE, PLAIN, BLANK, TWICE.
    assert started == {"GAP", "SAME", "PLAIN", "BLANK", "TWICE"}
    assert ceased == {"CEASE", "PLAIN", "BLANK", "TWICE"}
    assert figure(ex, "cla_starts_in_year", "2024-03", "fytd")["value"] == len(started) == 5
    assert figure(ex, "cla_ceased_in_year", "2024-03", "fytd")["value"] == len(ceased) == 4
    starts = drilldown(ex, "cla_starts_in_year", "2024-03", period_type="fytd")
    assert sorted(starts.filter(pl.col("in_numerator"))["child_id"]) == sorted(started)
    gone = drilldown(ex, "cla_ceased_in_year", "2024-03", period_type="fytd")
    assert sorted(gone.filter(pl.col("in_numerator"))["child_id"]) == sorted(ceased)


def test_the_local_gap_method_counts_runs_of_episodes_instead():
    ex = extract(cla_episodes=EPISODES)
    gap = {"periods_of_care": "gap"}
    # Short breaks dropped, gaps seen: SB ceases 10 June and starts 1 July; SB2 starts 3 May;
    # GAP ceases 1 August; X1END ceases 1 December; CEASE and SAME continue (same day).
    assert figure(ex, "cla_starts_in_year", "2024-03", "fytd", parameters=gap)["value"] == 6
    assert figure(ex, "cla_ceased_in_year", "2024-03", "fytd", parameters=gap)["value"] == 6


def test_the_drill_down_lists_where_the_codes_and_the_dates_disagree_in_words():
    ex = extract(cla_episodes=EPISODES)
    starts = drilldown(ex, "cla_starts_in_year", "2024-03", period_type="fytd")
    noted = {(c, q) for c, q in starts.filter(pl.col("quality").is_not_null()).select("child_id", "quality").iter_rows()}
    assert noted == {
        ("GAP", "RNE is L but the previous episode ended 3 days before: not counted as a start, as DfE counts by the code (DfE rule 433)"),
        ("SAME", "RNE is S but the previous episode ended the same day: counted as a start, as DfE counts by the code (DfE rule 431)"),
        ("BLANK", "RNE is blank: counted as a start because no earlier episode runs up to this one"),
    }
    gap_row = starts.filter(pl.col("child_id") == "GAP", ~pl.col("in_numerator")).row(0, named=True)
    assert gap_row["reason"] == (
        "Not a start: the episode from 2023-08-04 (RNE L) continues the period of care since 2023-04-10. "
        "Data quality: RNE is L but the previous episode ended 3 days before: not counted as a start, "
        "as DfE counts by the code (DfE rule 433)"
    )
    gone = drilldown(ex, "cla_ceased_in_year", "2024-03", period_type="fytd")
    notes = dict(gone.filter(pl.col("quality").is_not_null()).select("child_id", "quality").iter_rows())
    assert notes["X1END"] == (
        "REC is X1 (a new episode the same day) but the child has no later episode: not counted as ceasing, "
        "as DfE counts by the code (DfE rule 388)"
    )
    assert notes["GAP"].startswith("REC is X1 (a new episode the same day) but the next episode starts 3 days later")
    assert notes["CEASE"] == (
        "REC is E13 (ceased to be looked after) but the next episode starts the same day with RNE P: counted as "
        "ceasing, as DfE counts by the code (DfE rule 388)"
    )
    # SB's transitions through its short break agree with the codes: nothing to note.
    assert "SB" not in notes and "SB" not in dict(starts.select("child_id", "reason").iter_rows())


def test_a_note_never_takes_the_place_of_a_childs_counted_start():
    # An L after a gap in April (noted, not counted) and a real start in May: the child counts.
    rows = [
        ep("N", "2023-03-01", "S", "C2", "2023-04-01", "E13"),
        ep("N", "2023-04-03", "L", "C2", "2023-04-10", "E13"),
        ep("N", "2023-05-01", "S", "C2"),
    ]
    ex = extract(cla_episodes=rows)
    assert figure(ex, "cla_starts_in_year", "2024-03", "fytd")["value"] == 1
    assert figure(ex, "cla_starts_in_year", "2023-04")["value"] == 0
    listed = drilldown(ex, "cla_starts_in_year", "2024-03", period_type="fytd")
    assert listed.filter(pl.col("in_numerator"))["episode_start"].to_list() == [date(2023, 5, 1)]
