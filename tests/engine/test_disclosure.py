"""Small-number suppression, worked by hand (threshold 5 unless a test says otherwise)."""

import pytest
from pydantic import ValidationError

from journey.engine.disclosure import NO_SUPPRESSION, SmallNumberRule

RULE = SmallNumberRule()


def test_counts_from_one_to_four_are_small_and_zero_and_five_are_not():
    assert [RULE.is_small(n) for n in (0, 1, 4, 5, 17, None)] == [False, True, True, False, False, False]


def test_fractions_of_people_count_as_small_too():
    # 2.5 FTE of agency workers is two or three people.
    assert RULE.is_small(2.5)
    assert not RULE.is_small(4.99 + 0.01)


def test_a_hidden_count_reads_fewer_than_five_and_a_hidden_rate_says_why():
    assert RULE.label == "fewer than 5"
    assert RULE.hidden_text("count") == "fewer than 5"
    assert RULE.hidden_text("percent") == "not shown (fewer than 5)"
    assert [RULE.hidden_text(u, short=True) for u in ("count", "percent")] == ["<5", "hidden"]


def test_a_percentage_is_hidden_when_its_numerator_or_its_denominator_is_small():
    assert RULE.hides_figure("percent", 100.0, 2, 2)  # "2 of 2"
    assert RULE.hides_figure("percent", 0.0, 0, 3)  # 0 of 3: the denominator is small
    assert RULE.hides_figure("percent", 11.8, 2, 17)  # 2 of 17: the numerator is small
    assert not RULE.hides_figure("percent", 58.8, 10, 17)
    assert not RULE.hides_figure("percent", 0.0, 0, 17)  # none of 17 identifies nobody


def test_a_count_is_checked_on_itself_not_on_its_target():
    # A count's recorded denominator is the target per month, not people.
    assert RULE.hides_figure("count", 3.0, 3, 40)
    assert not RULE.hides_figure("count", 12.0, 12, 2)
    assert RULE.hides_figure("count", 4.0)  # a manual count without a numerator


def test_a_rate_per_10k_is_checked_on_the_children_not_the_population():
    assert RULE.hides_figure("rate_per_10k", 0.9, 3, 33_200)
    assert not RULE.hides_figure("rate_per_10k", 27.7, 92, 33_200)


def test_an_average_is_hidden_when_the_people_it_averages_are_few():
    assert RULE.hides_figure("number", 18.0, 54, 3)  # 54 cases over 3 FTE
    assert not RULE.hides_figure("number", 18.0, 90, 5)
    assert not RULE.hides_figure("days", 12.0)  # a manual figure with nothing to check


def test_a_table_with_no_small_part_hides_nothing():
    parts = RULE.parts([(40, None), (12, None), (0, None)])
    assert parts.hidden == (False, False, False)
    assert not parts.whole_hidden and not parts.any_hidden


def test_one_small_part_takes_the_next_smallest_with_it_so_the_total_cannot_give_it_back():
    # Boys 40, girls 3, not recorded 0; total 43 shown. Hiding only the 3 leaves 43 - 40 = 3;
    # hiding 40 too leaves 43 between two cells. The 0 is never chosen: it hides nothing.
    parts = RULE.parts([(40, None), (3, None), (0, None)])
    assert parts.hidden == (True, True, False)
    assert not parts.whole_hidden
    # The 40 is hidden only to protect the 3: it is not small and must not be labelled "<5".
    assert parts.primary == (False, True, False)


def test_the_hidden_parts_must_add_up_to_more_than_a_small_number():
    # 2 and 1 hidden together still add up to 3 (small): the next smallest, 6, goes too.
    parts = RULE.parts([(20, None), (2, None), (1, None), (6, None)])
    assert parts.hidden == (False, True, True, True)
    # 2 + 1 + 6 = 9, so 20 and the total 29 can be shown.
    assert not parts.whole_hidden


def test_two_small_parts_adding_up_to_five_or_more_hide_nothing_else():
    parts = RULE.parts([(3, None), (2, None), (30, None)])
    assert parts.hidden == (True, True, False)


def test_the_whole_is_hidden_when_no_choice_of_parts_protects_the_small_one():
    # One part: the total is the part.
    single = RULE.parts([(3, None)])
    assert single.hidden == (True,) and single.whole_hidden
    # 2 + 2 = 4: everything hidden still adds up to a small number.
    pair = RULE.parts([(2, None), (2, None), (0, None)])
    assert pair.hidden == (True, True, True) and pair.whole_hidden


def test_rates_by_team_hide_by_numerator_or_denominator_and_protect_both_columns():
    # (seen in time, due) by team. North 2 of 2 is primary; the smallest other team by
    # denominator is East (0 of 6): hidden together they are 2 of 8 — numerators add up
    # to 2, still small — so the next smallest, South (15 of 20), goes too: 17 of 28.
    teams = [(2, 2), (30, 35), (0, 6), (15, 20)]
    parts = RULE.parts(teams)
    assert parts.hidden == (True, False, True, True)
    assert not parts.whole_hidden


def test_ties_are_broken_by_order_so_the_same_table_always_hides_the_same_cells():
    assert RULE.parts([(3, None), (9, None), (9, None)]).hidden == (True, True, False)


def test_the_threshold_comes_from_the_plan_and_zero_turns_it_off():
    ten = SmallNumberRule(fewer_than=10)
    assert ten.is_small(9) and not ten.is_small(10)
    assert ten.label == "fewer than 10"
    assert not NO_SUPPRESSION.active
    assert not NO_SUPPRESSION.hides_figure("percent", 100.0, 2, 2)
    assert NO_SUPPRESSION.parts([(1, None), (40, None)]).hidden == (False, False)


def test_a_threshold_of_one_is_refused_because_it_would_hide_only_fractions():
    with pytest.raises(ValidationError, match="use 0 to show every figure"):
        SmallNumberRule(fewer_than=1)
    with pytest.raises(ValidationError):
        SmallNumberRule(fewer_than=-1)


def test_the_explanation_names_the_range_hidden():
    assert RULE.explanation.startswith("To protect individuals, counts of 1 to 4 are shown as “fewer than 5” (<5)")
