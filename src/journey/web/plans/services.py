"""The plan and its figures in the database, evaluated by the engine.

Views call these functions and render what they return; the rules (validation, RAG,
direction of travel) are the engine's. Parsed plans are cached per sha256 of the plan
text, evaluations per (plan, data version, month), in Django's cache, which every web and
worker process shares (a worker warms it): so a dashboard costs a couple of small queries
once warm. Every key names what the value depends on, so nothing stale is ever read.
"""

from __future__ import annotations

import hashlib
import math
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import polars as pl
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from journey.engine.evaluation import MeasureResult, evaluate_plan, format_value
from journey.engine.observations import SCHEMA, ObservationsError, read_observations
from journey.engine.periods import add_months, is_month, month_range
from journey.engine.plan import Measure, Plan, PlanError, Problem, Unit, parse_plan
from journey.engine.stats.spc import MeasureSpc, measure_spc
from journey.engine.stats.spc import spc_series as engine_spc_series
from journey.web.accounts import audit
from journey.web.plans.models import Observation, ObservationImport, PlanVersion

# ------------------------------------------------------------------------ the cache


def cache_key(kind: str, *parts: Any) -> str:
    """A cache key for ``kind`` of value depending on ``parts`` (versions, ids, months) and
    on the code running: the shared cache outlives a release, and a value pickled by the one
    before (a plan, a page's figures) may lack what this one reads."""
    from journey.web.release import code_version

    digest = hashlib.sha256(repr((code_version(), parts)).encode()).hexdigest()[:40]
    return f"journey:{kind}:{digest}"


def cached(key: str, build: Callable[[], Any]) -> Any:
    """The value under ``key``, built and kept when missing (``None`` is not kept)."""
    value = cache.get(key)
    if value is None:
        value = build()
        if value is not None:
            cache.set(key, value)
    return value


def plan_key(plan: Plan) -> str:
    """What a plan's evaluations depend on: its content (the same plan, the same key, in
    every process)."""
    return hashlib.sha256(plan.model_dump_json().encode()).hexdigest()[:32]


def clear_caches() -> None:
    """Forget parsed plans, evaluations and pages (tests; a changed measure library)."""
    cache.clear()


# ------------------------------------------------------------------------- the plan


class PlanRejected(Exception):
    """The plan text is not valid: nothing was saved. ``problems`` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _library_ids() -> dict[str, frozenset[str]] | None:
    """Measure library ids that ``computed:`` sources may name, once the library exists."""
    try:
        from journey.engine import measures as library
    except ImportError:
        return None
    ids = getattr(library, "library_ids", None)
    return ids() if callable(ids) else None


def parse_plan_text(text: str, filename: str = "plan.yaml") -> Plan:
    """Validate plan text with the engine, cached by its sha256."""
    key = cache_key("plan", _sha256(text.encode("utf-8")))
    plan = cache.get(key)
    if plan is not None:
        return plan
    try:
        plan = parse_plan(text, filename, library_ids=_library_ids())
    except PlanError as error:
        raise PlanRejected(error.problems) from None
    cache.set(key, plan)
    return plan


def active_plan_version() -> PlanVersion | None:
    return PlanVersion.objects.filter(active=True).only("id", "sha256", "filename").first()


def active_plan() -> Plan | None:
    """The plan in force, or ``None`` before any plan has been loaded. One query when warm;
    inside :func:`one_data_version` (a GET or HEAD page), read once per page: a measure page
    asks for it four times. A plan is frozen, so the page's callers cannot change it for
    each other."""
    memo = _ONE_VERSION.get()
    if memo is not None and "plan" in memo:
        return memo["plan"]
    plan = _read_active_plan()
    if memo is not None:
        memo["plan"] = plan
    return plan


def _read_active_plan() -> Plan | None:
    row = PlanVersion.objects.filter(active=True).values_list("sha256", "filename").first()
    if row is None:
        return None
    sha, filename = row
    plan = cache.get(cache_key("plan", sha))
    if plan is not None:
        return plan
    text = PlanVersion.objects.filter(active=True).values_list("text", flat=True).first() or ""
    try:
        return parse_plan_text(text, filename)
    except PlanRejected:
        # A stored version was valid when saved; a stricter engine may now refuse it.
        return None


def active_plan_problems() -> list[Problem]:
    """Why the stored active version cannot be used now (empty when it can, or when none)."""
    version = PlanVersion.objects.filter(active=True).only("text", "filename").first()
    if version is None:
        return []
    try:
        parse_plan_text(version.text, version.filename)
    except PlanRejected as rejected:
        return rejected.problems
    return []


class PlanChanged(Exception):
    """The plan was saved by someone else after this edit began (``current`` is now active)."""

    def __init__(self, based_on: PlanVersion | None, current: PlanVersion | None) -> None:
        super().__init__("The plan has been changed since you started editing it")
        self.based_on = based_on
        self.current = current


def save_plan_version(
    text: str,
    *,
    filename: str,
    user: Any,
    origin: str = PlanVersion.Origin.UPLOAD,
    note: str = "",
    based_on: int | None = None,
) -> tuple[PlanVersion, bool]:
    """Validate ``text`` and make it the active plan. Returns (version, whether it is new).

    Invalid text raises :class:`PlanRejected` and changes nothing. Text identical to the
    active version is not stored again. An edit passes ``based_on``, the version it started
    from (0 when there was none): if another version has become active since, nothing is
    saved and :class:`PlanChanged` says which, so the editor can see what changed.
    """
    text = text.replace("\r\n", "\n")
    parse_plan_text(text, filename)
    sha = _sha256(text.encode("utf-8"))
    with transaction.atomic():
        current = PlanVersion.objects.select_for_update().filter(active=True).first()
        if based_on is not None and (current.pk if current else 0) != based_on:
            raise PlanChanged(PlanVersion.objects.filter(pk=based_on).first(), current)
        if current is not None and current.sha256 == sha:
            return current, False
        PlanVersion.objects.filter(active=True).update(active=False)
        version = PlanVersion.objects.create(
            text=text,
            sha256=sha,
            filename=Path(filename).name[:255] or "plan.yaml",
            origin=origin,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            active=True,
            note=note[:255],
        )
        audit.record(
            user,
            "changed_plan",
            version.filename,
            origin=origin,
            new_sha256=sha,
            old_sha256=current.sha256 if current else "",
            version=version.pk,
        )
    return version, True


def activate_plan_version(version: PlanVersion, user: Any) -> None:
    """Make an earlier version active again (it is re-validated first)."""
    parse_plan_text(version.text, version.filename)
    with transaction.atomic():
        current = PlanVersion.objects.select_for_update().filter(active=True).first()
        if current is not None and current.pk == version.pk:
            return
        PlanVersion.objects.filter(active=True).update(active=False)
        PlanVersion.objects.filter(pk=version.pk).update(active=True)
        audit.record(
            user,
            "restored_plan",
            version.filename,
            version=version.pk,
            new_sha256=version.sha256,
            old_sha256=current.sha256 if current else "",
        )


# ------------------------------------------------------------------- observations

OBSERVATION_COLUMNS = {
    name: dtype for name, dtype in SCHEMA.items() if name not in {"source", "note", "row"}
}
"""The columns of the engine's observations frame, as stored here."""


class ImportRejected(Exception):
    """The observations file cannot be imported: nothing was changed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportResult:
    record: ObservationImport
    rows: int
    created: int
    changed: int
    unchanged: int
    changes: list[dict[str, Any]] = field(default_factory=list)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _read_source(source: Path | str | IO[bytes], file_name: str | None) -> tuple[bytes, str]:
    if isinstance(source, str | Path):
        path = Path(source)
        return path.read_bytes(), file_name or path.name
    data = source.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data, file_name or Path(getattr(source, "name", "observations.csv")).name


def read_observation_rows(data: bytes, file_name: str) -> pl.DataFrame:
    """Let the engine read and validate the file; its problems become ``ImportRejected``."""
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(file_name).name) or "observations.csv"
    with tempfile.TemporaryDirectory(prefix="journey-import-") as folder:
        path = Path(folder) / safe_name
        path.write_bytes(data)
        try:
            return read_observations(path)
        except ObservationsError as error:
            problems = [str(p).replace(safe_name, file_name, 1) for p in error.problems]
            if error.more:
                problems.append(f"… and {error.more} more problems")
            raise ImportRejected(problems) from None


def _unknown_measures(frame: pl.DataFrame, plan: Plan | None, file_name: str) -> list[str]:
    if plan is None:
        return []
    known = {m.id for m in plan.measures}
    unknown = sorted(set(frame["measure_id"].unique().to_list()) - known)
    return [
        f"{file_name}: measure_id '{measure_id}' is not a measure in the active plan"
        for measure_id in unknown
    ]


def import_observations(
    source: Path | str | IO[bytes], user: Any, *, file_name: str | None = None
) -> ImportResult:
    """Import an observations file, all or nothing.

    The engine validates the file. Rows whose key (measure, period, period type,
    breakdown) already exists replace the stored value; every change is recorded
    (old → new) on the :class:`ObservationImport` and in the audit log.
    """
    data, name = _read_source(source, file_name)
    frame = read_observation_rows(data, name)
    problems = (
        _unknown_measures(frame, active_plan(), name)
        + _bad_snapshots(frame, name)
        + [str(p) for p in _breakdown_problems(frame, name)]
    )
    if problems:
        raise ImportRejected(problems)
    return store_observations(frame, user, name=name, sha256=_sha256(data))


def _breakdown_problems(frame: pl.DataFrame, file_name: str) -> list:
    """Known breakdowns only, and never a child's identifier from the latest extract."""
    from journey.engine.measures import registry
    from journey.engine.observations import breakdown_problems
    from journey.web.casedata.services import store

    if frame.filter(pl.col("breakdown") != "").is_empty():
        return []
    latest = store().latest_snapshot()
    identifiers: list[str] = []
    if latest is not None and "children" in latest.tables:
        identifiers = latest.tables["children"].select("child_id").collect()["child_id"].to_list()
    return breakdown_problems(
        frame, file=file_name, dimensions=registry.breakdown_dimensions(), identifiers=identifiers
    )


SNAPSHOT_ID = re.compile(r"^[0-9a-f]{64}$")


def _bad_snapshots(frame: pl.DataFrame, file_name: str) -> list[str]:
    """A figure's snapshot must be a stored extract's id (its SHA-256), or empty."""
    if "snapshot" not in frame.columns:
        return []
    problems = []
    rows = frame["row"].to_list() if "row" in frame.columns else [None] * frame.height
    for row, snapshot in zip(rows, frame["snapshot"].to_list(), strict=True):
        if snapshot and not SNAPSHOT_ID.match(snapshot):
            where = f" row {row}," if row is not None else ""
            problems.append(
                f"{file_name}{where} column snapshot: must be the 64-character SHA-256 id of a "
                "stored extract, or empty"
            )
    return problems[:200]


def store_observations(
    frame: pl.DataFrame,
    user: Any,
    *,
    name: str,
    sha256: str,
    default_source: str = Observation.Source.IMPORTED,
) -> ImportResult:
    """Store validated figures (the engine's observations frame) in one transaction."""
    rows = []
    for raw in frame.iter_rows(named=True):
        row = {key: _clean(raw.get(key)) for key in OBSERVATION_COLUMNS}
        row["source"] = raw.get("source") or default_source
        row["note"] = raw.get("note") or ""
        rows.append(row)
    for row in rows:
        row["period_type"] = row["period_type"] or Observation.PeriodType.MONTH
        row["breakdown"] = row["breakdown"] or ""
        row["breakdown_value"] = row["breakdown_value"] or ""
        row["snapshot"] = row["snapshot"] or ""
        row["flagged"] = bool(row["flagged"])  # a count of flagged records counts as flagged
    entered_by = user if getattr(user, "is_authenticated", False) else None
    now = timezone.now()
    with transaction.atomic():
        record = ObservationImport.objects.create(
            file_name=name[:255], sha256=sha256, rows=len(rows), imported_by=entered_by
        )
        measure_ids = {r["measure_id"] for r in rows}
        periods = {r["period"] for r in rows}
        existing = {
            obs.key: obs
            for obs in Observation.objects.select_for_update().filter(
                measure_id__in=measure_ids, period__in=periods
            )
        }
        new: list[Observation] = []
        changed: list[Observation] = []
        changes: list[dict[str, Any]] = []
        fields = ["value", "numerator", "denominator", "flagged", "snapshot", "as_at", "note", "source"]
        for row in rows:
            key = (
                row["measure_id"], row["period"], row["period_type"],
                row["breakdown"], row["breakdown_value"],
            )
            current = existing.get(key)
            if current is None:
                new.append(Observation(**row, import_record=record, entered_by=entered_by))
                continue
            if all(getattr(current, f) == row[f] for f in fields):
                continue
            changes.append(
                {
                    "key": "/".join(k for k in key if k),
                    "old": current.value,
                    "new": row["value"],
                    "old_source": current.source,
                }
            )
            for f in fields:
                setattr(current, f, row[f])
            # A figure entered or imported over a computed one is no longer the snapshot's:
            # changing the active snapshot leaves it in place.
            current.data_snapshot = None
            current.import_record = record
            current.entered_by = entered_by
            current.updated = now
            changed.append(current)
        Observation.objects.bulk_create(new, batch_size=1000)
        Observation.objects.bulk_update(
            changed, [*fields, "data_snapshot", "import_record", "entered_by", "updated"],
            batch_size=1000,
        )
        record.created = len(new)
        record.changed = len(changed)
        record.unchanged = len(rows) - len(new) - len(changed)
        record.changes = changes[:1000]
        record.save(update_fields=["created", "changed", "unchanged", "changes"])
        audit.record(
            user,
            "imported_observations",
            name,
            sha256=record.sha256,
            rows=len(rows),
            created=len(new),
            changed=len(changed),
        )
    return ImportResult(
        record=record,
        rows=len(rows),
        created=record.created,
        changed=record.changed,
        unchanged=record.unchanged,
        changes=changes,
    )


def months_available(version: tuple[int, str] | None = None) -> list[str]:
    """Months with at least one monthly figure, oldest first (cached per data version)."""

    def months() -> list[str]:
        return list(
            Observation.objects.filter(period_type=Observation.PeriodType.MONTH, breakdown="")
            .values_list("period", flat=True)
            .distinct()
            .order_by("period")
        )

    if version is None:
        return months()
    found = cache.get(cache_key("months", version))
    if found is None:
        found = months()
        cache.set(cache_key("months", version), found)
    return found


_ONE_VERSION: ContextVar[dict[str, Any] | None] = ContextVar("journey_data_version", default=None)
"""Within one page: the data version and the active plan, each read once."""


def data_version() -> tuple[int, str]:
    """Changes whenever a figure is added, changed or removed (one aggregate query; read
    once per page inside :func:`one_data_version`)."""
    memo = _ONE_VERSION.get()
    if memo is not None and "version" in memo:
        version: tuple[int, str] = memo["version"]
        return version
    stats = Observation.objects.aggregate(n=Count("id"), last=Max("updated"))
    last = stats["last"].isoformat() if stats["last"] else ""
    version = (stats["n"], last)
    if memo is not None:
        memo["version"] = version
    return version


@contextmanager
def one_data_version() -> Iterator[None]:
    """Within this block the data version is read once: a page's ETag, its figures and the
    narrative beside them ask for it three times, each an aggregate over every figure. So
    is the active plan (a query and an unpickling each time). For requests that change
    nothing (GET, HEAD): see ``OneDataVersionMiddleware``."""
    token = _ONE_VERSION.set({})
    try:
        yield
    finally:
        _ONE_VERSION.reset(token)


def monthly_values(version: tuple[int, str] | None = None) -> dict[str, dict[str, dict[str, float | None]]]:
    """period type → measure id → month → headline value (cached per data version)."""
    version = version or data_version()

    def build() -> dict[str, dict[str, dict[str, float | None]]]:
        values: dict[str, dict[str, dict[str, float | None]]] = {}
        rows = Observation.objects.filter(breakdown="").values_list(
            "period_type", "measure_id", "period", "value"
        )
        for period_type, measure_id, period, value in rows:
            values.setdefault(period_type, {}).setdefault(measure_id, {})[period] = value
        return values

    found = cache.get(cache_key("values", version))
    if found is None:
        found = build()
        cache.set(cache_key("values", version), found)
    return found


def values_for_evaluation(
    plan: Plan, version: tuple[int, str] | None = None
) -> dict[str, dict[str, float | None]]:
    """measure id → month → the value the plan rates: the financial-year-to-date figure for
    cumulative in-year measures when one was recorded, otherwise the month's figure."""
    by_type = monthly_values(version)
    return {measure.id: values_for_evaluation_of(measure, by_type) for measure in plan.measures}


# -------------------------------------------------------------------- evaluations


def evaluations_for(
    month: str, plan: Plan | None = None, version: tuple[int, str] | None = None
) -> dict[str, MeasureResult]:
    """measure id → the engine's evaluation for ``month``, from the figures in the DB (the
    figures in use). A direction of travel compared with a figure that was published and
    has been revised since says so (:func:`journey.engine.evaluation.direction_of_travel`).
    A published month's own rating, as published: ``journey.web.plans.pages.month_ratings``."""
    from journey.web.reports.services import publications_stamp, published_figures

    plan = plan if plan is not None else active_plan()
    if plan is None:
        return {}
    version = version or data_version()
    key = cache_key("evaluations", plan_key(plan), version, month, publications_stamp())
    by_measure = cache.get(key)
    if by_measure is None:
        published = {
            measure_id: {m: figure.value for m, (figure, _day) in by_month.items()}
            for measure_id, by_month in published_figures().items()
        }
        evaluation = evaluate_plan(plan, values_for_evaluation(plan, version), month, published=published)
        by_measure = {result.measure_id: result for result in evaluation.results}
        cache.set(key, by_measure)
    return by_measure


def parse_month_choice(text: str | None, months: list[str]) -> str | None:
    """The month asked for when valid and present, else the latest with data."""
    if text and is_month(text) and (not months or text in months):
        return text
    return months[-1] if months else None


def recent_months(month: str, count: int = 12) -> list[str]:
    return month_range(add_months(month, -(count - 1)), month)


def latest_values(month: str, plan: Plan | None = None) -> dict[str, Observation]:
    """measure id → the mid-month "Latest" figure recorded after ``month``, if any; with
    ``plan``, only those covering the window the plan rates (a library measure whose latest
    is the year to date has none beside a plan's monthly figure: 15 referrals since April
    beside June's 7 would read as a rise)."""
    rows = Observation.objects.filter(
        period_type=Observation.PeriodType.LATEST, breakdown="", period__gt=month
    ).order_by("measure_id", "-period")
    latest: dict[str, Observation] = {}
    for obs in rows:
        latest.setdefault(obs.measure_id, obs)
    if plan is not None:
        from journey.engine.measures import latest_is_like_rated

        for measure in plan.measures:
            library_id = measure.source.library_id if measure.source.kind == "computed" else None
            if library_id and not latest_is_like_rated(library_id, measure.cumulative_in_year):
                latest.pop(measure.id, None)
    return latest


def measures_owned_by(plan: Plan, user: Any) -> set[str]:
    """Measures this user owns, by the plan's owner names (the narrative app's rule)."""
    from journey.web.accounts.ownership import is_owner

    return {m.id for m in plan.measures if m.owner and is_owner(user, m.owner)}


def figure_for(measure_id: str, month: str, period_type: str = Observation.PeriodType.MONTH) -> Observation | None:
    """The stored headline figure with where it came from (import, snapshot, who entered it)."""
    return (
        Observation.objects.select_related("import_record", "entered_by")
        .filter(measure_id=measure_id, period=month, period_type=period_type, breakdown="")
        .first()
    )


def headline_figures(measure: Measure, months: list[str]) -> dict[str, Observation]:
    """month → the stored figure the plan rates (the year to date for a cumulative measure
    where one is stored, else the month's), with where it came from; one query."""
    rows = Observation.objects.select_related("import_record", "entered_by").filter(
        measure_id=measure.id, period__in=months, breakdown="",
        period_type__in=[Observation.PeriodType.MONTH, Observation.PeriodType.FYTD],
    )
    out: dict[str, Observation] = {}
    for obs in rows:
        preferred = obs.period_type == (
            Observation.PeriodType.FYTD if measure.cumulative_in_year else Observation.PeriodType.MONTH
        )
        if preferred or obs.period not in out:
            out[obs.period] = obs
    return out


def breakdowns_for(
    measure_id: str, month: str, period_type: str = Observation.PeriodType.MONTH
) -> dict[str, list[Observation]]:
    """breakdown → its cells' figures for the month (e.g. team → North, South ...)."""
    out: dict[str, list[Observation]] = {}
    rows = Observation.objects.filter(
        measure_id=measure_id, period=month, period_type=period_type,
    ).exclude(breakdown="").order_by("breakdown", "breakdown_value")
    for obs in rows:
        out.setdefault(obs.breakdown, []).append(obs)
    return out


def find_measure(plan: Plan, measure_id: str) -> Measure | None:
    try:
        return plan.measure(measure_id)
    except KeyError:
        return None


Counts = tuple[float | None, float | None]


def monthly_counts(version: tuple[int, str] | None = None) -> dict[str, dict[str, dict[str, Counts]]]:
    """period type → measure id → month → (numerator, denominator) of the headline figures
    (cached per data version): what the small-number rule and confidence intervals need."""
    version = version or data_version()

    def build() -> dict[str, dict[str, dict[str, Counts]]]:
        out: dict[str, dict[str, dict[str, Counts]]] = {}
        rows = Observation.objects.filter(breakdown="").values_list(
            "period_type", "measure_id", "period", "numerator", "denominator"
        )
        for period_type, measure_id, period, numerator, denominator in rows:
            out.setdefault(period_type, {}).setdefault(measure_id, {})[period] = (numerator, denominator)
        return out

    found: dict[str, dict[str, dict[str, Counts]]] = cached(cache_key("counts", version), build)
    return found


def counts_for_evaluation_of(measure: Measure, version: tuple[int, str] | None = None) -> dict[str, Counts]:
    """month → the (numerator, denominator) of the value the plan rates (as
    :func:`values_for_evaluation_of`: year to date for cumulative in-year measures)."""
    by_type = monthly_counts(version)
    series = dict(by_type.get(Observation.PeriodType.MONTH, {}).get(measure.id, {}))
    if measure.cumulative_in_year:
        series.update(by_type.get(Observation.PeriodType.FYTD, {}).get(measure.id, {}))
    return series


def monthly_fractions(
    version: tuple[int, str] | None = None,
) -> dict[str, dict[str, tuple[float, float]]]:
    """measure id → month → (numerator, denominator) of the monthly headline figures that
    record both: what a confidence interval is built from."""
    months = monthly_counts(version).get(Observation.PeriodType.MONTH, {})
    return {
        measure_id: {p: (n, d) for p, (n, d) in by_month.items() if n is not None and d is not None}
        for measure_id, by_month in months.items()
    }


# ------------------------------------------------- benchmarks (dashboard and measure page)


def benchmarks_dir() -> Path:
    return Path(settings.DATA_DIR) / "benchmarks"


def benchmarks_version() -> int:
    """Changes when DfE benchmarks are (re)imported: the Parquet file's mtime, 0 without."""
    try:
        return (benchmarks_dir() / "benchmarks.parquet").stat().st_mtime_ns
    except OSError:
        return 0


def measure_benchmarks(plan: Plan, measure: Measure) -> dict[str, float]:
    """A measure's comparators, name → value: those typed into the plan; otherwise DfE's
    published statistical-neighbour and England figures, when they have been imported."""
    bench = measure.benchmarks
    if bench is None:
        return _published_benchmarks(plan, measure)
    found: dict[str, float] = {}
    year = f" ({bench.year})" if bench.year else ""
    if bench.statistical_neighbours is not None:
        found[f"Statistical neighbours{year}"] = float(bench.statistical_neighbours)
    if bench.england is not None:
        found[f"England{year}"] = float(bench.england)
    if bench.region is not None:
        found[f"Region{year}"] = float(bench.region)
    return found


def _published_benchmarks(plan: Plan, measure: Measure) -> dict[str, float]:
    library_id = measure.source.library_id if measure.source.kind == "computed" else None
    stamp = benchmarks_version()
    if not library_id or not stamp:
        return {}
    args = (
        str(benchmarks_dir()), stamp, plan.authority.la_code,
        library_id, plan.statistical_neighbour_method.value, measure.polarity.value,
    )
    return dict(cached(cache_key("benchmarks", *args), lambda: _published(*args)))


def _published(
    directory: str, _version: int, la_code: str, library_id: str, method: str, polarity: str
) -> tuple[tuple[str, float], ...]:
    from journey.engine.stats.benchmarks import BenchmarkStore

    try:
        found = BenchmarkStore(Path(directory)).for_council(
            la_code, measure_id=library_id, polarity=polarity
        )
    except (LookupError, ValueError, FileNotFoundError):
        return ()
    if not found:
        return ()
    latest = found[0]
    neighbours = latest.neighbour_median if method == "median" else latest.neighbour_mean
    out = []
    if neighbours is not None:
        out.append((f"Statistical neighbours ({latest.time_period}, DfE, {method})", neighbours))
    if latest.england is not None:
        out.append((f"England ({latest.time_period}, DfE)", latest.england))
    return tuple(out)


COMPARABLE_UNITS = frozenset({Unit.PERCENT, Unit.RATE_PER_10K, Unit.DAYS, Unit.NUMBER, Unit.SCORE})
"""Units whose monthly figure may be set against an annual comparator. A count in a month
(or money) depends on the council's size and the period, so it is shown but not compared."""


@dataclass(frozen=True)
class BenchmarkComparison:
    """One comparator for a measure's figure, with Fingertips' words for the comparison."""

    name: str
    short_name: str
    value: float
    value_text: str
    comparison: str
    """Better / Similar / Worse (Higher / Lower without a better direction), or "" when the
    figure cannot meaningfully be compared (a count, or no figure)."""
    method: str

    @property
    def summary(self) -> str:
        """E.g. "England 86.0%: Similar"."""
        return f"{self.short_name} {self.value_text}" + (f": {self.comparison}" if self.comparison else "")


def compare_with_benchmarks(
    plan: Plan,
    measure: Measure,
    value: float | None,
    fraction: tuple[float, float] | None = None,
) -> list[BenchmarkComparison]:
    """The measure's comparators, each compared with ``value`` where that is meaningful.

    With the figure's numerator and denominator the comparison is Fingertips': Better or
    Worse only when the comparator lies outside the figure's 95% confidence interval (Wilson
    for percentages, Byar's or exact Poisson for rates), otherwise Similar. Without them the
    figure as shown is compared: Similar only when the two agree at the figure's precision.
    Where the plan gives no better direction the words are Higher and Lower.
    """
    from journey.engine.stats.intervals import Interval, compare_with_benchmark

    out = []
    decimals = measure.display_decimals
    comparable = value is not None and measure.unit in COMPARABLE_UNITS
    interval = _interval(measure, value, fraction) if comparable else None
    for name, benchmark in measure_benchmarks(plan, measure).items():
        words = ""
        if value is None:
            method = "Not compared: there is no figure for the month."
        elif not comparable:
            method = "Not compared: a count or an amount of money depends on the council's size."
        elif interval is not None:
            method = f"Compared using the figure's 95% confidence interval ({interval.method})."
            words = compare_with_benchmark(interval, benchmark, measure.polarity).value
        else:
            shown = format_value(value, measure.unit, decimals)
            same = shown == format_value(benchmark, measure.unit, decimals)
            point = Interval(value, value, value, 95, "figure as shown")
            words = "Similar" if same else compare_with_benchmark(point, benchmark, measure.polarity).value
            method = "Compared using the figure as shown (no numerator and denominator are recorded)."
        short = name.split(" (", 1)[0]
        out.append(
            BenchmarkComparison(
                name=name,
                short_name="Stat. neighbours" if short == "Statistical neighbours" else short,
                value=benchmark,
                value_text=format_value(benchmark, measure.unit, decimals),
                comparison=words,
                method=method,
            )
        )
    return out


def _interval(measure: Measure, value: float | None, fraction: tuple[float, float] | None) -> Any:
    from journey.engine.stats.intervals import byars_interval, wilson_interval

    if value is None or fraction is None:
        return None
    numerator, denominator = fraction
    whole = numerator == int(numerator) and denominator == int(denominator)
    if not whole or numerator < 0 or denominator <= 0:
        return None
    try:
        if measure.unit is Unit.PERCENT and numerator <= denominator:
            interval = wilson_interval(int(numerator), int(denominator))
        elif measure.unit is Unit.RATE_PER_10K:
            interval = byars_interval(int(numerator), multiplier=10_000, denominator=denominator)
        else:
            return None
    except ValueError:
        return None
    # Only when the numerator and denominator are the figure's own (to its rounding): a
    # year-to-date measure rates another figure than the month's fraction.
    return interval if abs(interval.value - value) <= max(0.051, abs(value) * 1e-6) else None


# ----------------------------------------------------- SPC (dashboard and measure page)

# One SPC reading for the dashboard, the measure page and every report: the engine's.
SpcSummary = MeasureSpc


def spc_series(measure: Measure, version: tuple[int, str] | None = None) -> dict[str, float | None]:
    """The monthly figures an XmR chart of the measure is drawn from (see
    :func:`journey.engine.stats.spc.spc_series`: a cumulative measure's own monthly figures)."""
    by_type = monthly_values(version)
    return engine_spc_series(
        measure,
        by_type.get(Observation.PeriodType.MONTH, {}).get(measure.id, {}),
        by_type.get(Observation.PeriodType.FYTD, {}).get(measure.id, {}),
    )


def values_for_evaluation_of(
    measure: Measure, by_type: dict[str, dict[str, dict[str, float | None]]]
) -> dict[str, float | None]:
    """month → the value the plan rates the measure on (see :func:`values_for_evaluation`)."""
    series = dict(by_type.get(Observation.PeriodType.MONTH, {}).get(measure.id, {}))
    if measure.cumulative_in_year:
        series.update(by_type.get(Observation.PeriodType.FYTD, {}).get(measure.id, {}))
    return series


def spc_summary(
    measure: Measure, series: dict[str, float | None], month: str, target: float | None
) -> MeasureSpc | None:
    """The engine's SPC reading (:func:`journey.engine.stats.spc.measure_spc`)."""
    return measure_spc(measure, series, month, target)
