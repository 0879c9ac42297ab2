"""Charts for the dashboard, the measure pages and the board pack.

Two kinds:

* ``measure_chart_svg`` — a measure over time: the value line, the target (as steps
  between milestones), the Green, Amber and Red zones drawn exactly as the rating rule
  reads them (a one-sided tolerance is one-sided; a banded measure shows its bands) and
  benchmark lines (statistical neighbours, England) where known. A Vega-Lite spec rendered to SVG by ``vl_convert``, so the
  same picture goes into the browser, the PDF and the Word report. Every chart also gets
  a plain-text description (``describe_measure_chart``) and is meant to be shown beside
  its data table: colour is never the only carrier of meaning (lines differ by dash).
* ``sparkline_svg`` — a tiny inline trend line for dashboard tables, hand-written SVG
  with a ``<title>`` so screen readers get the numbers too.

Pure: no Django, no database. Rendered SVG is cached per input.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journey.engine.evaluation import MeasureResult
    from journey.engine.plan import Measure

from journey.engine.fonts import FONT_STACK, register_chart_fonts

__all__ = [
    "ZONE_COLOURS",
    "ChartPoint",
    "MeasureChart",
    "describe_measure_chart",
    "format_number",
    "measure_chart_spec",
    "measure_chart_svg",
    "sparkline_svg",
    "zones",
    "zones_in_words",
]

# Colours with at least 3:1 contrast against white; each series also has its own dash.
ACTUAL_COLOUR = "#1d70b8"
TARGET_COLOUR = "#0b0c0c"
ZONE_COLOURS = {"Green": "#cce2d8", "Amber": "#fff2c4", "Red": "#f6d7d2"}
"""Light fills behind the lines; the zones are also named in the legend and the text."""
BENCHMARK_STYLES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("#d4351c", (2, 2)),
    ("#4c2c92", (8, 3, 2, 3)),
    ("#6f777b", (1, 3)),
    ("#b58840", (10, 4)),
)


VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"

AXIS_TITLES = {
    "percent": "%",
    "rate_per_10k": "Rate per 10,000 children",
    "count": "Number",
    "days": "Days",
    "currency": "£",
    "score": "Score",
    "number": "Number",
}


Range = tuple[float | None, float | None]
"""(lower, upper), either end open when ``None``."""


@dataclass(frozen=True)
class ChartPoint:
    """One month on a measure chart. ``label`` is the axis text (e.g. ``Jun-23``).

    ``green`` and ``amber`` are the ranges the rating rule reads that month (the amber range
    contains the green one; red is everything outside amber): see :meth:`rated`.
    """

    label: str
    value: float | None = None
    target: float | None = None
    green: Range | None = None
    amber: Range | None = None

    @classmethod
    def rated(cls, label: str, measure: Measure, result: MeasureResult | None, value: float | None = None) -> ChartPoint:
        """The month as rated: its value, target and the zones of the rule that rated it.

        Bigger is better: Green at or above the target, Amber down to the lower tolerance,
        Red below it. Smaller is better: the mirror image. A banded measure: its bands.
        """
        if result is None:
            return cls(label, value)
        shown = result.value if value is None else value
        if measure.bands is not None:
            g, a = measure.bands.green, measure.bands.amber
            return cls(label, shown, result.target, (g.lower, g.upper), (a.lower, a.upper))
        if result.target is None:
            return cls(label, shown)
        target = result.target
        if result.polarity == "higher_is_better":
            floor = result.tolerance_lower if result.tolerance_lower is not None else target
            return cls(label, shown, target, (target, None), (floor, None))
        ceiling = result.tolerance_upper if result.tolerance_upper is not None else target
        return cls(label, shown, target, (None, target), (None, ceiling))


@dataclass(frozen=True)
class MeasureChart:
    """Everything a measure chart shows; benchmarks are constant reference lines."""

    title: str
    unit: str
    points: tuple[ChartPoint, ...]
    benchmarks: Mapping[str, float] = field(default_factory=dict)
    decimals: int = 1
    width: int = 560
    height: int = 260

    def cache_key(self) -> str:
        payload = json.dumps(
            {
                "t": self.title,
                "u": self.unit,
                "p": [(p.label, p.value, p.target, p.green, p.amber) for p in self.points],
                "b": sorted(self.benchmarks.items()),
                "d": self.decimals,
                "w": self.width,
                "h": self.height,
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def format_number(value: float | None, decimals: int = 1, unit: str = "") -> str:
    """``12.345`` → ``12.3``; counts keep no decimals; percentages get a ``%``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{max(decimals, 0)}f}"
    if unit in {"percent", "%"}:
        text += "%"
    elif unit in {"currency", "£"}:
        text = "£" + text
    return text


def _finite(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _domain(chart: MeasureChart) -> tuple[float, float] | None:
    """The value axis: every value, target, benchmark and zone edge, with a margin."""
    candidates: list[float | None] = [v for p in chart.points for v in (p.value, p.target)]
    candidates += list(chart.benchmarks.values())
    candidates += [edge for p in chart.points for zone in (p.green, p.amber) if zone is not None for edge in zone]
    numbers = [float(v) for v in candidates if v is not None and _finite(v)]
    if not numbers:
        return None
    low, high = min(numbers), max(numbers)
    span = (high - low) or abs(high) or 1.0
    low, high = low - 0.08 * span, high + 0.08 * span
    if min(numbers) >= 0:
        low = max(low, 0.0)
    if chart.unit in {"percent", "%"} and max(numbers) <= 100:
        high = min(high, 100.0)
    return low, high


def zones(point: ChartPoint, low: float, high: float) -> list[tuple[str, float, float]]:
    """(Green/Amber/Red, from, to) bands of one month, clipped to the axis ``low``–``high``."""
    if point.green is None or point.amber is None:
        return []
    (g_low, g_high), (a_low, a_high) = point.green, point.amber
    parts = [
        ("Red", low, a_low) if a_low is not None else None,
        ("Amber", low if a_low is None else a_low, g_low) if g_low is not None else None,
        ("Green", low if g_low is None else g_low, high if g_high is None else g_high),
        ("Amber", g_high, high if a_high is None else a_high) if g_high is not None else None,
        ("Red", a_high, high) if a_high is not None else None,
    ]
    out = []
    for part in parts:
        if part is None:
            continue
        name, start, stop = part
        start, stop = max(start, low), min(stop, high)
        if stop > start:
            out.append((name, start, stop))
    return out


def measure_chart_spec(chart: MeasureChart) -> dict:
    """The Vega-Lite specification of a measure chart.

    Written out as plain data rather than through Altair: Altair's object model cost more
    per chart than drawing it (the spec is checked against the Vega-Lite schema in the
    tests instead)."""
    order = [p.label for p in chart.points]
    rows: list[dict] = []
    for p in chart.points:
        if _finite(p.value):
            rows.append({"month": p.label, "value": p.value, "series": "Actual"})
        if _finite(p.target):
            rows.append({"month": p.label, "value": p.target, "series": "Target"})
    domain = _domain(chart)
    # One rectangle per zone for each run of months whose zones are the same (from the
    # start of the run's first month to the end of its last): the picture of a rectangle
    # per month, drawn with a fraction of the marks.
    rects: list[dict] = []
    if domain is not None:
        run: list[tuple[str, float, float]] = []
        for p in chart.points:
            bands = zones(p, *domain)
            if bands and bands == run and rects:
                for row in rects[-len(bands):]:
                    row["end"] = p.label
                continue
            run = bands
            rects.extend(
                {"month": p.label, "end": p.label, "zone": name, "low": start, "high": stop}
                for name, start, stop in bands
            )
    # Every month with a zone or a line, in order: months inside a run are named only here.
    shown_months = {r["month"] for r in rows} | {
        label for r in rects for label in order[order.index(r["month"]) : order.index(r["end"]) + 1]
    }
    months = [label for label in order if label in shown_months]
    series_names = ["Actual", "Target"]
    colours = [ACTUAL_COLOUR, TARGET_COLOUR]
    dashes: list[list[int]] = [[1, 0], [6, 3]]
    for index, (name, value) in enumerate(sorted(chart.benchmarks.items())):
        if not _finite(value):
            continue
        colour, dash = BENCHMARK_STYLES[index % len(BENCHMARK_STYLES)]
        series_names.append(name)
        colours.append(colour)
        dashes.append(list(dash))
        rows.extend({"month": label, "value": value, "series": name} for label in order)

    y_title = AXIS_TITLES.get(chart.unit, chart.unit.replace("_", " ").capitalize())
    y_scale: dict = (
        {"zero": False} if domain is None else {"clamp": True, "domain": list(domain), "nice": False, "zero": False}
    )
    layers: list[dict] = []
    if rects:
        shown = [z for z in ZONE_COLOURS if any(r["zone"] == z for r in rects)]
        layers.append(
            {
                "data": {"values": rects},
                "mark": {"type": "rect", "opacity": 0.9},
                "encoding": {
                    "fill": {
                        "field": "zone",
                        "legend": {"labelExpr": "datum.label + ' zone'", "orient": "top", "symbolType": "square", "title": None},
                        "scale": {"domain": shown, "range": [ZONE_COLOURS[z] for z in shown]},
                        "type": "nominal",
                    },
                    "x": {
                        "axis": {"labelAngle": 0, "labelOverlap": True},
                        "bandPosition": 0,
                        "field": "month",
                        "scale": {"domain": months, "paddingInner": 0, "paddingOuter": 0},
                        "sort": order,
                        "title": None,
                        "type": "ordinal",
                    },
                    "x2": {"bandPosition": 1, "field": "end"},
                    "y": {"field": "low", "scale": y_scale, "title": y_title, "type": "quantitative"},
                    "y2": {"field": "high"},
                },
            }
        )
    encoding = {
        "color": {
            "field": "series",
            "legend": {"labelLimit": 0, "orient": "bottom", "symbolType": "stroke", "title": None},
            "scale": {"domain": series_names, "range": colours},
            "type": "nominal",
        },
        "strokeDash": {"field": "series", "legend": None, "scale": {"domain": series_names, "range": dashes}, "type": "nominal"},
        "x": {"bandPosition": 0.5, "field": "month", "sort": order, "title": None, "type": "ordinal"},
        "y": {"field": "value", "scale": y_scale, "title": y_title, "type": "quantitative"},
    }
    # The target holds from one month to the next and changes at milestones: steps.
    for mark, keep in (
        ({"type": "line", "interpolate": "step", "strokeWidth": 2}, "(datum.series === 'Target')"),
        ({"type": "line", "interpolate": "linear", "strokeWidth": 2}, "(datum.series !== 'Target')"),
        ({"type": "point", "filled": True, "size": 36}, "(datum.series === 'Actual')"),
    ):
        layers.append({"data": {"values": rows}, "mark": mark, "encoding": encoding, "transform": [{"filter": keep}]})
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "config": {
            "font": FONT_STACK,
            "axis": {"labelFontSize": 12, "titleFontSize": 12},
            # At most three keys across, the zones' above the plot and the lines' below it,
            # so no legend is wider than the plot and nothing is cropped.
            "legend": {"labelFontSize": 12, "columns": 3},
            "view": {"stroke": None},
        },
        "layer": layers,
        "height": chart.height,
        "width": chart.width,
    }


_SVG_CACHE: OrderedDict[str, str] = OrderedDict()
_SVG_CACHE_LOCK = threading.Lock()
_SVG_CACHE_SIZE = 512
_ARIA = re.compile(r'\s(?:role|aria-[a-z]+)="[^"]*"')
# Vega writes a background and a foreground path for every group; with no fill or stroke of
# their own (the root group's fill is none) they draw nothing, and pointer events mean
# nothing on paper or in an image. Groups with only a class (no stylesheet reads Vega's
# classes) or no attributes, or moved by nothing, group nothing; opacity 1 is the default.
# Leaving them out keeps the picture exactly as it was and spares every reader (WeasyPrint
# above all) half of the elements.
_NO_OP_PATH = re.compile(
    r'<path class="(?:background|foreground)"(?: d="[^"]*")?(?: pointer-events="none")?'
    r'(?: display="none")?(?: opacity="1")?/>'
)
_NO_OP_ATTRIBUTES = re.compile(r' pointer-events="none"| opacity="1"(?=[ />])')
_GROUP_TAG = re.compile(r"<g(?:\s[^>]*)?/>|<g(?:\s[^>]*)?>|</g>")
_NO_OP_GROUP = re.compile(r'<g(?: class="[^"]*"| transform="translate\(0,0\)")?>')


def _lean_svg(raw: str) -> str:
    """Vega's SVG without the elements that draw nothing (see ``_NO_OP_PATH``): the same picture."""
    svg = _NO_OP_ATTRIBUTES.sub("", _NO_OP_PATH.sub("", raw))
    out: list[str] = []
    kept: list[bool] = []  # for each open <g>: whether its tag was written
    at = 0
    for match in _GROUP_TAG.finditer(svg):
        out.append(svg[at : match.start()])
        at = match.end()
        tag = match.group()
        if tag.endswith("/>"):
            continue  # an empty group draws nothing
        if tag == "</g>":
            if kept.pop():
                out.append(tag)
        else:
            bare = _NO_OP_GROUP.fullmatch(tag) is not None
            kept.append(not bare)
            if not bare:
                out.append(tag)
    out.append(svg[at:])
    return "".join(out)


def measure_chart_svg(chart: MeasureChart) -> str:
    """The chart as an accessible SVG string (``role="img"`` with a title and description)."""
    key = chart.cache_key()
    with _SVG_CACHE_LOCK:
        cached = _SVG_CACHE.get(key)
        if cached is not None:
            _SVG_CACHE.move_to_end(key)
            return cached
    import vl_convert as vlc

    register_chart_fonts()
    raw = vlc.vegalite_to_svg(measure_chart_spec(chart))
    # The whole picture is one image with a text alternative; its parts carry no roles.
    raw = _lean_svg(_ARIA.sub("", raw))
    ident = "chart-" + key[:12]
    description = describe_measure_chart(chart)
    raw = raw.replace(
        "<svg ",
        f'<svg role="img" aria-labelledby="{ident}-t {ident}-d" focusable="false" ',
        1,
    )
    head_end = raw.index(">") + 1
    svg = (
        raw[:head_end]
        + f'<title id="{ident}-t">{escape(chart.title)}</title>'
        + f'<desc id="{ident}-d">{escape(description)}</desc>'
        + raw[head_end:]
    )
    with _SVG_CACHE_LOCK:
        _SVG_CACHE[key] = svg
        while len(_SVG_CACHE) > _SVG_CACHE_SIZE:
            _SVG_CACHE.popitem(last=False)
    return svg


_PNG_CACHE: OrderedDict[tuple[str, int], bytes] = OrderedDict()
_PNG_CACHE_SIZE = 128
"""PNGs are larger than SVGs (about 35 kB each): enough for the charts of a plan of 128
measures, drawn ahead of its Word report."""


def measure_chart_png(chart: MeasureChart, scale: int = 2) -> bytes:
    """The chart as a PNG picture at ``scale`` times its size (for Word, which takes no
    SVG); cached per input like :func:`measure_chart_svg`, so charts drawn ahead of a
    report (one by one, to show progress) are not drawn again; a chart already drawn as SVG
    (for the PDF or a page) is rasterised from it rather than laid out again."""
    key = (chart.cache_key(), scale)
    with _SVG_CACHE_LOCK:
        cached = _PNG_CACHE.get(key)
        if cached is not None:
            _PNG_CACHE.move_to_end(key)
            return cached
    import vl_convert as vlc

    register_chart_fonts()
    with _SVG_CACHE_LOCK:
        svg = _SVG_CACHE.get(chart.cache_key())
    # The same picture either way, byte for byte: from the SVG already drawn when there is
    # one (rasterising is a third of the work), else straight from the spec.
    png = bytes(vlc.svg_to_png(svg, scale=scale) if svg is not None else vlc.vegalite_to_png(measure_chart_spec(chart), scale=scale))
    with _SVG_CACHE_LOCK:
        _PNG_CACHE[key] = png
        while len(_PNG_CACHE) > _PNG_CACHE_SIZE:
            _PNG_CACHE.popitem(last=False)
    return png


def describe_measure_chart(chart: MeasureChart) -> str:
    """A sentence or two saying what the chart shows, for people who cannot see it."""
    shown = [p for p in chart.points if _finite(p.value)]
    if not shown:
        return f"{chart.title}: no values recorded for the months shown."
    fmt = lambda v: format_number(v, chart.decimals, chart.unit)  # noqa: E731
    first, last = shown[0], shown[-1]
    parts = [
        f"{chart.title}, {first.label} to {last.label}: "
        f"from {fmt(first.value)} to {fmt(last.value)}."
    ]
    values = [p.value for p in shown if p.value is not None]
    parts.append(f"Lowest {fmt(min(values))}, highest {fmt(max(values))}.")
    if _finite(last.target):
        parts.append(f"Target in {last.label}: {fmt(last.target)}.")
    if last.green is not None and last.amber is not None:
        parts.append(zones_in_words(last, fmt))
    for name, value in sorted(chart.benchmarks.items()):
        if _finite(value):
            parts.append(f"{name}: {fmt(value)}.")
    return " ".join(parts)


def zones_in_words(point: ChartPoint, fmt: Callable[[float | None], str]) -> str:
    """The zones of one month in words: "Green at or above 85.0%; Amber from 80.0% up to
    the target; Red below 80.0%" (the rating rule, read one-sided where it is one-sided)."""
    assert point.green is not None and point.amber is not None
    (g_low, g_high), (a_low, a_high) = point.green, point.amber
    if g_high is None and g_low is not None:
        green = f"Green at or above {fmt(g_low)}"
    elif g_low is None and g_high is not None:
        green = f"Green at or below {fmt(g_high)}"
    else:
        green = f"Green from {fmt(g_low)} to {fmt(g_high)}"
    amber = []
    if g_low is not None and a_low != g_low:
        amber.append(f"from {fmt(a_low)} up to {fmt(g_low)}" if a_low is not None else f"below {fmt(g_low)}")
    if g_high is not None and a_high != g_high:
        amber.append(f"above {fmt(g_high)} up to {fmt(a_high)}" if a_high is not None else f"above {fmt(g_high)}")
    red = [f"below {fmt(a_low)}" if a_low is not None else "", f"above {fmt(a_high)}" if a_high is not None else ""]
    red = [r for r in red if r]
    text = green
    if amber:
        text += "; Amber " + " and ".join(amber)
    if red:
        text += "; Red " + " or ".join(red)
    return text + "."


def sparkline_svg(
    values: Sequence[float | None],
    labels: Sequence[str] | None = None,
    *,
    title: str = "Trend",
    decimals: int = 1,
    unit: str = "",
    width: int = 96,
    height: int = 24,
) -> str:
    """A small trend line; gaps where a month has no value. Has a text alternative."""
    labels = list(labels) if labels is not None else [str(i + 1) for i in range(len(values))]
    points = [(i, v) for i, v in enumerate(values) if _finite(v)]
    text = ", ".join(
        f"{labels[i]} {format_number(v, decimals, unit)}" for i, v in points
    ) or "no values"
    alt_text = f"{title}: {text}"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="journey-sparkline" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" focusable="false">'
        f"<title>{escape(alt_text)}</title>"
    )
    if not points:
        return head + "</svg>"
    numbers = [float(v) for _, v in points if v is not None]
    low, high = min(numbers), max(numbers)
    span = high - low or 1.0
    pad = 3.0
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        y = height - pad - (v - low) / span * (height - 2 * pad) if high != low else height / 2
        return pad + i * step, y

    segments: list[list[tuple[float, float]]] = []
    previous = None
    for i, v in points:
        if previous is None or i != previous + 1:
            segments.append([])
        segments[-1].append(xy(i, float(v)))  # type: ignore[arg-type]
        previous = i
    body = ""
    for segment in segments:
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
        body += (
            f'<polyline fill="none" stroke="{ACTUAL_COLOUR}" stroke-width="1.5" '
            f'points="{coords}"/>'
        )
    lx, ly = segments[-1][-1]
    body += f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="2.5" fill="{ACTUAL_COLOUR}"/>'
    return head + body + "</svg>"
