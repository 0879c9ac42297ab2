"""Loading a council from the Standard Safeguarding Dataset in PostgreSQL.

Writes the synthetic council (``--population`` children aged 0-17, April 2020 to July 2023)
as SSD tables into a PostgreSQL database made for the run, then times what
``journey data load --from-db`` does: read the tables in one read-only transaction into
the SSD files, and check them into canonical tables (every business rule). Each
measurement runs in a fresh process. The database is dropped afterwards. Results:
``benchmarks/results/ssd.json``.

The machine is shared, so wall-clock time swings with the load: CPU time (this process,
all threads; the database server's work is in the read's wall-clock time only) and the
load average are recorded beside it. ``--baseline SRC`` measures another checkout's
``src`` folder (e.g. ``git worktree add /tmp/before <commit>``) against the same database,
runs alternating, so before and after are compared in the same conditions.

    python benchmarks/bench_ssd.py [POPULATION ...] [--baseline SRC] [--repeat N]
    (server: $JOURNEY_BENCH_POSTGRES)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa

DEFAULT_ARGS = [300000]
SERVER = os.environ.get("JOURNEY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
RESULTS = Path(__file__).parent / "results" / "ssd.json"
SRC = Path(__file__).resolve().parent.parent / "src"


def measure(url: str, as_at: date) -> dict[str, object]:
    """One load, timed (run in a fresh process by :func:`run`)."""
    from journey.engine.casedata.load import read_files
    from journey.engine.casedata.ssd_db import read_ssd_database

    load_before = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    read = read_ssd_database(url, schema="ssd")
    read_s, read_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    _, report = read_files(read.files, as_at=as_at)
    check_s, check_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert report.ok, report.render_text()[:2000]
    return {
        "children": read.rows.get("ssd_person", 0),
        "read_seconds": round(read_s, 1),
        "read_cpu_seconds": round(read_cpu, 1),
        "check_seconds": round(check_s, 1),
        "check_cpu_seconds": round(check_cpu, 1),
        "load_seconds": round(read_s + check_s, 1),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


def _measured(url: str, as_at: date, src: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--measure", url, "--as-at", as_at.isoformat()],
        env=env, check=True, capture_output=True, text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _label(src: Path) -> str:
    """The commit a ``src`` folder is at (``+`` when changed since), else the folder."""
    done = subprocess.run(  # noqa: S603
        ["git", "-C", str(src), "describe", "--always", "--dirty=+", "--exclude=*"],  # noqa: S607
        check=False, capture_output=True, text=True,
    )
    return done.stdout.strip() or str(src)


def run(population: int, baseline: Path | None, repeat: int) -> list[dict[str, object]]:
    from journey.engine.casedata import synth
    from journey.engine.casedata.ssd_db import database_url, write_ssd_database

    name = f"ssd_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url(f"{SERVER}/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        council = synth.synth_case_data(synth.DEFAULT_PROFILE, population, "2020-04", "2023-07", 7)
        assert council.as_at is not None
        url = f"{SERVER}/{name}"
        started = time.perf_counter()
        written = write_ssd_database(council, url, schema="ssd")
        write_s = time.perf_counter() - started
        codes = [(_label(SRC), SRC)] + ([(f"{_label(baseline)} (before)", baseline)] if baseline else [])
        runs = []
        for _ in range(repeat):
            for label, src in codes:
                result = _measured(url, council.as_at, src)
                runs.append({"code": label, "population": population, "ssd_rows": sum(written.values()),
                             "write_seconds": round(write_s, 1), **result})
                print(json.dumps(runs[-1]), flush=True)
        return runs
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("population", nargs="*", type=int, default=DEFAULT_ARGS)
    parser.add_argument("--baseline", type=Path, help="another checkout's src folder, measured alternately")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--as-at", type=date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.as_at)))
        return
    runs = [r for p in args.population for r in run(p, args.baseline, args.repeat)]
    rows = "\n".join(
        f"| {r['code']} | {r['population']:,} | {r['children']:,} | {r['ssd_rows']:,} | {r['read_seconds']} s ({r['read_cpu_seconds']}) "
        f"| {r['check_seconds']} s ({r['check_cpu_seconds']}) | **{r['load_seconds']} s** | {r['peak_mib']} MiB | {r['load_average']} |"
        for r in runs
    )
    markdown = (
        "The synthetic council written as SSD tables into PostgreSQL on this machine, then read as "
        "`journey data load --from-db` reads it (one read-only transaction, only the needed columns, through ADBC: "
        "PostgreSQL's binary COPY into Arrow) and checked into canonical tables, each load in a fresh process. "
        "Target: under 60 s for 300,000 children. CPU seconds (this process, all threads) in brackets; the database "
        "server's own work shows only in the read's wall-clock time. Load average before and after.\n\n"
        "| code | children 0-17 | ssd_person rows | SSD rows | read (CPU) | check (CPU) | load | peak memory | load average |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---|\n" + rows
    )
    RESULTS.write_text(json.dumps({"title": "Loading from the SSD in PostgreSQL", "markdown": markdown, "runs": runs}, indent=2) + "\n")
    print(markdown)


if __name__ == "__main__":
    main()
