"""Charts: the measure chart's layers, its text alternative, and the sparkline."""

from __future__ import annotations

import re

from journey.engine.charts import (
    ChartPoint,
    MeasureChart,
    describe_measure_chart,
    format_number,
    measure_chart_spec,
    measure_chart_svg,
    sparkline_svg,
)


def _chart(**extra):
    # Bigger is better with a lower tolerance of 80%: Green at or above the target, Amber down to 80.
    points = (
        ChartPoint("Apr-2023", 91.0, 90.0, (90.0, None), (80.0, None)),
        ChartPoint("May-2023", 86.0, 95.0, (95.0, None), (80.0, None)),
        ChartPoint("Jun-2023", 84.5, 95.0, (95.0, None), (80.0, None)),
    )
    return MeasureChart(
        title="CP visits in timescale", unit="percent", points=points,
        benchmarks={"England (2022-23)": 86.0, "Statistical neighbours (2022-23)": 88.0}, **extra,
    )


def test_the_spec_has_rating_zones_then_the_target_then_lines_for_actual_and_each_benchmark():
    spec = measure_chart_spec(_chart())
    zones, target, lines, points = spec["layer"]
    assert zones["mark"]["type"] == "rect"
    low, high = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    # April: Red below 80, Amber from 80 to the target 90, Green above, to the top of the axis.
    april = [(r["zone"], r["low"], r["high"]) for r in zones["data"]["values"] if r["month"] == "Apr-2023"]
    assert april == [("Red", low, 80.0), ("Amber", 80.0, 90.0), ("Green", 90.0, high)]
    assert target["mark"]["interpolate"] == "step"
    series = {row["series"] for row in lines["data"]["values"]}
    assert series == {"Actual", "Target", "England (2022-23)", "Statistical neighbours (2022-23)"}
    dashes = lines["encoding"]["strokeDash"]["scale"]["range"]
    assert len({tuple(d) for d in dashes}) == 4  # every line has its own dash, not only colour
    assert points["mark"]["type"] == "point"


def test_a_one_sided_tolerance_has_amber_on_one_side_only_and_bands_draw_both():
    from journey.engine.charts import zones

    lower_better = ChartPoint("Jan", 24.0, 22.0, (None, 22.0), (None, 28.0))
    assert zones(lower_better, 10.0, 40.0) == [("Green", 10.0, 22.0), ("Amber", 22.0, 28.0), ("Red", 28.0, 40.0)]
    banded = ChartPoint("Jan", 560.0, 575.0, (500.0, 650.0), (450.0, 700.0))
    assert [z[0] for z in zones(banded, 400.0, 750.0)] == ["Red", "Amber", "Green", "Amber", "Red"]


def test_chart_points_take_their_zones_from_the_rating_rule():
    from journey.engine.evaluation import evaluate_measure
    from journey.engine.plan import Measure

    m = Measure.model_validate({"id": "r", "title": "Re-referrals", "unit": "percent", "polarity": "lower_is_better",
                                "source": "manual", "targets": {"2024-03": 25}, "tolerance": {"ceiling": 28}})
    point = ChartPoint.rated("Mar-24", m, evaluate_measure(m, "2024-03", 26.0, None))
    assert (point.value, point.target, point.green, point.amber) == (26.0, 25.0, (None, 25.0), (None, 28.0))


def test_months_without_a_value_are_left_out_of_the_actual_line():
    chart = MeasureChart("X", "count", (ChartPoint("Jan", None, 5.0), ChartPoint("Feb", 3.0, 5.0)))
    spec = measure_chart_spec(chart)
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "line", "point"]  # no zones
    rows = (spec["layer"][0].get("data") or spec["data"])["values"]
    assert [r["month"] for r in rows if r["series"] == "Actual"] == ["Feb"]


def test_the_svg_is_one_image_with_a_title_and_a_description_and_no_inner_roles():
    svg = measure_chart_svg(_chart())
    head = svg[: svg.index(">") + 1]
    assert 'role="img"' in head and "aria-labelledby=" in head
    assert "<title id=" in svg and "<desc id=" in svg
    assert svg.count("role=") == 1
    assert not re.search(r"aria-(?!labelledby)", svg)


def test_the_same_chart_is_drawn_once_and_then_served_from_the_cache():
    first = measure_chart_svg(_chart(width=400))
    assert measure_chart_svg(_chart(width=400)) is first


def test_the_description_gives_the_range_the_latest_target_and_the_benchmarks():
    text = describe_measure_chart(_chart())
    assert text.startswith("CP visits in timescale, Apr-2023 to Jun-2023: from 91.0% to 84.5%.")
    assert "Lowest 84.5%, highest 91.0%." in text
    assert "Target in Jun-2023: 95.0%. Green at or above 95.0%; Amber from 80.0% up to 95.0%; Red below 80.0%." in text
    assert "England (2022-23): 86.0%." in text


def test_a_chart_without_values_says_so():
    chart = MeasureChart("Y", "count", (ChartPoint("Jan", None, 5.0),))
    assert describe_measure_chart(chart) == "Y: no values recorded for the months shown."


def test_the_sparkline_leaves_gaps_and_lists_every_value_in_its_title():
    svg = sparkline_svg([1, 2, None, 4], ["a", "b", "c", "d"], title="T", decimals=0)
    assert "<title>T: a 1, b 2, d 4</title>" in svg
    assert svg.count("<polyline") == 2


def test_a_sparkline_escapes_its_title():
    svg = sparkline_svg([1.0], ["<m>"], title="A & B")
    assert "<title>A &amp; B: &lt;m&gt; 1.0</title>" in svg


def test_numbers_are_formatted_with_their_unit():
    assert format_number(1234.56, 1, "percent") == "1,234.6%"
    assert format_number(1200, 0, "currency") == "£1,200"
    assert format_number(None) == "–"


def test_the_value_axis_is_titled_in_words():
    chart = MeasureChart("R", "rate_per_10k", (ChartPoint("Jan", 60.0),))
    assert '"title": "Rate per 10,000 children"' in __import__("json").dumps(measure_chart_spec(chart))


def test_the_chart_spec_is_valid_vega_lite():
    """Charts skip Altair's schema check when drawn (it costs more than the drawing), so the
    spec is checked against the Vega-Lite schema here instead."""
    import altair as alt

    spec = measure_chart_spec(_chart())
    alt.LayerChart.from_dict(spec, validate=True)


def test_months_with_the_same_zones_share_one_rectangle_per_zone_from_the_first_to_the_last():
    spec = measure_chart_spec(_chart())
    rows = spec["layer"][0]["data"]["values"]
    low, high = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    # April's target is 90, May's and June's 95: two runs, April alone and May to June.
    assert [(r["month"], r["end"], r["zone"]) for r in rows] == [
        ("Apr-2023", "Apr-2023", "Red"), ("Apr-2023", "Apr-2023", "Amber"), ("Apr-2023", "Apr-2023", "Green"),
        ("May-2023", "Jun-2023", "Red"), ("May-2023", "Jun-2023", "Amber"), ("May-2023", "Jun-2023", "Green"),
    ]
    assert (rows[4]["low"], rows[4]["high"]) == (80.0, 95.0)
    # The axis still has every month, including those inside a run.
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == ["Apr-2023", "May-2023", "Jun-2023"]


def test_the_svg_leaves_out_vega_paths_that_draw_nothing():
    svg = measure_chart_svg(_chart(width=300))
    assert 'class="background"' not in svg and 'class="foreground"' not in svg
    assert "<g>" not in svg and "pointer-events" not in svg
    # Three zones over two runs of months: six rectangles, not nine.
    assert len(re.findall(r'fill="#(?:cce2d8|fff2c4|f6d7d2)" opacity="0.9"', svg)) == 6


def test_the_word_picture_is_the_svg_already_drawn_rasterised_the_same_as_from_the_spec(monkeypatch):
    import vl_convert as vlc

    from journey.engine.charts import measure_chart_png, measure_chart_spec, register_chart_fonts

    chart = _chart(width=320)
    svg = measure_chart_svg(chart)
    register_chart_fonts()
    from_spec = bytes(vlc.vegalite_to_png(measure_chart_spec(chart), scale=2))

    def not_again(*args, **kwargs):
        raise AssertionError("the chart was laid out again")

    monkeypatch.setattr(vlc, "vegalite_to_png", not_again)
    monkeypatch.setattr(vlc, "vegalite_to_svg", not_again)
    assert measure_chart_svg(chart) is svg
    assert measure_chart_png(chart, scale=2) == from_spec


def test_a_word_picture_of_a_chart_not_yet_drawn_comes_straight_from_the_spec(monkeypatch):
    import vl_convert as vlc

    from journey.engine.charts import measure_chart_png

    def no_svg(*args, **kwargs):
        raise AssertionError("an SVG was drawn only to be rasterised")

    monkeypatch.setattr(vlc, "vegalite_to_svg", no_svg)
    png = measure_chart_png(_chart(width=330), scale=1)
    assert png.startswith(b"\x89PNG")
