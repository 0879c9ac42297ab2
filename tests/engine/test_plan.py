"""The plan file: the example loads; broken plans get every problem with its line."""

from pathlib import Path

import pytest

from journey.engine.disclosure import SmallNumberRule
from journey.engine.plan import (
    Action,
    ActionStatus,
    Authority,
    Band,
    Bands,
    Benchmarks,
    Frequency,
    Measure,
    NeighbourMethod,
    Plan,
    PlanError,
    Polarity,
    Priority,
    Tolerance,
    Unit,
    load_plan,
    parse_plan,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "plan.yaml"
FIXTURES = Path(__file__).parent / "fixtures" / "plan"

MINIMAL = """\
authority:
  name: Northfield Council
  la_code: "999"
  population_0_17: {2023: 33200}
priorities:
  - id: A
    title: Safety
    measures:
      - id: m1
        title: A measure
        unit: percent
        polarity: higher_is_better
        targets: {2024-03: 85}
        source: manual
"""


def problems(text: str, **kw) -> list[str]:
    with pytest.raises(PlanError) as info:
        parse_plan(text, "plan.yaml", **kw)
    return [str(p) for p in info.value.problems]


def test_the_example_plan_is_valid_and_shaped_like_a_council_plan():
    plan = load_plan(EXAMPLE)
    assert isinstance(plan, Plan)
    assert [p.id for p in plan.priorities] == ["A", "B", "C", "D"]
    assert plan.priorities[0].title == "A – Planning and safety (CIN and CP)"
    assert 28 <= len(plan.measures) <= 36
    assert 10 <= len(plan.actions) <= 14
    assert {m.source.kind for m in plan.measures} == {"computed", "manual"}
    assert {m.polarity for m in plan.measures} == set(Polarity)
    assert any(m.cumulative_in_year for m in plan.measures)
    # An action number written 4.10 stays "4.10", not the float 4.1.
    assert "4.10" in [a.number for a in plan.actions]
    # Every action links only to measures that exist.
    ids = {m.id for m in plan.measures}
    assert all(set(a.measures) <= ids for a in plan.actions)
    m = plan.measure("cp_visits_in_timescale_pct")
    assert m.parameters == {"working_days": 10}
    assert plan.priority_of("cla_starts_in_year").id == "C"
    assert plan.statistical_neighbour_method.value == "median"
    assert plan.default_tolerance.percent == 10


def test_population_for_a_month_uses_the_year_its_financial_year_starts():
    plan = load_plan(EXAMPLE)
    a = plan.authority
    assert a.population_for("2024-02") == 33200  # FY 2023-24 -> 2023
    assert a.population_for("2024-04") == 33300  # FY 2024-25 -> 2024
    assert a.population_year_for("2019-06") == 2020  # before the first year: the earliest
    assert a.population_year_for("2031-01") == 2025  # after the last: the latest earlier


def test_a_minimal_plan_gets_defaults():
    plan = parse_plan(MINIMAL)
    m = plan.measure("m1")
    assert m.unit is Unit.PERCENT and m.display_decimals == 1
    assert m.frequency.value == "monthly" and m.cumulative_in_year is False
    assert plan.tolerance_for(m).percent == 10
    assert plan.actions == []


def test_small_numbers_default_to_fewer_than_five_and_the_plan_can_change_or_refuse_them():
    assert parse_plan(MINIMAL).small_numbers.fewer_than == 5
    assert parse_plan("small_numbers: {fewer_than: 10}\n" + MINIMAL).small_numbers.label == "fewer than 10"
    assert problems("small_numbers: {fewer_than: 1}\n" + MINIMAL) == [
        "plan.yaml:1 small_numbers.fewer_than: 1 would hide nothing but fractions: use 0 to show every figure, or 2 or more"
    ]
    assert problems("small_numbers: {below: 5}\n" + MINIMAL) == ["plan.yaml:1 small_numbers.below: unknown key 'below'"]


def test_every_problem_of_a_broken_plan_is_reported_with_its_line():
    with pytest.raises(PlanError) as info:
        load_plan(FIXTURES / "broken.yaml")
    assert [str(p) for p in info.value.problems] == [
        "broken.yaml:6 authority.population_0_17: 1850 is not a year between 1990 and 2100",
        "broken.yaml:7 default_tolerance: default_tolerance must be a percentage of the target (e.g. percent: 10)",
        "broken.yaml:15 priorities[0].measures[0].polarity: 'bigger' is not one of higher_is_better, lower_is_better, within_range",
        "broken.yaml:16 priorities[0].measures[0].targets.Sep-24: 'Sep-24' is not a month in the form YYYY-MM (e.g. 2023-09)",
        "broken.yaml:23 priorities[0].measures[1].tolerance: the tolerance 20–28 does not contain the target 30 for 2024-03",
        "broken.yaml:25 priorities[0].measures[1].ownr: unknown key 'ownr' (did you mean 'owner'?)",
        "broken.yaml:26 priorities[0].measures[2].id: duplicate measure id 'rereferrals_12m_pct' (first given on line 18, priorities[0].measures[1].id)",
        "broken.yaml:29 priorities[0].measures[2].polarity: within_range needs bands: green and amber, each with lower and upper",
        "broken.yaml:30 priorities[0].measures[2].source: computed names no measure library id: write computed: <library id>",
        "broken.yaml:32 priorities[0].actions[0]: due date 2023-06-30 is before start date 2023-09-01",
        "broken.yaml:36 priorities[0].actions[0].measures[0]: 'referals_in_month' is not a measure in this plan (did you mean 'referrals_in_month'?)",
        "broken.yaml:37 priorities[1].id: duplicate priority id 'A' (first given on line 9, priorities[0].id)",
        "broken.yaml:42 priorities[1].measures[0].unit: 'percnt' is not one of count, percent, rate_per_10k, days, currency, score, number (did you mean 'percent'?)",
        "broken.yaml:45 priorities[1].measures[0].tolerance.floor: the tolerance floor 90 is above the target 85 for 2024-03",
    ]


def test_yaml_syntax_errors_name_the_line():
    assert problems("authority:\n  name: [Northfield\npriorities: []\n") == [
        "plan.yaml:3: YAML syntax error: expected ',' or ']', but got ':' while parsing a flow sequence"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "plan.yaml:1: the plan file is empty"),
        ("# only a comment\n", "plan.yaml:1: the plan file is empty"),
        ("- a\n- b\n", "plan.yaml:1: the plan must be a mapping of keys (authority:, priorities:, ...), not a list or a single value"),
        ("just text\n", "plan.yaml:1: the plan must be a mapping of keys (authority:, priorities:, ...), not a list or a single value"),
    ],
)
def test_empty_or_not_a_mapping(text, message):
    assert problems(text) == [message]


def test_missing_top_level_keys_and_unknown_keys_with_suggestions():
    assert problems("authorty: {}\n") == [
        "plan.yaml:1: missing required key 'authority'",
        "plan.yaml:1: missing required key 'priorities'",
        "plan.yaml:1 authorty: unknown key 'authorty' (did you mean 'authority'?)",
    ]


def test_duplicate_yaml_keys_are_errors_not_silently_overwritten():
    text = MINIMAL.replace("        unit: percent\n", "        unit: percent\n        unit: count\n")
    assert problems(text) == ["plan.yaml:12 priorities[0].measures[0].unit: duplicate key (already given on line 11)"]


def _with_measure(extra: str, polarity: str = "higher_is_better", targets: str = "{2024-03: 85}") -> str:
    text = MINIMAL.replace("polarity: higher_is_better", f"polarity: {polarity}")
    text = text.replace("targets: {2024-03: 85}", f"targets: {targets}")
    return text + "".join(f"        {line}\n" for line in extra.splitlines())


@pytest.mark.parametrize(
    ("extra", "polarity", "targets", "message"),
    [
        ("tolerance: {lower: 86, upper: 90}", "higher_is_better", "{2024-03: 85}",
         "plan.yaml:15 priorities[0].measures[0].tolerance: the tolerance 86–90 does not contain the target 85 for 2024-03"),
        ("tolerance: {lower: 80}", "higher_is_better", "{2024-03: 85}",
         "plan.yaml:15 priorities[0].measures[0].tolerance: a tolerance band needs both lower and upper (upper is missing); for one side only, use floor or ceiling"),
        ("tolerance: {percent: 10, floor: 80}", "higher_is_better", "{2024-03: 85}",
         "plan.yaml:15 priorities[0].measures[0].tolerance: give only one of floor, percent"),
        ("tolerance: {}", "higher_is_better", "{2024-03: 85}",
         "plan.yaml:15 priorities[0].measures[0].tolerance: give one of percent, points, lower and upper, floor or ceiling"),
        ("tolerance: {floor: 70}", "lower_is_better", "{2024-03: 85}",
         "plan.yaml:15 priorities[0].measures[0].tolerance.floor: a floor is for higher_is_better measures; a lower_is_better measure has a ceiling"),
        ("tolerance: {ceiling: 80}", "lower_is_better", "{2024-03: 85}",
         "plan.yaml:15 priorities[0].measures[0].tolerance.ceiling: the tolerance ceiling 80 is below the target 85 for 2024-03"),
        ("tolerance: {percent: -5}", "higher_is_better", "{2024-03: 85}",
         "plan.yaml:15 priorities[0].measures[0].tolerance.percent: -5 must be greater than 0"),
        ("", "within_range", "{2024-03: 85}",
         "plan.yaml:12 priorities[0].measures[0].polarity: within_range needs bands: green and amber, each with lower and upper"),
        ("bands:\n  green: {lower: 20}\n  amber: {lower: 10}", "within_range", "{}",
         "plan.yaml:16 priorities[0].measures[0].bands.green: within_range bands need both lower and upper\n"
         "plan.yaml:17 priorities[0].measures[0].bands.amber: within_range bands need both lower and upper"),
        ("bands:\n  green: {lower: 20, upper: 50}\n  amber: {lower: 10, upper: 40}", "within_range", "{}",
         "plan.yaml:15 priorities[0].measures[0].bands: the green band must lie inside the amber band"),
        ("bands:\n  green: {lower: 20, upper: 30}\n  amber: {lower: 10, upper: 40}", "within_range", "{2024-03: 35}",
         "plan.yaml:13 priorities[0].measures[0].targets.2024-03: the target 35 is outside the green band"),
        ("decimals: 9", "higher_is_better", "{2024-03: 85}",
         "plan.yaml:15 priorities[0].measures[0].decimals: 9 must be less than or equal to 6"),
        ("cumulative_in_year: maybe", "higher_is_better", "{2024-03: 85}",
         "plan.yaml:15 priorities[0].measures[0].cumulative_in_year: 'maybe' is not true or false"),
        ("", "higher_is_better", "{2024-03: lots}",
         "plan.yaml:13 priorities[0].measures[0].targets.2024-03: 'lots' is not a number"),
    ],
)
def test_measure_rules(extra, polarity, targets, message):
    assert problems(_with_measure(extra, polarity, targets)) == message.split("\n")


def test_source_forms():
    bad = MINIMAL.replace("source: manual", "source: survey")
    assert problems(bad) == [
        "plan.yaml:14 priorities[0].measures[0].source: 'survey' is not a source: write manual, or computed: <library id>"
    ]
    bad = MINIMAL.replace("source: manual", "source: {computd: x_y}")
    assert problems(bad) == [
        "plan.yaml:14 priorities[0].measures[0].source: a source is manual or computed: <library id>, not 'computd' (did you mean 'computed'?)"
    ]
    bad = MINIMAL.replace("source: manual", "source: {computed: }")
    assert problems(bad) == [
        "plan.yaml:14 priorities[0].measures[0].source: computed names no measure library id: write computed: <library id>"
    ]
    good = MINIMAL.replace("source: manual", "source: {computed: cla_rate_per_10k}")
    m = parse_plan(good).measure("m1")
    assert (m.source.kind, m.source.library_id, str(m.source)) == ("computed", "cla_rate_per_10k", "computed: cla_rate_per_10k")


def test_library_ids_are_checked_when_the_library_is_given():
    good = MINIMAL.replace("source: manual", "source: {computed: cla_rate_per_10kk}")
    assert problems(good, library_ids={"cla_rate_per_10k", "cp_rate_per_10k"}) == [
        "plan.yaml:14 priorities[0].measures[0].source.computed: 'cla_rate_per_10kk' is not in the measure library (did you mean 'cla_rate_per_10k'?)"
    ]
    assert parse_plan(good).measure("m1").source.library_id == "cla_rate_per_10kk"


def test_actions():
    text = MINIMAL + """\
    actions:
      - number: 4.10
        text: Do the thing
        owner: Head of Service
        start: 2023-04-01
        due: 2024-03-31
        status: in_progress
        percent_complete: 40
        measures: [m1]
        evidence: Board minutes
"""
    plan = parse_plan(text)
    action = plan.actions[0]
    assert action.number == "4.10"
    assert action.status is ActionStatus.IN_PROGRESS
    assert action.evidence == ["Board minutes"]
    assert plan.actions_for("m1") == [action]

    bad = text.replace("due: 2024-03-31", "due: 31/03/2024").replace("status: in_progress", "status: done")
    bad = bad.replace("percent_complete: 40", "percent_complete: 140").replace("measures: [m1]", "measures: [m2]")
    assert problems(bad) == [
        "plan.yaml:20 priorities[0].actions[0].due: '31/03/2024' is not a date in the form YYYY-MM-DD (e.g. 2024-03-31)",
        "plan.yaml:21 priorities[0].actions[0].status: 'done' is not one of not_started, in_progress, blocked, completed",
        "plan.yaml:22 priorities[0].actions[0].percent_complete: 140 must be less than or equal to 100",
        "plan.yaml:23 priorities[0].actions[0].measures[0]: 'm2' is not a measure in this plan",
    ]
    dup = text + text[text.index("      - number"):]
    assert problems(dup) == [
        "plan.yaml:25 priorities[0].actions[1].number: duplicate action number '4.10' (first given on line 16, priorities[0].actions[0].number)"
    ]


def test_wrong_shapes_are_named():
    text = MINIMAL.replace("    measures:\n", "    measures: none\n    old:\n")
    assert problems(text.split("      - id: m1")[0]) == [
        "plan.yaml:8 priorities[0].measures: expected a list (lines starting with '- '), got 'none'",
        "plan.yaml:9 priorities[0].old: unknown key 'old'",
    ]


def test_alias_expansion_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = "\n".join(lines) + "\n"
    found = problems(text)
    assert len(found) == 1 and found[0].endswith("the file is too large or expands too far (aliases)")


def test_load_plan_file_errors(tmp_path):
    with pytest.raises(PlanError, match="no such file"):
        load_plan(tmp_path / "missing.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 200 + "\n")
    with pytest.raises(PlanError, match="larger than 100 bytes"):
        load_plan(big, max_bytes=100)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"title: caf\xe9\n")
    with pytest.raises(PlanError, match=r"latin.yaml:1: the file is not UTF-8"):
        load_plan(latin)
    with pytest.raises(PlanError, match="is a folder"):
        load_plan(tmp_path)


def test_every_key_of_the_models_is_documented():
    doc = (ROOT / "docs" / "plan-format.md").read_text()
    missing = [
        f"{model.__name__}.{name}"
        for model in (Plan, Authority, Tolerance, Band, Bands, Benchmarks, Priority, Measure, Action, SmallNumberRule)
        for name in model.model_fields
        if f"`{name}`" not in doc
    ]
    assert missing == []
    for enum in (Polarity, Unit, Frequency, ActionStatus, NeighbourMethod):
        for member in enum:
            assert f"`{member.value}`" in doc, member


def test_it_names_a_misspelt_measure_parameter_with_its_line_when_checked_against_the_library():
    text = """
authority: {name: Testshire, la_code: "998", population_0_17: {2023: 10000}}
priorities:
  - id: A
    title: Safety
    measures:
      - id: cp_visits
        title: CP visits in timescale
        unit: percent
        polarity: higher_is_better
        targets: {2024-03: 90}
        source: {computed: cp_visits_in_timescale_pct}
        parameters:
          working_dayz: 10
"""
    library = {"cp_visits_in_timescale_pct": frozenset({"working_days"})}
    with pytest.raises(PlanError) as caught:
        parse_plan(text, "plan.yaml", library_ids=library)
    assert [str(p) for p in caught.value.problems] == [
        "plan.yaml:14 priorities[0].measures[0].parameters.working_dayz: 'working_dayz' is not a "
        "parameter of cp_visits_in_timescale_pct (did you mean 'working_days'?) "
        "(its parameters: working_days)"
    ]


OWNED = """\
authority: {name: Northfield Council, la_code: "999", population_0_17: {2023: 33200}}
priorities:
  - id: A
    title: Safety   # the first priority
    measures:
      - id: m1
        title: A measure
        unit: percent
        polarity: higher_is_better
        owner: Head of Front Door  # until the restructure
        source: manual
      - id: m2
        title: Another
        unit: count
        polarity: lower_is_better
        source: manual
      - {id: m3, title: Flow, unit: count, polarity: lower_is_better, source: manual, owner: ann}
    actions:
      - number: "1.10"
        text: Do it
        owner: 'O''Brien'
        due: 2024-03-31
"""


def test_owners_are_changed_in_place_keeping_comments_and_layout():
    from journey.engine.plan import set_owners

    text = set_owners(
        OWNED,
        {("measure", "m1"): "front-door-team", ("measure", "m2"): "Head of: Children in Care",
         ("measure", "m3"): "bob", ("action", "1.10"): "dee"},
    )
    plan = parse_plan(text)
    assert [m.owner for m in plan.measures] == ["front-door-team", "Head of: Children in Care", "bob"]
    assert plan.actions[0].owner == "dee"
    lines = text.splitlines()
    assert "        owner: front-door-team  # until the restructure" in lines
    assert lines[lines.index("      - id: m2") + 1] == '        owner: "Head of: Children in Care"'
    assert "      - {id: m3, title: Flow, unit: count, polarity: lower_is_better, source: manual, owner: bob}" in lines
    assert "    title: Safety   # the first priority" in lines
    # Nothing else moved: the same number of lines plus the one added.
    assert len(lines) == len(OWNED.splitlines()) + 1


def test_an_owner_can_be_removed_and_a_plan_without_the_item_is_unchanged():
    from journey.engine.plan import set_owners

    text = set_owners(OWNED, {("measure", "m1"): "", ("measure", "m3"): " ", ("measure", "nope"): "x"})
    plan = parse_plan(text)
    assert [m.owner for m in plan.measures] == [None, None, None]
    assert "until the restructure" not in text
    assert "{id: m3, title: Flow, unit: count, polarity: lower_is_better, source: manual}" in text
    assert set_owners(OWNED, {}) == OWNED


def test_a_manual_measure_carries_its_definition_as_text_or_with_numerator_denominator_and_source():
    text = MINIMAL.replace(
        "        source: manual\n",
        "        source: manual\n"
        "        definition:\n"
        "          text: Children in care who answer always or mostly to 'Do you feel safe where you live?'\n"
        "          numerator: children who say they feel safe\n"
        "          denominator: children in care who answered the question\n"
        "          source: the annual children in care survey\n",
    )
    d = parse_plan(text, "plan.yaml").measures[0].definition
    assert (d.text, d.numerator, d.denominator, d.source) == (
        "Children in care who answer always or mostly to 'Do you feel safe where you live?'",
        "children who say they feel safe", "children in care who answered the question", "the annual children in care survey",
    )
    short = MINIMAL.replace("        source: manual\n", "        source: manual\n        definition: Agency social workers at the month's end.\n")
    d = parse_plan(short, "plan.yaml").measures[0].definition
    assert (d.text, d.numerator, d.denominator, d.source) == ("Agency social workers at the month's end.", None, None, None)


def test_a_mistyped_or_misplaced_definition_is_refused_naming_the_line():
    typo = MINIMAL.replace(
        "        source: manual\n",
        "        source: manual\n        definition:\n          text: Children who feel safe.\n          numerater: children who say so\n",
    )
    assert problems(typo) == [
        "plan.yaml:17 priorities[0].measures[0].definition.numerater: unknown key 'numerater' (did you mean 'numerator'?)"
    ]
    empty = MINIMAL.replace("        source: manual\n", "        source: manual\n        definition:\n          numerator: children\n")
    assert problems(empty) == ["plan.yaml:15 priorities[0].measures[0].definition: missing required key 'text'"]
    computed = MINIMAL.replace("        source: manual\n", "        source: {computed: cla_count}\n        definition: Children in care.\n")
    assert problems(computed, library_ids=None) == [
        "plan.yaml:15 priorities[0].measures[0].definition: a computed measure is defined by the measure library "
        "(journey measures explain cla_count); a definition is for manual measures: put anything to add in notes"
    ]
    count = MINIMAL.replace("unit: percent", "unit: count").replace(
        "        source: manual\n",
        "        source: manual\n        definition:\n          text: Agency workers.\n          denominator: all workers\n",
    )
    assert problems(count) == [
        "plan.yaml:17 priorities[0].measures[0].definition.denominator: a count has no denominator: say what is counted as the numerator"
    ]
