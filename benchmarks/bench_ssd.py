"""Loading a council from the Standard Safeguarding Dataset in PostgreSQL.

Writes the synthetic council (``--population`` children aged 0-17, April 2020 to July 2023)
as SSD tables into a PostgreSQL database made for the run, then times what
``journey data load --from-db`` does: read the tables in one read-only transaction into
the SSD files, and check them into canonical tables (every business rule). The database
is dropped afterwards. Results: ``benchmarks/results/ssd.json``.

    python benchmarks/bench_ssd.py [POPULATION ...]   (server: $JOURNEY_BENCH_POSTGRES)
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from journey.engine.casedata import synth
from journey.engine.casedata.load import read_files
from journey.engine.casedata.ssd_db import database_url, read_ssd_database, write_ssd_database

DEFAULT_ARGS = [300000]
SERVER = os.environ.get("JOURNEY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
RESULTS = Path(__file__).parent / "results" / "ssd.json"


def run(population: int) -> dict[str, object]:
    name = f"ssd_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url(f"{SERVER}/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        council = synth.synth_case_data(synth.DEFAULT_PROFILE, population, "2020-04", "2023-07", 7)
        url = f"{SERVER}/{name}"
        started = time.perf_counter()
        written = write_ssd_database(council, url, schema="ssd")
        write_s = time.perf_counter() - started
        started = time.perf_counter()
        read = read_ssd_database(url, schema="ssd")
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        extract, report = read_files(read.files, as_at=council.as_at)
        check_s = time.perf_counter() - started
        assert report.ok, report.render_text()[:2000]
        return {
            "population": population,
            "ssd_rows": sum(written.values()),
            "children": read.rows.get("ssd_person", 0),
            "write_seconds": round(write_s, 1),
            "read_seconds": round(read_s, 1),
            "check_seconds": round(check_s, 1),
            "load_seconds": round(read_s + check_s, 1),
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load_average": [round(x, 1) for x in os.getloadavg()],
        }
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    runs = [run(int(p)) for p in (sys.argv[1:] or DEFAULT_ARGS)]
    rows = "\n".join(
        f"| {r['population']:,} | {r['children']:,} | {r['ssd_rows']:,} | {r['read_seconds']} s | {r['check_seconds']} s | **{r['load_seconds']} s** | {r['peak_mib']} MiB | {r['load_average']} |"
        for r in runs
    )
    markdown = (
        "The synthetic council written as SSD tables into PostgreSQL 15 on this machine, then read as "
        "`journey data load --from-db` reads it (one read-only transaction, only the needed columns) and "
        "checked into canonical tables. Target: under 60 s for 300,000 children.\n\n"
        "| children 0-17 | ssd_person rows | SSD rows | read | check | load | peak memory | load average |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---|\n" + rows
    )
    RESULTS.write_text(json.dumps({"title": "Loading from the SSD in PostgreSQL", "markdown": markdown, "runs": runs}, indent=2) + "\n")
    print(markdown)


if __name__ == "__main__":
    main()
