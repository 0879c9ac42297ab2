"""Loading extracts from the browser: upload → check → accept → load → compute.

The engine does the work (``journey.engine.casedata`` reads and checks the extract and
keeps it in the snapshot store; ``journey.engine.measures`` computes the plan's measures
from it); this module keeps a ``LoadJob`` row up to date so the browser can show the
validation report and the progress. Checking and loading run in a background thread
(one at a time); ``settings.JOURNEY_RUN_JOBS_INLINE`` runs them in the request instead
(tests).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from journey.engine.casedata.load import read_files
from journey.engine.casedata.problems import ExtractRejected, ValidationReport
from journey.engine.casedata.safety import Limits
from journey.engine.casedata.store import AlreadyLoaded, Store
from journey.engine.periods import add_months, last_complete_month, month_key
from journey.web.accounts import audit
from journey.web.casedata.models import LoadJob
from journey.web.plans import services as plan_services

log = logging.getLogger(__name__)

MONTHS_COMPUTED = 24
"""How many months of figures a load computes, ending with the extract's month."""

STALE_AFTER = timedelta(minutes=30)
_LOAD_LOCK = threading.Lock()


class UploadRefused(Exception):
    def __init__(self, message: str, field: str = "extract") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Upload:
    name: str
    size: int
    chunks: Callable[[], Iterable[bytes]]


def max_upload_bytes() -> int:
    return int(settings.JOURNEY_MAX_UPLOAD_MB) * 1024 * 1024


def uploads_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads"


def store() -> Store:
    return Store(Path(settings.DATA_DIR) / "store")


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._ -]", "_", Path(name).name).strip(" .")
    return cleaned[:200] or "extract"


def _files(job: LoadJob) -> dict[str, bytes]:
    """The job's files, named by their path in its folder (``2018/header.csv`` when a
    collection year was given)."""
    folder = Path(job.stored_path)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _in_year(names: list[str], collection_year: int | None) -> list[str]:
    """The names the files are kept under: in a folder named for the collection year when
    one is given (SSDA903 files whose names carry no year), so the year stays with them."""
    if collection_year is None:
        return names
    from journey.engine.casedata.load import with_collection_year

    placed, conflicts = with_collection_year(dict.fromkeys(names, b""), collection_year)
    if conflicts:
        raise UploadRefused(
            f"{conflicts[0].file}: its name says another collection year than {collection_year}; "
            "give the year only for files whose names carry none",
            field="collection_year",
        )
    return list(placed)


def create_job(uploads: list[Upload], user: Any, collection_year: int | None = None) -> LoadJob:
    """Save the uploaded files (size-capped) and start checking them."""
    if not uploads:
        raise UploadRefused("Choose the extract file or files to upload")
    total = sum(u.size for u in uploads)
    cap = max_upload_bytes()
    if total > cap:
        raise UploadRefused(
            f"The upload is {total / 1024 / 1024:.1f} MB; the limit is {settings.JOURNEY_MAX_UPLOAD_MB} MB"
        )
    names = [_safe_name(u.name) for u in uploads]
    if len(set(names)) != len(names):
        raise UploadRefused("Two of the files have the same name; rename one and upload again")
    names = _in_year(names, collection_year)
    uploads_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = uploads_dir() / timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)  # child-level files: the server account only, whatever the umask
    digest = hashlib.sha256()
    written = 0
    try:
        for upload, name in zip(uploads, names, strict=True):
            file_digest = hashlib.sha256()
            (folder / name).parent.mkdir(exist_ok=True, mode=0o700)
            handle = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(handle, "wb") as out:
                for chunk in upload.chunks():
                    written += len(chunk)
                    if written > cap:
                        raise UploadRefused(
                            f"The upload is larger than the limit of {settings.JOURNEY_MAX_UPLOAD_MB} MB"
                        )
                    file_digest.update(chunk)
                    out.write(chunk)
            digest.update(f"{file_digest.hexdigest()}  {name}\n".encode())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job = LoadJob.objects.create(
        original_name=", ".join(names)[:255],
        stored_path=str(folder),
        size=written,
        sha256=digest.hexdigest(),
        status=LoadJob.Status.CHECKING,
        message="Waiting to be checked",
        created_by=user,
    )
    audit.record(user, "uploaded_extract", job.original_name, job=job.pk, bytes=written)
    start(check_job, job.pk)
    return job


def start(task: Callable[[int], None], job_id: int) -> None:
    """Run ``task(job_id)`` in a background thread (or now, when configured inline)."""
    if getattr(settings, "JOURNEY_RUN_JOBS_INLINE", False):
        task(job_id)
        return

    def run() -> None:
        close_old_connections()
        try:
            task(job_id)
        finally:
            connection.close()

    threading.Thread(target=run, name=f"load-job-{job_id}", daemon=True).start()


def _update(job_id: int, **fields: Any) -> None:
    LoadJob.objects.filter(pk=job_id).update(updated_at=timezone.now(), **fields)


def _problems(report: ValidationReport) -> list[dict[str, Any]]:
    keep = ("severity", "code", "message", "file", "sheet", "row", "column", "value", "table")
    return [{k: p.to_dict().get(k) for k in keep} for p in report.sorted()[:2000]]


def _summary(report: ValidationReport) -> dict[str, Any]:
    counts = report.counts_by_severity()
    return {
        "format": report.format or "",
        "files": list(report.files),
        "tables": dict(report.tables),
        "errors": counts["error"],
        "warnings": counts["warning"],
        "shown": min(len(report.problems), 2000),
    }


def check_job(job_id: int) -> None:
    """Read and check the uploaded extract; record the validation report."""
    job = LoadJob.objects.get(pk=job_id)
    try:
        _update(job_id, progress=10, message="Reading and checking the extract")
        _extract, report = read_files(_files(job), limits=Limits.from_env())
        status = LoadJob.Status.CHECKED if report.ok else LoadJob.Status.REJECTED
        counts = report.counts_by_severity()
        message = (
            f"Ready to accept: {counts['warning']} warning(s), no errors"
            if report.ok
            else f"Rejected: {counts['error']} error(s) must be fixed; nothing was loaded"
        )
        _update(
            job_id, status=status, progress=100, message=message, kind=report.format or "",
            problems=_problems(report), summary=_summary(report),
        )
    except Exception as error:  # reported to the user; the details go to the log
        log.exception("checking load job %s failed", job_id)
        _update(job_id, status=LoadJob.Status.FAILED, message=f"The check failed: {error}"[:500])


def accept_job(job: LoadJob, user: Any) -> bool:
    """Accept a checked extract: load it and compute the figures (in the background)."""
    updated = LoadJob.objects.filter(pk=job.pk, status=LoadJob.Status.CHECKED).update(
        status=LoadJob.Status.QUEUED, progress=0, message="Accepted: waiting to load",
        accepted_by=user, updated_at=timezone.now(),
    )
    if not updated:
        return False
    audit.record(user, "accepted_extract", job.original_name, job=job.pk, sha256=job.sha256)
    start(load_job, job.pk)
    return True


def cancel_job(job: LoadJob, user: Any) -> bool:
    updated = LoadJob.objects.filter(
        pk=job.pk, status__in=[LoadJob.Status.CHECKED, LoadJob.Status.REJECTED]
    ).update(status=LoadJob.Status.CANCELLED, message="Cancelled: nothing was loaded",
             updated_at=timezone.now())
    if updated:
        shutil.rmtree(job.stored_path, ignore_errors=True)
        audit.record(user, "cancelled_extract", job.original_name, job=job.pk)
    return bool(updated)


def load_job(job_id: int) -> None:
    """Store the snapshot, compute the plan's measures from it and import the figures."""
    job = LoadJob.objects.select_related("accepted_by").get(pk=job_id)
    user = job.accepted_by
    with _LOAD_LOCK:
        try:
            _run_load(job, user)
        except Exception as error:
            log.exception("load job %s failed", job_id)
            _update(job_id, status=LoadJob.Status.FAILED, message=f"The load failed: {error}"[:500],
                    finished_at=timezone.now())


def _run_load(job: LoadJob, user: Any) -> None:
    job_id = job.pk
    _update(job_id, status=LoadJob.Status.LOADING, progress=1, message="Loading")

    def stored(fraction: float, message: str) -> None:
        _update(job_id, progress=int(fraction * 50), message=message)

    snapshots = store()
    try:
        info, _report = snapshots.load(
            _files(job), by=user.get_username() if user else "", limits=Limits.from_env(),
            progress=stored,
        )
        snapshot_id = info.id
    except AlreadyLoaded as already:
        snapshot_id = already.snapshot.id
        _update(job_id, message="This extract was loaded before: recomputing its figures")
    except ExtractRejected as rejected:
        _update(job_id, status=LoadJob.Status.REJECTED, problems=_problems(rejected.report),
                summary=_summary(rejected.report), message="Rejected: nothing was loaded",
                finished_at=timezone.now())
        return
    _update(job_id, snapshot=snapshot_id, progress=50, message="Stored; computing the measures")
    extract = snapshots.load_snapshot(snapshot_id)
    outcome = compute_figures(extract, snapshot_id, user, progress=lambda p, m: _update(job_id, progress=p, message=m))
    audit.record(user, "loaded_extract", job.original_name, job=job_id, snapshot=snapshot_id,
                 figures=outcome.get("rows", 0))
    _update(
        job_id,
        status=LoadJob.Status.DONE,
        progress=100,
        message=outcome["message"],
        summary={**LoadJob.objects.get(pk=job_id).summary, "figures": outcome},
        finished_at=timezone.now(),
    )
    shutil.rmtree(job.stored_path, ignore_errors=True)


def compute_figures(
    extract: Any, snapshot_id: str, user: Any, progress: Callable[[int, str], None] | None = None
) -> dict[str, Any]:
    """Compute the active plan's computed measures from a snapshot and store the figures."""
    from journey.engine.measures import compute_requests, plan_population, plan_requests

    tell = progress or (lambda p, m: None)
    plan = plan_services.active_plan()
    if plan is None:
        return {"rows": 0, "message": "Loaded. No plan is active, so no figures were computed."}
    requests = plan_requests(plan)
    if not requests:
        return {"rows": 0, "message": "Loaded. The plan has no computed measures."}
    as_at = extract.as_at
    last = last_complete_month(as_at) if as_at else month_key(timezone.now().date())
    first = add_months(last, -(MONTHS_COMPUTED - 1))

    def step(done: int, total: int, measure_id: str) -> None:
        tell(50 + int(40 * done / max(total, 1)), f"Computed {measure_id} ({done} of {total})")

    frame = compute_requests(
        extract, first, last, requests, step, population=plan_population(plan)
    )
    tell(92, "Storing the figures")
    before = _ratings(plan, last)
    result = plan_services.store_observations(
        frame, user, name=f"snapshot {snapshot_id[:12]}", sha256=snapshot_id,
        default_source="computed",
    )
    after = _ratings(plan, last)
    changes = [
        {"measure": measure_id, "title": after[measure_id][0],
         "old_value": before.get(measure_id, ("", "–", "Not rated"))[1],
         "new_value": after[measure_id][1],
         "old_rag": before.get(measure_id, ("", "–", "Not rated"))[2],
         "new_rag": after[measure_id][2]}
        for measure_id in after
        if before.get(measure_id, (None, None, None))[1:] != after[measure_id][1:]
    ]
    return {
        "month": last,
        "changes": changes,
        "rows": result.rows,
        "created": result.created,
        "changed": result.changed,
        "first": first,
        "last": last,
        "message": (
            f"Loaded. {len(requests)} measures computed for {first} to {last}: "
            f"{result.created} new figures, {result.changed} changed."
        ),
    }


def _ratings(plan: Any, month: str) -> dict[str, tuple[str, str, str]]:
    """measure id → (title, figure as shown, RAG label) for ``month``, from the database."""
    return {
        measure_id: (result.title, result.value_text, result.rag.label)
        for measure_id, result in plan_services.evaluations_for(month, plan).items()
    }


def mark_stale_jobs() -> int:
    """Jobs left running by a server that stopped are marked failed, so nobody waits forever."""
    cutoff = timezone.now() - STALE_AFTER
    return LoadJob.objects.filter(status__in=list(LoadJob.RUNNING), updated_at__lt=cutoff).update(
        status=LoadJob.Status.FAILED,
        message="Interrupted (the server stopped while this was running). Upload the extract again.",
    )
