"""Time to build the monthly board pack: a 30-measure plan, PDF with a chart per measure.

    python benchmarks/bench_reports.py [--measures 30] [--repeat 3] [--baseline SRC]

The plan is the example plan (``examples/plan.yaml``, an invented council) cut to
``--measures`` measures, with 15 months of synthetic figures, breakdowns and a Latest
figure, and approved narrative for every measure. Each run is a fresh process (so chart
caches are cold, as for a real build): assemble, then render the PDF (charts, layout,
tagged PDF/UA-1 writing). Word and Excel are timed as well. The target is under 15 s
wall-clock for the PDF; CPU time and the load average are recorded beside it, since the
development machine is shared.

Results go to ``benchmarks/results/reports.json``; ``benchmarks/run.py`` puts the summary
into ``docs/performance.md``. ``--baseline SRC`` builds the PDF with another checkout's
``src`` folder too, alternately with this one, so both see the same load.
A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
TARGET_SECONDS = 15.0
DEFAULT_ARGS: list[str] = []


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _inputs(measures: int) -> Any:
    """The example plan cut to ``measures`` measures, its synthetic figures and narrative."""
    sys.path.insert(0, str(ROOT))
    from tests.engine.reports.synthetic import (
        EXAMPLE_PLAN,
        approved_narrative,
        example_observations,
    )

    from journey.engine.plan import Measure, Plan, parse_plan
    from journey.engine.reports.inputs import ReportInputs

    text = EXAMPLE_PLAN.read_text()
    if "definition" not in Measure.model_fields:  # an older checkout (--baseline): no manual definitions yet
        text = re.sub(r"(?m)^( +)definition:.*\n(?:\1 +\S.*\n)*", "", text)
    full = parse_plan(text, "plan.yaml")
    kept: list[str] = [m.id for m in full.measures][:measures]
    data = full.model_dump()
    for priority in data["priorities"]:
        priority["measures"] = [m for m in priority["measures"] if m["id"] in kept]
        for action in priority["actions"]:
            action["measures"] = [x for x in action["measures"] if x in kept]
    plan = Plan.model_validate(data)
    observations = example_observations(plan)
    return ReportInputs(plan=plan, observations=observations, period="2024-06", narrative=approved_narrative(plan))


def child(measures: int, fmt: str) -> dict:
    """One build in this process: the figures, then the timed assemble and render."""
    from journey.engine.reports import renderers
    from journey.engine.reports.assemble import assemble

    inputs = _inputs(measures)
    # Imports (WeasyPrint, python-docx) are not part of a build: a server has them loaded.
    renderers.get(fmt)
    if fmt == "pdf":
        import weasyprint  # noqa: F401
    elif fmt == "docx":
        import docx  # noqa: F401

    wall, cpu = time.perf_counter(), _cpu()
    report = assemble("monthly", inputs)
    assembled = time.perf_counter() - wall
    content = renderers.render(report, fmt)
    seconds = time.perf_counter() - wall
    pages = None
    if fmt == "pdf":
        import io

        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(content)).pages)
    return {
        "format": fmt,
        "measures": len(inputs.plan.measures),
        "seconds": round(seconds, 2),
        "assemble_seconds": round(assembled, 2),
        "cpu_seconds": round(_cpu() - cpu, 2),
        "bytes": len(content),
        "pages": pages,
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def _label(src: Path) -> str:
    """The commit a ``src`` folder is at (``+`` when changed since), else the folder."""
    done = subprocess.run(  # noqa: S603
        ["git", "-C", str(src), "describe", "--always", "--dirty=+", "--exclude=*"],  # noqa: S607
        check=False, capture_output=True, text=True,
    )
    return done.stdout.strip() or str(src)


def steps(measures: int) -> dict:
    """CPU seconds of each step of one PDF build, taken one at a time in this process (the
    real build draws the charts on another thread while WeasyPrint lays the pages out)."""
    import weasyprint

    from journey.engine.charts import measure_chart_svg
    from journey.engine.reports.assemble import assemble
    from journey.engine.reports.model import ChartBlock
    from journey.engine.reports.renderers.html import report_html
    from journey.engine.reports.renderers.pdf import PDF_OPTIONS, chart_fetcher

    inputs = _inputs(measures)
    out: dict[str, float] = {}
    started = _cpu()
    report = assemble("monthly", inputs)
    out["assemble"] = _cpu() - started
    started = _cpu()
    for block in report.all_blocks():
        if isinstance(block, ChartBlock):
            measure_chart_svg(block.chart)
    out["charts"] = _cpu() - started
    started = _cpu()
    html = weasyprint.HTML(string=report_html(report, "print"), base_url=None, media_type="print", url_fetcher=chart_fetcher(report))
    out["html"] = _cpu() - started
    started = _cpu()
    document = html.render(**PDF_OPTIONS)
    out["layout"] = _cpu() - started
    started = _cpu()
    document.write_pdf(**PDF_OPTIONS)
    out["drawing"] = _cpu() - started
    return {k: round(v, 2) for k, v in out.items()}


HOW_IT_STAYS_FAST = (
    "What keeps the build quick, found by profiling it (pyinstrument, cProfile): each chart's Vega-Lite "
    "spec is written as plain data (Altair's object model took 40 ms a chart, more than drawing it); a "
    "chart's Green, Amber and Red zones are one rectangle per zone for each run of months that share them "
    "(not one per month, which also leaves no faint seams between months); Vega's SVG is written without the elements that draw nothing (empty backgrounds, "
    "hidden foregrounds, class-only groups, default opacities): fewer than half the elements for WeasyPrint to "
    "draw, pixel for pixel the same pages; the charts are drawn on another thread (vl-convert works "
    "outside Python's lock) while WeasyPrint lays the pages out, each chart once per build (cached by its "
    "content). What is left is WeasyPrint itself: laying out the text and tables, drawing chart text "
    "letter by letter, writing the tagged PDF. The one-page summary fits on its first layout with the "
    "example plan (a tighter setting is tried only when it runs over)."
)

STEP_WORDS = {
    "assemble": "the report assembled from the figures",
    "charts": "charts drawn (Vega-Lite to SVG)",
    "html": "the page written and parsed",
    "layout": "pages laid out (WeasyPrint)",
    "drawing": "pages drawn and written, charts included (tagged PDF)",
}


def run_child(measures: int, fmt: str, src: Path = ROOT / "src") -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
    done = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", fmt, "--measures", str(measures)],
        capture_output=True, text=True, check=True, env=env,
    )
    return {"code": _label(src), **json.loads(done.stdout.strip().splitlines()[-1])}


def run_steps(measures: int, src: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
    done = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--steps", "--measures", str(measures)],
        capture_output=True, text=True, check=True, env=env,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def markdown(result: dict) -> str:
    rows = ["| code | format | measures | pages | wall (s) | CPU (s) | size | load average |", "|---|---|---|---|---|---|---|---|"]
    for run in result["runs"]:
        rows.append(
            f"| {run.get('code', '')} | {run['format']} | {run['measures']} | {run['pages'] or ''} | {run['seconds']} "
            f"| {run['cpu_seconds']} | {run['bytes'] / 1e6:.1f} MB | {run['load_average'][0]} |"
        )
    best = result["pdf_best_seconds"]
    verdict = "meets" if best < TARGET_SECONDS else "misses"
    parts = []
    if result.get("steps"):
        codes = list(result["steps"])
        parts += [
            "",
            "Where the CPU time of one PDF build goes, each step taken alone (CPU seconds; in a real "
            "build the charts are drawn on another thread while the pages are laid out):",
            "",
            "| step | " + " | ".join(codes) + " |",
            "|---|" + "---:|" * len(codes),
            *(
                f"| {words} | " + " | ".join(str(result["steps"][c].get(step, "")) for c in codes) + " |"
                for step, words in STEP_WORDS.items()
            ),
            "| all | " + " | ".join(f"{sum(result['steps'][c].values()):.2f}" for c in codes) + " |",
        ]
    parts += ["", HOW_IT_STAYS_FAST]
    return "\n".join(
        [
            f"Monthly board pack, {result['measures']} measures with a chart each, built in a fresh process "
            f"(cold chart cache; the libraries already imported, as in a running server). Best PDF build "
            f"{best} s wall-clock, {result['pdf_best_cpu_seconds']} s CPU "
            f"(median {result['pdf_median_seconds']} s wall-clock, {result['pdf_median_cpu_seconds']} s CPU): "
            f"{verdict} the {TARGET_SECONDS:.0f} s target with the best run. Python {result['machine']['python']}, "
            f"{result['machine']['cpus']} CPUs shared with other work (see the load average)."
            + (
                f" Another checkout ({result['baseline']['code']}, marked 'before') built alternately with it: "
                f"median {result['baseline']['median_seconds']} s wall-clock, {result['baseline']['median_cpu_seconds']} s CPU."
                if result.get("baseline") else ""
            ),
            "",
            *rows,
            *parts,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measures", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--steps", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--baseline", type=Path, help="another checkout's src folder, measured alternately")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.measures, args.child)))
        return
    if args.steps:
        print(json.dumps(steps(args.measures)))
        return
    runs, before = [], []
    for _ in range(args.repeat):
        runs.append(run_child(args.measures, "pdf"))
        if args.baseline:
            before.append({**run_child(args.measures, "pdf", args.baseline.resolve()), "before": True})
            before[-1]["code"] += " (before)"
    pdf = list(runs)
    runs += before
    runs += [run_child(args.measures, fmt) for fmt in ("docx", "html", "xlsx")]
    best = min(pdf, key=lambda r: r["seconds"])
    result = {
        "title": "Reports: the monthly board pack",
        "measures": args.measures,
        "target_seconds": TARGET_SECONDS,
        "pdf_best_seconds": best["seconds"],
        "pdf_best_cpu_seconds": best["cpu_seconds"],
        "pdf_median_seconds": statistics.median(r["seconds"] for r in pdf),
        "pdf_median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in pdf),
        "baseline": {
            "code": before[0]["code"].removesuffix(" (before)"),
            "median_seconds": statistics.median(r["seconds"] for r in before),
            "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in before),
        } if before else None,
        "runs": runs,
        "steps": {
            _label(src) + (" (before)" if src != ROOT / "src" else ""): run_steps(args.measures, src)
            for src in [ROOT / "src", *([args.baseline.resolve()] if args.baseline else [])]
        },
        "machine": {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()},
    }
    result["markdown"] = markdown(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reports.json").write_text(json.dumps(result, indent=2) + "\n")
    print(result["markdown"])


if __name__ == "__main__":
    main()
