"""A realistic synthetic council: children's journeys through social care as canonical tables.

Invented children (no real person's data) move through contacts, referrals (some
re-referred), assessments, strategy discussions and section 47 enquiries, initial
conferences, child protection and child in need plans with reviews and visits, periods
of care (SSDA903 episodes with legal statuses, placements, providers, moves, short
breaks, reviews and visits) and leaving care; a workforce of teams by service with
permanent and agency workers allocates their cases, is supervised and audits case files.
Volumes, timeliness and their improvement over a plan year come from a
:class:`SynthProfile`.

Everything is vectorised (NumPy and Polars) and deterministic from the seed. A council
is generated in chunks of children (each a locality with its own teams, from its own
random stream), so a county, a large city or all of England (12 million children as a
stream of chunks) runs in bounded memory:

* :func:`synth_extract` — the tables in memory (tests, demonstrations, small councils);
* :func:`synth_case_data` — the same as an :class:`~journey.engine.casedata.schema.Extract`;
* :func:`synth_to_parquet` — a Parquet file per table per chunk, for big runs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from journey.engine import periods
from journey.engine.casedata import schema
from journey.engine.casedata.schema import FLAG_COLUMN, Extract
from journey.engine.casedata.synth.council import STAGES, generate_chunk
from journey.engine.casedata.synth.problems import KINDS as PROBLEM_KINDS
from journey.engine.casedata.synth.problems import PlantedProblem, plant_problems
from journey.engine.casedata.synth.profile import DEFAULT_PROFILE, PROFILES, SynthProfile

__all__ = [
    "DEFAULT_CHUNK_CHILDREN",
    "DEFAULT_PROFILE",
    "PROBLEM_KINDS",
    "PROFILES",
    "PlantedProblem",
    "SYNTHETIC_LA_CODE",
    "SynthProfile",
    "SynthRun",
    "chunk_populations",
    "plant_problems",
    "population_table",
    "read_parquet_extract",
    "synth_case_data",
    "synth_extract",
    "synth_extract_with_problems",
    "synth_to_parquet",
    "window",
]

#: Children aged 0-17 per chunk (a locality with its own teams).
DEFAULT_CHUNK_CHILDREN = 250_000

#: Called as (message, done, total) while a run progresses.
Progress = Callable[[str, int, int], None]


def window(first_month: str, last_month: str, as_at: date | None = None) -> tuple[date, date]:
    """First day of the window and the extract date (the last month's end unless given)."""
    first = periods.month_start(first_month)
    last = periods.month_end(last_month) if as_at is None else as_at
    if last < first:
        raise ValueError(f"the extract date {last} is before the first month {first_month}")
    return first, last


def chunk_populations(population: int, chunk_children: int = DEFAULT_CHUNK_CHILDREN) -> list[int]:
    """Split a population into near-equal chunks of at most ``chunk_children``."""
    if population <= 0:
        raise ValueError("the population must be a positive number of children")
    if chunk_children <= 0:
        raise ValueError("chunk_children must be positive")
    chunks = max(1, math.ceil(population / chunk_children))
    base, extra = divmod(population, chunks)
    return [base + (1 if i < extra else 0) for i in range(chunks)]


def population_table(
    population: int, first: date, as_at: date, growth: float = 0.004
) -> pl.DataFrame:
    """Mid-year estimates of children aged 0-17 for each year the extract touches (the
    year before the window too, for look-backs); the estimate for ``first``'s financial
    year is ``population``."""
    base_year = periods.financial_year_start_year(first)
    years = list(range(periods.financial_year_start_year(first) - 1, as_at.year + 1))
    values = [round(population * (1 + growth) ** (y - base_year)) for y in years]
    return pl.DataFrame(
        {"year": years, "population_0_17": values}, schema=schema.table("population").polars_schema
    )


def _generate(
    profile: SynthProfile,
    sizes: list[int],
    first: date,
    as_at: date,
    seed: int,
    chunk: int,
    progress: Progress | None,
) -> dict[str, pl.DataFrame]:
    total = len(sizes) * len(STAGES)
    done = chunk * len(STAGES)

    def on_stage(name: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            where = f"chunk {chunk + 1} of {len(sizes)}: " if len(sizes) > 1 else ""
            progress(f"{where}{name}", done, total)

    return generate_chunk(profile, sizes[chunk], first, as_at, seed, chunk, len(sizes), on_stage)


def synth_extract(
    profile: SynthProfile | None = None,
    population: int = 33_000,
    first_month: str = "2020-04",
    last_month: str = "2023-07",
    seed: int = 7,
    *,
    as_at: date | None = None,
    plant: int = 0,
    chunk_children: int = DEFAULT_CHUNK_CHILDREN,
    progress: Progress | None = None,
) -> dict[str, pl.DataFrame]:
    """Every canonical table of a synthetic council, in memory (schema columns and types).

    ``as_at`` is the extract date (default: the end of ``last_month``; a mid-month date
    gives a "latest" extract). ``plant`` plants that many data-quality problems
    (:data:`PROBLEM_KINDS` in turn). Same arguments, same frames."""
    tables, _ = synth_extract_with_problems(
        profile,
        population,
        first_month,
        last_month,
        seed,
        as_at=as_at,
        plant=plant,
        chunk_children=chunk_children,
        progress=progress,
    )
    return tables


def synth_extract_with_problems(
    profile: SynthProfile | None = None,
    population: int = 33_000,
    first_month: str = "2020-04",
    last_month: str = "2023-07",
    seed: int = 7,
    *,
    as_at: date | None = None,
    plant: int = 0,
    chunk_children: int = DEFAULT_CHUNK_CHILDREN,
    progress: Progress | None = None,
) -> tuple[dict[str, pl.DataFrame], list[PlantedProblem]]:
    """As :func:`synth_extract`, also returning the problems planted."""
    profile = profile or DEFAULT_PROFILE
    profile.validate()
    first, last = window(first_month, last_month, as_at)
    sizes = chunk_populations(population, chunk_children)
    parts: list[dict[str, pl.DataFrame]] = []
    for i in range(len(sizes)):
        parts.append(_generate(profile, sizes, first, last, seed, i, progress))
    tables = {
        name: (
            population_table(population, first, last, profile.population_growth)
            if name == "population"
            else pl.concat([p[name] for p in parts])
            if len(parts) > 1
            else parts[0][name]
        )
        for name in schema.SCHEMA
    }
    return plant_problems(tables, plant, seed)


#: The synthetic council's LA code: 999, which no council uses (the example plan's too).
SYNTHETIC_LA_CODE = "999"


def synth_case_data(
    profile: SynthProfile | None = None,
    population: int = 33_000,
    first_month: str = "2020-04",
    last_month: str = "2023-07",
    seed: int = 7,
    *,
    as_at: date | None = None,
    plant: int = 0,
) -> Extract:
    """A synthetic council as an :class:`Extract` (lazy frames with the flag column)."""
    first, last = window(first_month, last_month, as_at)
    tables = synth_extract(
        profile, population, first_month, last_month, seed, as_at=as_at, plant=plant
    )
    return Extract(
        tables={
            n: df.with_columns(pl.lit(False).alias(FLAG_COLUMN)).lazy() for n, df in tables.items()
        },
        as_at=last,
        snapshot=None,
        la_code=SYNTHETIC_LA_CODE,
    )


@dataclass
class SynthRun:
    """What a big run wrote."""

    out_dir: Path
    as_at: date
    chunks: int
    rows: dict[str, int] = field(default_factory=dict)
    planted: list[PlantedProblem] = field(default_factory=list)


def synth_to_parquet(
    profile: SynthProfile | None,
    population: int,
    first_month: str,
    last_month: str,
    seed: int,
    out_dir: str | Path,
    *,
    chunk_children: int = DEFAULT_CHUNK_CHILDREN,
    as_at: date | None = None,
    plant: int = 0,
    progress: Progress | None = None,
) -> SynthRun:
    """Write a synthetic council as Parquet: ``out_dir/<table>/part-NNNNN.parquet`` (one
    file per chunk, written as each chunk is generated, so memory stays bounded by the
    chunk size), ``population/part-00000.parquet`` and ``extract.json``. Problems, when
    planted, are planted in the first chunk."""
    profile = profile or DEFAULT_PROFILE
    profile.validate()
    first, last = window(first_month, last_month, as_at)
    sizes = chunk_populations(population, chunk_children)
    out = Path(out_dir)
    for name in schema.SCHEMA:
        (out / name).mkdir(parents=True, exist_ok=True)
    run = SynthRun(
        out_dir=out, as_at=last, chunks=len(sizes), rows={name: 0 for name in schema.SCHEMA}
    )
    for i in range(len(sizes)):
        tables = _generate(profile, sizes, first, last, seed, i, progress)
        if i == 0 and plant:
            tables["population"] = schema.table("population").empty()
            tables, run.planted = plant_problems(tables, plant, seed)
        for name, df in tables.items():
            if name == "population":
                continue
            df.write_parquet(out / name / f"part-{i:05d}.parquet")
            run.rows[name] += df.height
        del tables
    pop = population_table(population, first, last, profile.population_growth)
    pop.write_parquet(out / "population" / "part-00000.parquet")
    run.rows["population"] = pop.height
    meta = {
        "as_at": last.isoformat(),
        "first_month": first_month,
        "last_month": last_month,
        "population": population,
        "seed": seed,
        "chunks": len(sizes),
        "planted": [p.__dict__ for p in run.planted],
    }
    (out / "extract.json").write_text(json.dumps(meta, indent=2) + "\n")
    return run


def read_parquet_extract(out_dir: str | Path) -> Extract:
    """Read back what :func:`synth_to_parquet` wrote, lazily (scans, nothing loaded)."""
    out = Path(out_dir)
    meta = json.loads((out / "extract.json").read_text())
    tables = {}
    for name, table in schema.SCHEMA.items():
        files = sorted((out / name).glob("*.parquet")) if (out / name).is_dir() else []
        frame = pl.scan_parquet(files) if files else table.empty().lazy()
        tables[name] = frame.select(table.column_names).with_columns(
            pl.lit(False).alias(FLAG_COLUMN)
        )
    return Extract(
        tables=tables, as_at=date.fromisoformat(meta["as_at"]), snapshot=None,
        la_code=SYNTHETIC_LA_CODE,
    )
