"""Time and peak memory of the measure library at scale, beside a pandas baseline.

    python benchmarks/bench_measures.py [33000 300000 12000000] [--data DIR]
                                        [--pandas-max 300000]

For each population of children aged 0-17 (a synthetic council from
``journey.engine.casedata.synth``, 40 months April 2020 - July 2023, generated once into
``--data``, default ``var/bench-data``; generation is not timed), each in a fresh process
so its peak resident memory is its own:

* **library, all measures** — every measure in the library, every month, financial year
  to date, rolling 12 months and latest, every breakdown;
* **library, all measures overall** — the same without breakdowns (a board pack's figures);
* **library, five core measures** — CLA and CP plans at month end, re-referrals,
  assessments within 45 working days, 3+ placements: in-month, overall;
* **pandas, five core measures** — ``benchmarks/pandas_baseline.py`` (loops over months,
  row-wise apply), for populations up to ``--pandas-max``; its answers are compared with
  the library's (they must be identical).

Results go to ``benchmarks/results/measures.json``; ``benchmarks/run.py`` puts the
summary into ``docs/performance.md``. A measurement, not a test: nothing fails on a slow
number (a disagreement with pandas is reported, and exits non-zero).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
FIRST, LAST = "2020-04", "2023-07"
DEFAULT_CASES = (33_000, 300_000, 12_000_000)
#: Arguments benchmarks/run.py passes (none: the defaults above).
DEFAULT_ARGS: list[str] = []


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _data_dir(base: Path, population: int) -> Path:
    return base / f"synth_{population}"


def ensure_data(base: Path, population: int) -> Path:
    out = _data_dir(base, population)
    if (out / "extract.json").exists():
        return out
    from journey.engine.casedata.synth import synth_to_parquet

    print(f"  generating a synthetic council of {population:,} children into {out} ...", flush=True)
    started = time.perf_counter()
    synth_to_parquet(None, population, FIRST, LAST, 7, out)
    print(f"  generated in {time.perf_counter() - started:.0f}s", flush=True)
    return out


def child(kind: str, data: Path, out: Path) -> dict[str, object]:
    """Run one timing in this (fresh) process."""
    from journey.engine.casedata.synth import read_parquet_extract

    extract = read_parquet_extract(data)
    started, cpu0 = time.perf_counter(), _cpu()
    if kind in ("library_all", "library_overall"):
        from journey.engine.measures import compute

        result = compute(extract, FIRST, LAST, breakdowns=None if kind == "library_all" else [])
        rows = result.height
        measures = result["measure_id"].n_unique()
    elif kind == "library_core":
        from journey.engine.measures import compute

        sys.path.insert(0, str(Path(__file__).parent))
        import pandas_baseline

        result = compute(extract, FIRST, LAST, list(pandas_baseline.MEASURES), breakdowns=[], period_types=["month"])
        result.select("measure_id", "period", "value", "numerator", "denominator").write_parquet(out)
        rows, measures = result.height, len(pandas_baseline.MEASURES)
    elif kind == "pandas_core":
        sys.path.insert(0, str(Path(__file__).parent))
        import pandas_baseline

        # Reading the tables into pandas is the baseline's own cost, as it would be for a council.
        tables = {
            name: extract.tables[name].drop("_flagged").collect().to_pandas()
            for name in ("cla_episodes", "cp_plans", "referrals", "assessments")
        }
        frame = pandas_baseline.compute(tables, FIRST, LAST)
        frame.to_parquet(out)
        rows, measures = len(frame), len(pandas_baseline.MEASURES)
    else:
        raise ValueError(kind)
    return {
        "kind": kind,
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(_cpu() - cpu0, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rows": rows,
        "measures": measures,
    }


def _run_child(kind: str, data: Path, out: Path) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", kind, "--data", str(data), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if done.returncode != 0:
        return {"kind": kind, "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _compare(library: Path, pandas_out: Path) -> dict[str, object]:
    import polars as pl

    a = pl.read_parquet(library).sort("measure_id", "period")
    b = pl.from_pandas(__import__("pandas").read_parquet(pandas_out)).sort("measure_id", "period")
    b = b.with_columns(pl.col("denominator").cast(pl.Float64))
    same_shape = a.shape == b.shape
    diffs = 0
    if same_shape:
        for col in ("value", "numerator", "denominator"):
            x, y = a[col], b[col]
            both_null = x.is_null() & y.is_null()
            close = ((x - y).abs() <= 1e-9).fill_null(False)
            diffs += int((~(both_null | close)).sum())
    return {"identical": same_shape and diffs == 0, "figures": a.height, "differences": diffs}


def bench(populations: list[int], base: Path, pandas_max: int) -> dict[str, object]:
    RESULTS.mkdir(exist_ok=True)
    cases = []
    for population in populations:
        print(f"{population:,} children", flush=True)
        data = ensure_data(base, population)
        work = base / f"out_{population}"
        work.mkdir(parents=True, exist_ok=True)
        case: dict[str, object] = {"population": population}
        child_rows = json.loads((data / "extract.json").read_text())
        case["extract"] = {k: child_rows.get(k) for k in ("first_month", "last_month", "as_at", "chunks")}
        for kind in ("library_all", "library_overall", "library_core"):
            case[kind] = _run_child(kind, data, work / f"{kind}.parquet")
            print(f"  {kind}: {case[kind]}", flush=True)
        if population <= pandas_max:
            case["pandas_core"] = _run_child("pandas_core", data, work / "pandas_core.parquet")
            print(f"  pandas_core: {case['pandas_core']}", flush=True)
            if "error" not in case["pandas_core"] and "error" not in case["library_core"]:
                case["agreement"] = _compare(work / "library_core.parquet", work / "pandas_core.parquet")
                lib = float(case["library_core"]["seconds"])  # type: ignore[index]
                pan = float(case["pandas_core"]["seconds"])  # type: ignore[index]
                case["speedup"] = round(pan / lib, 1) if lib else None
                print(f"  agreement: {case['agreement']}, speed-up {case['speedup']}x", flush=True)
        else:
            case["pandas_core"] = {"skipped": f"population above --pandas-max {pandas_max:,}"}
        cases.append(case)
    result = {
        "title": "Measure library",
        "window": f"{FIRST} to {LAST} (40 months)",
        "machine": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 1) for x in os.getloadavg()],
        },
        "cases": cases,
    }
    result["markdown"] = markdown(result)
    return result


def _fmt(entry: object, key: str) -> str:
    if not isinstance(entry, dict):
        return "–"
    if "error" in entry:
        return "error"
    if "skipped" in entry:
        return "not run"
    value = entry.get(key)
    return "–" if value is None else str(value)


def markdown(result: dict) -> str:
    lines = [
        f"Synthetic councils, {result['window']}; {result['machine']['cpus']} CPUs, Python "
        f"{result['machine']['python']}; load average at the end {result['machine']['load_average_at_end']}.",
        "Wall-clock seconds, CPU seconds (all threads) and peak resident memory of a fresh process.",
        "",
        "| children 0-17 | all measures, all breakdowns: s (CPU s) | peak MiB | figures | all measures overall: s (CPU s) | peak MiB | five core: s | pandas five core: s | speed-up | same answers |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for c in result["cases"]:
        la, lo, lc, pc = c.get("library_all"), c.get("library_overall"), c.get("library_core"), c.get("pandas_core")
        agree = c.get("agreement")
        same = "–" if not isinstance(agree, dict) else ("yes" if agree["identical"] else f"NO ({agree['differences']} differ)")
        lines.append(
            f"| {c['population']:,} | {_fmt(la, 'seconds')} ({_fmt(la, 'cpu_seconds')}) | {_fmt(la, 'peak_rss_mib')} | "
            f"{_fmt(la, 'rows')} | {_fmt(lo, 'seconds')} ({_fmt(lo, 'cpu_seconds')}) | {_fmt(lo, 'peak_rss_mib')} | "
            f"{_fmt(lc, 'seconds')} | {_fmt(pc, 'seconds')} | "
            f"{c.get('speedup') or '–'}{'x' if c.get('speedup') else ''} | {same} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("populations", nargs="*", type=int, default=None)
    parser.add_argument("--data", type=Path, default=ROOT / "var" / "bench-data")
    parser.add_argument("--pandas-max", type=int, default=300_000)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data, args.out)))
        return
    populations = args.populations or [int(x) for x in os.environ.get("JOURNEY_BENCH_CASES", "").split(",") if x] or list(DEFAULT_CASES)
    result = bench(populations, args.data, args.pandas_max)
    # Keep earlier results for populations not run this time.
    path = RESULTS / "measures.json"
    if path.exists():
        try:
            earlier = json.loads(path.read_text()).get("cases", [])
        except (OSError, json.JSONDecodeError, AttributeError):
            earlier = []
        kept = [c for c in earlier if isinstance(c, dict) and c.get("population") not in populations]
        result["cases"] = sorted(kept + result["cases"], key=lambda c: c["population"])
        result["markdown"] = markdown(result)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(result["markdown"])
    if any(isinstance(c.get("agreement"), dict) and not c["agreement"]["identical"] for c in result["cases"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
