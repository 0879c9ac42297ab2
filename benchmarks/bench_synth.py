"""Time and peak memory of the synthetic council at scale (Parquet, chunk by chunk).

    python benchmarks/bench_synth.py 33000 300000 12000000 [--out DIR] [--chunk N]

Each population runs in a fresh process so its peak resident memory is its own. Results
go to ``benchmarks/results/synth.json`` (merged by population with earlier runs), with a
table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
DEFAULT_ARGS = ["33000", "300000", "12000000"]


def one(population: int, out: Path, chunk: int) -> dict[str, object]:
    from journey.engine.casedata.synth import synth_to_parquet

    started = time.perf_counter()
    run = synth_to_parquet(None, population, "2020-04", "2023-07", 7, out, chunk_children=chunk)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kib = usage.ru_maxrss
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    return {
        "population": population,
        "window": "2020-04 to 2023-07",
        "chunk_children": chunk,
        "chunks": run.chunks,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "peak_rss_mib": round(peak_kib / 1024),
        "parquet_mib": round(size / 2**20, 1),
        "rows": run.rows,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("populations", nargs="+", type=int)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="Where to write the Parquet (default: a temporary directory, removed after).",
    )
    parser.add_argument("--chunk", type=int, default=250_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        out = args.out or Path(tempfile.mkdtemp(prefix="synth-bench-"))
        try:
            print(json.dumps(one(args.populations[0], out, args.chunk)))
        finally:
            if args.out is None:
                shutil.rmtree(out, ignore_errors=True)
        return
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "synth.json"
    runs = (
        {r["population"]: r for r in json.loads(path.read_text())["runs"]} if path.exists() else {}
    )
    for population in args.populations:
        cmd = [sys.executable, __file__, str(population), "--child", "--chunk", str(args.chunk)]
        if args.out:
            cmd += ["--out", str(args.out / str(population))]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)  # noqa: S603
        result = json.loads(done.stdout.strip().splitlines()[-1])
        runs[population] = result
        print(
            f"{population:>10,} children: {result['seconds']}s ({result['cpu_seconds']}s CPU, load "
            f"{result['load_average']}), peak {result['peak_rss_mib']} MiB, {result['parquet_mib']} MiB "
            f"Parquet, {result['rows']['children']:,} child records"
        )
        path.write_text(json.dumps(_summary(runs), indent=2) + "\n")


def _or_dash(result: dict[str, object], key: str, unit: str = "") -> str:
    return f"{result[key]}{unit}" if key in result else "—"


def _summary(runs: dict[int, dict[str, object]]) -> dict[str, object]:
    lines = [
        "`journey synth --format parquet`, April 2020 to July 2023, default profile, chunks of "
        "250,000 children, each population in a fresh process.",
        "",
        "| children 0-17 | chunks | wall time | CPU time | load average | peak memory | Parquet | child records | rows in all |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for population in sorted(runs):
        r = runs[population]
        rows = r["rows"]
        assert isinstance(rows, dict)
        lines.append(
            f"| {population:,} | {r['chunks']} | {r['seconds']} s | {_or_dash(r, 'cpu_seconds', ' s')} | "
            f"{_or_dash(r, 'load_average')} | {r['peak_rss_mib']} MiB | {r['parquet_mib']} MiB | "
            f"{rows['children']:,} | {sum(rows.values()):,} |"
        )
    return {
        "title": "Synthetic council",
        "markdown": "\n".join(lines),
        "runs": [runs[p] for p in sorted(runs)],
    }


if __name__ == "__main__":
    main()
