"""The figures in use, kept per snapshot: which snapshot is active, and changing it safely.

Every accepted snapshot keeps its own figures (``SnapshotFigure``) for good. The figures
in use, which every page and report reads (``plans.Observation`` rows with a
``data_snapshot``), are *made from* the active snapshot: for each measure, the months it
computed come from it, every other month from the snapshot it was accepted on top of,
and so on back (:func:`figures_of`). Changing the active snapshot, by accepting a new one
or making an earlier one active again, rewrites those rows to match in one transaction,
so making an earlier snapshot active gives back exactly the figures in use when it was.
Figures entered by hand or imported from a file are never touched.

Only one process at a time may change the active data: :func:`data_lock` is held across
a whole acceptance (the snapshot store on disk and the database), and inside the
transaction the one ``DataLock`` row is updated first, so PostgreSQL holds that row and
SQLite its write lock until the commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from journey.engine.proposal import FIGURE_SCHEMA, KEY, figures_frame
from journey.web.accounts.models import AuditEvent
from journey.web.casedata.models import DataLock, DataSnapshot, SnapshotActivation, SnapshotFigure
from journey.web.plans.models import Observation

#: PostgreSQL advisory lock for changing the active data: this number ("jou" in ASCII)
#: and one for the database, so councils sharing a server do not wait for each other.
ADVISORY_LOCK_CLASS = 0x6A6F75

FIGURE_FIELDS = ("value", "numerator", "denominator", "flagged", "as_at", "note")
BATCH = 2000


# --------------------------------------------------------------------------- locking


class LockBusy(Exception):
    """Another process is changing the data in use (raised when not waiting for it)."""


@contextlib.contextmanager
def data_lock(on_wait: Callable[[], None] | None = None, *, wait: bool = True) -> Iterator[None]:
    """Hold the one lock for changing the active data, across processes.

    A PostgreSQL advisory lock (released by the server if the process dies), or with
    SQLite an exclusive ``flock`` on ``cache/data.lock`` in the data directory (released
    by the kernel if the process dies). ``on_wait`` is called once if another process holds it; with
    ``wait=False`` :class:`LockBusy` is raised instead."""
    if connection.vendor == "postgresql":
        with _advisory_lock(on_wait, wait):
            yield
        return
    # Beside the shared cache: state of the running service, not data (backups skip it).
    path = Path(settings.DATA_DIR) / "cache" / "data.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise LockBusy() from None
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


@contextlib.contextmanager
def _advisory_lock(on_wait: Callable[[], None] | None, wait: bool) -> Iterator[None]:
    told = False
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", _advisory_key())
            if cursor.fetchone()[0]:
                break
        if not wait:
            raise LockBusy()
        if not told and on_wait is not None:
            on_wait()
            told = True
        time.sleep(0.2)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a lost connection has released it already
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _advisory_key())


def _advisory_key() -> list[int]:
    database = str(connection.settings_dict["NAME"]).encode()
    return [ADVISORY_LOCK_CLASS, zlib.crc32(database) - 2**31]  # both within PostgreSQL's int4


def hold_lock_row(holder: str) -> None:
    """Inside a transaction: take the ``DataLock`` row (first statement that writes; made
    by the first load, so an instance that never loaded holds no data)."""
    if not DataLock.objects.filter(pk=1).update(holder=holder[:255], since=timezone.now()):
        DataLock.objects.get_or_create(pk=1, defaults={"holder": holder[:255], "since": timezone.now()})


# ------------------------------------------------------------------ the active snapshot


def active_snapshot() -> DataSnapshot | None:
    """The snapshot whose figures are in use (None before any extract is accepted)."""
    return DataSnapshot.objects.filter(active=True).first()


def active_at(moment: Any) -> DataSnapshot | None:
    """The snapshot that was active at ``moment`` (a datetime), from the activation history."""
    activation = (
        SnapshotActivation.objects.filter(at__lte=moment).select_related("snapshot").first()
    )
    return activation.snapshot if activation is not None else None


def chain(snapshot: DataSnapshot) -> list[DataSnapshot]:
    """The snapshot and those it was accepted on top of, newest first."""
    out = [snapshot]
    seen = {snapshot.pk}
    while out[-1].based_on_id is not None and out[-1].based_on_id not in seen:
        previous = DataSnapshot.objects.get(pk=out[-1].based_on_id)
        seen.add(previous.pk)
        out.append(previous)
    return out


_COLUMNS = ("measure_id", "period", "period_type", "breakdown", "breakdown_value", *FIGURE_FIELDS)


def figures_of(snapshot: DataSnapshot | None) -> pl.DataFrame:
    """The figures in use when ``snapshot`` is active (empty for None), with the snapshot
    that made each: ``figures_frame`` columns plus ``data_snapshot`` (its id)."""
    frames = []
    covered: dict[str, set[str]] = {}
    for member in chain(snapshot) if snapshot is not None else []:
        needed = {
            measure: set(periods) - covered.get(measure, set())
            for measure, periods in member.coverage.items()
        }
        needed = {measure: periods for measure, periods in needed.items() if periods}
        if needed:
            rows = SnapshotFigure.objects.filter(
                snapshot=member,
                measure_id__in=sorted(needed),
                period__in=sorted(set().union(*needed.values())),
            ).values_list(*_COLUMNS)
            frame = _frame(rows).join(
                pl.DataFrame(
                    [(m, p) for m, periods in needed.items() for p in periods],
                    schema={"measure_id": pl.String, "period": pl.String},
                    orient="row",
                ),
                on=["measure_id", "period"],
                how="semi",
            )
            frames.append(
                frame.with_columns(
                    pl.lit(member.sha256).alias("snapshot"),
                    pl.lit(member.pk, pl.Int64).alias("data_snapshot"),
                )
            )
        for measure, periods in member.coverage.items():
            covered.setdefault(measure, set()).update(periods)
    schema = pl.Schema({**FIGURE_SCHEMA, "data_snapshot": pl.Int64()})
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat([f.select(list(schema)) for f in frames]).sort(list(KEY))


def _frame(rows: Any) -> pl.DataFrame:
    schema = {name: FIGURE_SCHEMA[name] for name in _COLUMNS}
    return figures_frame(pl.DataFrame(list(rows), schema=schema, orient="row"))


def figures_in_use() -> pl.DataFrame:
    """The computed figures pages and reports read now (``figures_frame`` columns)."""
    rows = Observation.objects.filter(data_snapshot__isnull=False).values_list(
        "measure_id", "period", "period_type", "breakdown", "breakdown_value",
        *FIGURE_FIELDS, "snapshot",
    )
    schema = pl.Schema(
        {**{name: FIGURE_SCHEMA[name] for name in _COLUMNS}, "flagged": pl.Boolean(), "snapshot": pl.String()}
    )
    frame = pl.DataFrame(list(rows), schema=schema, orient="row")
    return figures_frame(frame.with_columns(pl.col("flagged").cast(pl.Int64)))


Told = Callable[[int, int], None]
"""Called with (rows written, rows to write) after each batch."""


def keep_figures(snapshot: DataSnapshot, figures: pl.DataFrame, progress: Told | None = None) -> int:
    """Store a snapshot's own figures (``figures_frame`` rows); returns how many."""
    objects = [
        SnapshotFigure(snapshot=snapshot, **{name: row[name] for name in _COLUMNS})
        for row in figures_frame(figures).select(list(_COLUMNS)).iter_rows(named=True)
    ]
    for start in range(0, len(objects), BATCH):
        SnapshotFigure.objects.bulk_create(objects[start : start + BATCH], batch_size=BATCH)
        if progress is not None:
            progress(min(start + BATCH, len(objects)), len(objects))
    return len(objects)


def put_in_use(snapshot: DataSnapshot | None, progress: Told | None = None) -> dict[str, int]:
    """Make the computed figures in use those of ``snapshot`` (inside a transaction).

    Only rows that differ are written; figures entered by hand or imported keep their
    place (a computed figure for the same key is then not shown). Returns how many rows
    were added, changed and removed."""
    target = figures_of(snapshot)
    others = pl.DataFrame(
        list(
            Observation.objects.filter(data_snapshot__isnull=True).values_list(
                "measure_id", "period", "period_type", "breakdown", "breakdown_value"
            )
        ),
        schema={k: pl.String for k in KEY},
        orient="row",
    )
    target = target.join(others, on=list(KEY), how="anti").with_columns(
        (pl.col("flagged") > 0).alias("flagged")
    )
    current = pl.DataFrame(
        list(
            Observation.objects.filter(data_snapshot__isnull=False).values_list(
                "id", *KEY, *FIGURE_FIELDS, "snapshot", "data_snapshot"
            )
        ),
        schema={
            "id": pl.Int64, **{k: pl.String for k in KEY}, "value": pl.Float64,
            "numerator": pl.Float64, "denominator": pl.Float64, "flagged": pl.Boolean,
            "as_at": pl.Date, "note": pl.String, "snapshot": pl.String, "data_snapshot": pl.Int64,
        },
        orient="row",
    )
    joined = current.join(target, on=list(KEY), how="full", coalesce=True, suffix="_new")
    compared = [*FIGURE_FIELDS, "snapshot", "data_snapshot"]
    differs = pl.any_horizontal([~pl.col(c).eq_missing(pl.col(f"{c}_new")) for c in compared])
    removed = joined.filter(pl.col("data_snapshot_new").is_null())["id"].to_list()
    added = joined.filter(pl.col("id").is_null())
    changed = joined.filter(pl.col("id").is_not_null() & pl.col("data_snapshot_new").is_not_null() & differs)
    now = timezone.now()
    total = len(removed) + added.height + changed.height
    done = 0

    def tell(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None:
            progress(done, total)

    for start in range(0, len(removed), BATCH):
        Observation.objects.filter(pk__in=removed[start : start + BATCH]).delete()
        tell(len(removed[start : start + BATCH]))
    new_rows = [
        Observation(
            **{k: row[k] for k in KEY},
            **{f: row[f"{f}_new"] for f in FIGURE_FIELDS},
            snapshot=row["snapshot_new"],
            data_snapshot_id=row["data_snapshot_new"],
            source=Observation.Source.COMPUTED,
        )
        for row in added.iter_rows(named=True)
    ]
    for start in range(0, len(new_rows), BATCH):
        Observation.objects.bulk_create(new_rows[start : start + BATCH], batch_size=BATCH)
        tell(len(new_rows[start : start + BATCH]))
    updates = []
    for row in changed.iter_rows(named=True):
        obs = Observation(pk=row["id"], updated=now, source=Observation.Source.COMPUTED)
        for f in FIGURE_FIELDS:
            setattr(obs, f, row[f"{f}_new"])
        obs.snapshot = row["snapshot_new"]
        obs.data_snapshot_id = row["data_snapshot_new"]
        updates.append(obs)
    for start in range(0, len(updates), BATCH):
        Observation.objects.bulk_update(
            updates[start : start + BATCH],
            [*FIGURE_FIELDS, "snapshot", "data_snapshot", "source", "updated"], batch_size=BATCH,
        )
        tell(len(updates[start : start + BATCH]))
    return {"added": added.height, "changed": len(updates), "removed": len(removed)}


def switch_active(
    snapshot: DataSnapshot,
    *,
    kind: str,
    user: Any,
    by_name: str,
    reason: str = "",
    progress: Told | None = None,
) -> dict[str, int]:
    """Inside a transaction holding the lock row: make ``snapshot`` the active one, put its
    figures in use and record who did it and why (activation history and audit log)."""
    previous = active_snapshot()
    DataSnapshot.objects.filter(active=True).update(active=False)
    DataSnapshot.objects.filter(pk=snapshot.pk).update(active=True)
    snapshot.active = True
    outcome = put_in_use(snapshot, progress)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    SnapshotActivation.objects.create(
        snapshot=snapshot, previous=previous, kind=kind, reason=reason,
        by=user if authenticated else None, by_name=by_name,
    )
    AuditEvent.objects.create(
        user=user if authenticated else None,
        username=by_name,
        action="accepted_snapshot" if kind == SnapshotActivation.Kind.ACCEPTED else "activated_snapshot",
        target=f"snapshot {snapshot.short_id}",
        detail={
            "snapshot": snapshot.sha256,
            "previous": previous.sha256 if previous else "",
            "reason": reason,
            **outcome,
        },
    )
    return outcome


class ActivationRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def activate(
    snapshot: DataSnapshot, *, user: Any, by_name: str, reason: str,
    on_wait: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Make an earlier snapshot active again (a reason is required, and recorded)."""
    reason = reason.strip()
    if not reason:
        raise ActivationRefused("Give the reason for changing the data in use: it is kept in the audit log.")
    with data_lock(on_wait):
        recover()
        with transaction.atomic():
            hold_lock_row(f"activating {snapshot.short_id} ({by_name})")
            snapshot.refresh_from_db()
            if snapshot.active:
                raise ActivationRefused(f"Snapshot {snapshot.short_id} is already the data in use.")
            return switch_active(
                snapshot, kind=SnapshotActivation.Kind.ACTIVATED, user=user, by_name=by_name,
                reason=reason,
            )


def recover() -> list[str]:
    """Under the lock: finish what a killed load left in the snapshot store (a snapshot it
    wrote that the database never accepted is taken out again)."""
    from journey.web.casedata.services import store

    return store().recover(lambda sha: DataSnapshot.objects.filter(sha256=sha).exists())


def recover_if_free() -> None:
    """Finish what a killed load left, unless a load is running now (then it will)."""
    with contextlib.suppress(LockBusy), data_lock(wait=False):
        recover()
