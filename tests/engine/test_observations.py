"""The observations CSV: what is accepted, and every problem named by row and column."""

from datetime import date
from pathlib import Path

import pytest

from journey.engine.observations import (
    SCHEMA,
    ObservationsError,
    monthly_series,
    observations_from_rows,
    parse_observations,
    read_observations,
    unknown_measure_ids,
    values_for_evaluation,
)
from journey.engine.plan import parse_plan

FIXTURES = Path(__file__).parent / "fixtures" / "plan"

GOOD = """\
measure_id,period,value,numerator,denominator,period_type,breakdown,breakdown_value,flagged,as_at,snapshot
assessments_45wd_pct,2023-05,78.4,98,125,,,,,,s1
assessments_45wd_pct,2023-06,81.2,108,133,month,,,0,,s1
assessments_45wd_pct,2023-06,75.0,30,40,month,team,North,true,,s1
assessments_45wd_pct,2023-04,80.0,,,,,,,,s1

cla_starts_in_year,2023-06,12,,,month,,,,,
cla_starts_in_year,2023-06,33,,,fytd,,,,,
cla_starts_in_year,2023-07,,,,,,,,,
cla_rate_per_10k,2023-07,151.2,502,33200,latest,,,,2023-07-12,
"""


def errors(text: str) -> list[str]:
    with pytest.raises(ObservationsError) as info:
        parse_observations(text, "obs.csv")
    return [str(p) for p in info.value.problems]


def test_a_good_file_becomes_a_typed_frame():
    frame = parse_observations(GOOD, "obs.csv")
    assert dict(frame.schema) == SCHEMA
    assert frame.height == 8
    first = frame.row(0, named=True)
    assert first == {
        "measure_id": "assessments_45wd_pct", "period": "2023-05", "period_type": "month", "breakdown": "",
        "breakdown_value": "", "value": 78.4, "numerator": 98.0, "denominator": 125.0, "flagged": False,
        "snapshot": "s1", "source": "", "as_at": None, "note": "", "row": 2,
    }
    north = frame.row(2, named=True)
    assert (north["breakdown"], north["breakdown_value"], north["flagged"]) == ("team", "North", True)
    latest = frame.filter(frame["period_type"] == "latest").row(0, named=True)
    assert (latest["as_at"], latest["row"]) == (date(2023, 7, 12), 10)  # the blank line still counts
    empty_value = frame.filter((frame["measure_id"] == "cla_starts_in_year") & (frame["period"] == "2023-07"))
    assert empty_value["value"].to_list() == [None]


def test_monthly_series_and_values_for_evaluation():
    frame = parse_observations(GOOD)
    assert monthly_series(frame, "assessments_45wd_pct") == {"2023-04": 80.0, "2023-05": 78.4, "2023-06": 81.2}
    assert monthly_series(frame, "assessments_45wd_pct", breakdown="team", breakdown_value="North") == {"2023-06": 75.0}
    assert monthly_series(frame, "cla_starts_in_year", period_type="fytd") == {"2023-06": 33.0}
    assert monthly_series(frame, "nothing_here") == {}
    plan = parse_plan("""\
authority: {name: N, la_code: "999", population_0_17: {2023: 33200}}
priorities:
  - id: A
    title: T
    measures:
      - {id: cla_starts_in_year, title: S, unit: count, polarity: lower_is_better, cumulative_in_year: true, source: manual}
      - {id: assessments_45wd_pct, title: A, unit: percent, polarity: higher_is_better, source: manual}
""")
    values = values_for_evaluation(frame, plan)
    assert values["cla_starts_in_year"] == {"2023-06": 33.0, "2023-07": None}  # fytd preferred
    assert values["assessments_45wd_pct"]["2023-06"] == 81.2
    assert unknown_measure_ids(frame, plan) == ["cla_rate_per_10k"]


def test_every_problem_is_named_with_row_column_and_value():
    with pytest.raises(ObservationsError) as info:
        read_observations(FIXTURES / "observations_bad.csv")
    assert [str(p) for p in info.value.problems] == [
        "observations_bad.csv row 3, column period: 'Jun-23' is not a month in the form YYYY-MM (e.g. 2023-09)",
        "observations_bad.csv row 4, column measure_id: 'Assessments' is not a measure id (lower-case letters, digits and underscores)",
        "observations_bad.csv row 5, column value: '85%' is not a number (write it without the % sign)",
        "observations_bad.csv row 6, column value: '1,234' is not a number (write it without thousands separators)",
        "observations_bad.csv row 7, column period_type: 'monthly' is not one of month, fytd, rolling12, latest (did you mean 'month'?)",
        "observations_bad.csv row 8, column as_at: a latest figure needs as_at, the date it is as at (YYYY-MM-DD)",
        "observations_bad.csv row 9: duplicate of row 2: assessments_45wd_pct 2023-06 (month) is given twice",
        "observations_bad.csv row 10, column flagged: 'maybe' is not true or false (or a count of records)",
        "observations_bad.csv row 10, column breakdown: breakdown_value is given but breakdown is empty",
    ]
    p = info.value.problems[2]
    assert (p.file, p.row, p.column, p.value) == ("observations_bad.csv", 5, "value", "85%")


def test_header_problems():
    assert errors("measure,period,valeu\nx,2023-01,1\n") == [
        "obs.csv row 1, column measure_id: missing required column 'measure_id' (did you mean 'measure'?)",
        "obs.csv row 1, column value: missing required column 'value' (did you mean 'valeu'?)",
    ]
    assert errors("measure_id,period,value,value\n") == ["obs.csv row 1, column value: the column 'value' appears twice"]
    assert errors("") == ["obs.csv: the file is empty (it needs a header row: measure_id,period,value)"]


def test_unknown_columns_are_warned_about_not_fatal():
    warnings: list[str] = []
    frame = parse_observations(" Measure_ID , Period ,VALUE,notes,colour\nm1,2023-01,1,x,y\n", "obs.csv", warnings=warnings)
    assert frame.height == 1
    assert warnings == [
        "obs.csv: column 'notes' is not used (did you mean 'note'?)",
        "obs.csv: column 'colour' is not used",
    ]


def test_ragged_rows_and_duplicates_within_a_breakdown():
    assert errors("measure_id,period,value\nm1,2023-01,1,extra\n") == [
        "obs.csv row 2: the row has 4 cells but the header has 3"
    ]
    text = "measure_id,period,value,breakdown,breakdown_value\nm1,2023-01,1,team,North\nm1,2023-01,2,team,North\nm1,2023-01,2,team,South\n"
    assert errors(text) == [
        "obs.csv row 3: duplicate of row 2: m1 2023-01 (month, breakdown team=North) is given twice"
    ]


def test_files_that_are_not_csv_text(tmp_path):
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00garbage")
    with pytest.raises(ObservationsError, match="not a CSV text file"):
        read_observations(binary)
    cp1252 = tmp_path / "w.csv"
    cp1252.write_bytes("measure_id,period,value,note\nm1,2023-01,1,caf\u00e9 \u2013 ok\n".encode("cp1252"))
    assert read_observations(cp1252)["note"].to_list() == ["caf\u00e9 \u2013 ok"]
    bom = tmp_path / "b.csv"
    bom.write_bytes("\ufeffmeasure_id,period,value\nm1,2023-01,1\n".encode())
    assert read_observations(bom).height == 1
    with pytest.raises(ObservationsError, match="no such file"):
        read_observations(tmp_path / "missing.csv")
    with pytest.raises(ObservationsError, match="larger than 10 bytes"):
        read_observations(bom, max_bytes=10)


def test_rows_from_mappings():
    frame = observations_from_rows([{"measure_id": "m1", "period": "2023-01", "value": 1.5}])
    assert frame["value"].to_list() == [1.5]
    with pytest.raises(ObservationsError) as info:
        observations_from_rows([{"measure_id": "m1", "period": "2023-1", "value": 1}], "manual")
    assert str(info.value) == "manual row 2, column period: '2023-1' is not a month in the form YYYY-MM (e.g. 2023-09)"


def test_the_number_of_problems_reported_is_capped():
    text = "measure_id,period,value\n" + "m1,bad,1\n" * 250
    with pytest.raises(ObservationsError) as info:
        parse_observations(text)
    assert len(info.value.problems) == 200 and info.value.more == 50
    assert str(info.value).endswith("... and 50 more problems")


def test_text_escaped_against_formulas_when_written_is_read_back_as_it_was():
    from journey.engine.observations import parse_observations

    text = "measure_id,period,value,breakdown,breakdown_value\nx,2024-01,3,team,'=North\n"
    frame = parse_observations(text)
    assert frame["breakdown_value"].to_list() == ["=North"]
