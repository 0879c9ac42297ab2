"""Loading extracts: upload → proposal (checks and what it would change) → accept.

The engine does the work (``journey.engine.casedata`` reads and checks the extract and
keeps it in the snapshot store; ``journey.engine.measures`` computes the plan's measures;
``journey.engine.proposal`` compares them with the figures in use). :func:`propose` and
:func:`accept` are what the browser and ``journey data load`` share; for the browser a
``LoadJob`` row keeps the proposal and the progress, and checking and loading are tasks
(:mod:`journey.web.casedata.tasks`) run by ``journey worker``. Nothing in the figures in
use changes until a proposal is accepted, and then everything at once
(:mod:`journey.web.casedata.figures`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from journey.engine.casedata.load import Files, read_files
from journey.engine.casedata.problems import ValidationReport
from journey.engine.casedata.safety import Limits
from journey.engine.casedata.schema import Extract
from journey.engine.casedata.store import AlreadyLoaded, SnapshotNotFound, Store, extract_sha256
from journey.engine.faults import checkpoint
from journey.engine.periods import add_months, last_complete_month
from journey.engine.proposal import (
    Check,
    ExtractFacts,
    FigureDiff,
    check_extract,
    coverage,
    diff_figures,
    extract_facts,
    figures_frame,
)
from journey.web.accounts import audit
from journey.web.background import progress
from journey.web.casedata import figures, slots
from journey.web.casedata.models import DataSnapshot, LoadJob, SnapshotActivation
from journey.web.casedata.slots import check_slot
from journey.web.plans import services as plan_services

log = logging.getLogger(__name__)

MONTHS_COMPUTED = 24
"""How many months of figures a load computes, ending with the extract's month."""


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


def create_job(
    uploads: list[Upload], user: Any, collection_year: int | None = None, *, title: str | None = None
) -> LoadJob:
    """Save the uploaded files (size-capped) and start checking them. ``title`` is what the
    Data loads page calls it (the files' names when not given)."""
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
    from journey.web.casedata.tasks import check_extract

    with transaction.atomic():  # the job and its queued check: both or neither
        job = LoadJob.objects.create(
            original_name=(title or ", ".join(names))[:255],
            stored_path=str(folder),
            size=written,
            sha256=digest.hexdigest(),
            status=LoadJob.Status.CHECKING,
            message="Waiting to be checked",
            created_by=user,
        )
        audit.record(user, "uploaded_extract", job.original_name, job=job.pk, bytes=written)
        check_extract.enqueue(job.pk)
    job.refresh_from_db()
    return job


def _update(job_id: int, **fields: Any) -> None:
    LoadJob.objects.filter(pk=job_id).update(updated_at=timezone.now(), **fields)
    if "progress" in fields:
        progress.report(fields["progress"], fields.get("message", ""))


def _live_key(job_id: int) -> str:
    return f"journey:load-progress:{job_id}"


def _tell(job_id: int, percent: int, message: str) -> None:
    """A running job's progress: on its row, and in the shared cache, where the page reads it
    while the load's own transaction (keeping the figures and putting them in use) hides the
    row's updates from every other connection."""
    cache.set(_live_key(job_id), (percent, message[:500]), timeout=24 * 3600)
    _update(job_id, progress=percent, message=message)


def live_progress(job: LoadJob) -> tuple[int, str]:
    """(percent, message) of a job as its worker last told them."""
    if job.running:
        told = cache.get(_live_key(job.pk))
        if told is not None and told[0] > job.progress:
            return told
    return job.progress, job.message


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


# ------------------------------------------------------------------------ proposals


class NeedsAcknowledgement(Exception):
    """Warnings that must be acknowledged by name before the load can be accepted."""

    def __init__(self, checks: list[Check]) -> None:
        self.checks = checks
        names = ", ".join(c.code for c in checks)
        super().__init__(f"acknowledge these warnings by name to accept the load: {names}")


class ProposalRefused(Exception):
    """The proposal has errors: it cannot be accepted."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


class ProposalOutdated(Exception):
    """The data in use (or the plan) changed since the proposal was made: make it again."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Proposal:
    """A checked extract and what accepting it would change; nothing is changed yet."""

    snapshot_id: str
    files: Files
    extract: Extract
    report: ValidationReport
    checks: list[Check] = field(default_factory=list)
    figures: pl.DataFrame = field(default_factory=figures_frame)
    diff: FigureDiff | None = None
    facts: ExtractFacts | None = None
    #: The active snapshot and plan the diff was made against.
    base: str = ""
    plan_sha256: str = ""
    not_computed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    first_month: str = ""
    last_month: str = ""

    @property
    def errors(self) -> list[str]:
        """Why it cannot be accepted (the extract's errors, then the checks')."""
        out = [str(p) for p in self.report.errors]
        return out + [c.message for c in self.checks if c.severity == "error"]

    @property
    def to_acknowledge(self) -> list[Check]:
        return [c for c in self.checks if c.severity == "acknowledge"]

    @property
    def coverage(self) -> dict[str, list[str]]:
        return coverage(self.figures)

    def summary(self) -> dict[str, Any]:
        """The proposal as JSON for the job page (the figures themselves go to Parquet)."""
        return {
            "snapshot_id": self.snapshot_id,
            "checks": [c.to_dict() for c in self.checks],
            "diff": self.diff.to_dict() if self.diff is not None else None,
            "facts": self.facts.to_dict() if self.facts is not None else None,
            "base": self.base,
            "plan_sha256": self.plan_sha256,
            "not_computed": {k: list(v) for k, v in self.not_computed.items()},
            "first_month": self.first_month,
            "last_month": self.last_month,
            "figures": self.figures.height,
        }


def _current_facts(current: DataSnapshot | None) -> ExtractFacts | None:
    """What the active snapshot holds (from its record, else from the store)."""
    if current is None:
        return None
    if current.facts:
        return ExtractFacts.from_dict(current.facts)
    try:
        stored = store().load_snapshot(current.sha256)
    except SnapshotNotFound:
        return None
    return extract_facts(stored, current.format)


def propose(
    files: Files,
    *,
    as_at: date | None = None,
    format: str | None = None,
    limits: Limits | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> Proposal:
    """Read and check an extract and work out what accepting it would change.

    Nothing is stored. The figures are computed for the active plan's measures over the
    24 months ending with the extract's last complete month, except those whose tables
    the extract does not give (not computed)."""
    from journey.engine.measures import (
        compute_requests,
        not_computable,
        plan_population,
        plan_requests,
    )
    from journey.engine.measures.history import note_understated, rereferral_months

    tell = progress or (lambda percent, message: None)
    tell(5, "Reading and checking the extract")
    extract, report = read_files(
        files, as_at=as_at, format=format, limits=limits or Limits.from_env(),
        progress=lambda fraction, message: tell(5 + int(35 * fraction), message),
    )
    snapshot_id = extract_sha256(files)
    extract.snapshot = snapshot_id
    proposal = Proposal(snapshot_id, files, extract, report)
    current = figures.active_snapshot()
    proposal.base = current.sha256 if current else ""
    version = plan_services.active_plan_version()
    proposal.plan_sha256 = version.sha256 if version else ""
    accepted = DataSnapshot.objects.filter(sha256=snapshot_id).first()
    if accepted is not None:
        where = "the data in use" if accepted.active else "an earlier snapshot: make it active again instead"
        proposal.checks.append(
            Check(
                "already_loaded", "error", "Already loaded",
                f"This extract was accepted before as snapshot {accepted.short_id} "
                f"(by {accepted.accepted_by_name or 'someone'} on "
                f"{timezone.localtime(accepted.accepted_at):%-d %B %Y}); it is {where}.",
            )
        )
    if not report.ok:
        return proposal
    tell(40, "Comparing with the plan and the data in use")
    plan = plan_services.active_plan()
    proposal.facts = extract_facts(extract, report.format or "")
    requests = plan_requests(plan) if plan is not None else []
    proposal.not_computed = not_computable(requests, extract)
    computable = [r for r in requests if r.output_id not in proposal.not_computed]
    last_month = last_complete_month(extract.as_at) if extract.as_at is not None else None
    first_month = add_months(last_month, -(MONTHS_COMPUTED - 1)) if last_month else None
    proposal.checks += check_extract(
        proposal.facts, plan, _current_facts(current), proposal.not_computed, len(computable),
        first_month=first_month,
    )
    if plan is None or not computable or last_month is None or first_month is None:
        return proposal
    proposal.last_month, proposal.first_month = last_month, first_month

    def step(done: int, total: int, measure_id: str) -> None:
        tell(45 + int(40 * done / max(total, 1)), f"Computed {measure_id} ({done} of {total})")

    computed = compute_requests(
        extract, proposal.first_month, proposal.last_month, computable, step,
        population=plan_population(plan),
    )
    # A re-referral figure that cannot see the year before it says so in its note.
    computed = note_understated(computed, proposal.facts.referrals_from, rereferral_months(computable))
    proposal.figures = figures_frame(computed).with_columns(pl.lit(snapshot_id).alias("snapshot"))
    tell(88, "Comparing the figures with those in use")
    proposal.diff = diff_figures(figures.figures_in_use(), proposal.figures, plan)
    checkpoint("proposal-computed")
    tell(95, "Proposal ready")
    return proposal


def accept(
    proposal: Proposal,
    *,
    user: Any,
    by_name: str,
    acknowledged: Iterable[str] = (),
    progress: Callable[[int, str], None] | None = None,
    job_id: int | None = None,
) -> DataSnapshot:
    """Accept a proposal: keep the snapshot, keep its figures and put them in use.

    Refused (nothing changes) when it has errors, when a warning that must be
    acknowledged is not, and when the data in use or the plan changed since it was made
    (:class:`ProposalOutdated`: make it again). Either everything is done or nothing:
    the snapshot store and the database are as before or as after, whatever happens."""
    tell = progress or (lambda percent, message: None)
    if proposal.errors:
        raise ProposalRefused(proposal.errors)
    given = set(acknowledged)
    missing = [c for c in proposal.to_acknowledge if c.code not in given]
    if missing:
        raise NeedsAcknowledgement(missing)
    tell(50, "Waiting for the data lock")
    with figures.data_lock(lambda: tell(50, "Waiting for another load to finish")):
        checkpoint("lock-held")
        figures.recover()
        _still_current(proposal)
        snapshots = store()
        tell(55, "Keeping the snapshot in the store")
        snapshots.begin(proposal.snapshot_id)
        try:
            try:
                snapshots.write(
                    proposal.files, proposal.extract, proposal.report, by=by_name,
                    progress=lambda fraction, message: tell(55 + int(20 * fraction), message),
                )
            except AlreadyLoaded:
                pass  # stored before (an earlier load that was not accepted): keep it
            tell(80, "Keeping the figures and putting them in use")
            snapshot, loaded = _commit(proposal, user=user, by_name=by_name, given=given, job_id=job_id, tell=tell)
        except BaseException:
            with contextlib.suppress(Exception):  # the database may be the trouble
                figures.recover()
            raise
        checkpoint("committed")
        snapshots.finish(proposal.snapshot_id)
    tell(100, loaded)  # the job's final message, said again (not a bare "Loaded" over it)
    return snapshot


def _still_current(proposal: Proposal) -> None:
    current = figures.active_snapshot()
    if (current.sha256 if current else "") != proposal.base:
        who = f" by {current.accepted_by_name}" if current and current.accepted_by_name else ""
        raise ProposalOutdated(
            "The data in use changed since this load was checked (snapshot "
            f"{current.short_id if current else 'none'} is now in use{who}), so what it would "
            "change has changed: it has to be checked again."
        )
    version = plan_services.active_plan_version()
    if (version.sha256 if version else "") != proposal.plan_sha256:
        raise ProposalOutdated(
            "The plan changed since this load was checked, so the figures it would make have "
            "changed: it has to be checked again."
        )


def _commit(
    proposal: Proposal, *, user: Any, by_name: str, given: set[str], job_id: int | None,
    tell: Callable[[int, str], None] | None = None,
) -> tuple[DataSnapshot, str]:
    """The snapshot and its figures in use, in one transaction; with what to tell the user
    (``tell``: rows kept, 80-89%, then rows put in use, 90-99%)."""
    say = tell or (lambda percent, message: None)

    def kept(done: int, total: int) -> None:
        say(80 + int(9 * done / max(total, 1)), f"Keeping the figures: {done:,} of {total:,}")

    def in_use(done: int, total: int) -> None:
        say(90 + int(9 * done / max(total, 1)), f"Putting the figures in use: {done:,} of {total:,} rows written")

    report = proposal.report
    facts = proposal.facts
    with transaction.atomic():
        figures.hold_lock_row(f"accepting {proposal.snapshot_id[:12]} ({by_name})")
        _still_current(proposal)
        authenticated = user is not None and getattr(user, "is_authenticated", False)
        snapshot = DataSnapshot.objects.create(
            sha256=proposal.snapshot_id,
            as_at=proposal.extract.as_at,
            la_code=proposal.extract.la_code or "",
            format=report.format or "",
            files=sorted(proposal.files),
            rows=dict(report.tables),
            present=sorted(proposal.extract.present) if proposal.extract.present is not None else None,
            facts=facts.to_dict() if facts is not None else {},
            based_on=figures.active_snapshot(),
            plan_sha256=proposal.plan_sha256,
            coverage=proposal.coverage,
            not_computed={k: list(v) for k, v in proposal.not_computed.items()},
            acknowledged=[
                {"code": c.code, "message": c.message} for c in proposal.to_acknowledge if c.code in given
            ],
            accepted_by=user if authenticated else None,
            accepted_by_name=by_name,
        )
        snapshot.figures = figures.keep_figures(snapshot, proposal.figures, kept)
        snapshot.save(update_fields=["figures"])
        checkpoint("figures-inserted")
        outcome = figures.switch_active(
            snapshot, kind=SnapshotActivation.Kind.ACCEPTED, user=user, by_name=by_name, progress=in_use
        )
        checkpoint("observations-replaced")
        loaded = _loaded_message(proposal, outcome)
        if job_id is not None:
            summary = LoadJob.objects.get(pk=job_id).summary
            _update(
                job_id, status=LoadJob.Status.DONE, progress=100, snapshot=snapshot.sha256,
                message=loaded, summary={**summary, "outcome": outcome}, finished_at=timezone.now(),
            )
    return snapshot, loaded


def _loaded_message(proposal: Proposal, outcome: dict[str, int]) -> str:
    if proposal.figures.is_empty():
        return f"Loaded as snapshot {proposal.snapshot_id[:12]}, now the data in use. No figures were computed."
    changed = proposal.diff.total if proposal.diff is not None else 0
    return (
        f"Loaded as snapshot {proposal.snapshot_id[:12]}, now the data in use: "
        f"{proposal.figures.height:,} figures for {proposal.first_month} to {proposal.last_month}, "
        f"{changed:,} of them changed from before."
    )


# ---------------------------------------------------------------- the browser's jobs


def _proposal_dir(job: LoadJob) -> Path:
    return Path(f"{job.stored_path}.proposal")


def check_job(job_id: int) -> None:
    """Make the proposal for an uploaded extract: the checks and what it would change.

    At most ``JOURNEY_MAX_CONCURRENT_CHECKS`` run at once (:mod:`.slots`): when every slot
    is taken the job says it is waiting and its check is queued again a little later."""
    job = LoadJob.objects.get(pk=job_id)
    if job.status != LoadJob.Status.CHECKING:
        return  # cancelled meanwhile, or checked already (a task run twice)
    with check_slot() as slot:
        if slot is None:
            _wait_for_a_slot(job)
            return
        _check(job)


def _wait_for_a_slot(job: LoadJob) -> None:
    """Every check slot is taken: say so on the job and try again later, or, where tasks
    cannot be put off (run as they are queued), refuse clearly."""
    from journey.web.casedata.tasks import check_extract

    busy = slots.max_checks()
    many = "1 extract is" if busy == 1 else f"{busy} extracts are"
    if not check_extract.get_backend().supports_defer:
        _update(
            job.pk, status=LoadJob.Status.FAILED,
            message=f"Not checked: {many} being checked already, the most at once. Upload it again when one has finished.",
        )
        return
    retry = timezone.now() + timedelta(seconds=int(settings.JOURNEY_CHECK_RETRY_SECONDS))
    with transaction.atomic():
        _update(
            job.pk,
            message=f"Waiting: {many} being checked already, the most at once. This check starts when one finishes.",
        )
        check_extract.using(run_after=retry).enqueue(job.pk)


def _check(job: LoadJob) -> None:
    job_id = job.pk
    try:
        proposal = propose(
            _files(job), limits=Limits.from_env(),
            progress=lambda percent, message: _update(job_id, progress=percent, message=message),
        )
        folder = _proposal_dir(job)
        folder.mkdir(mode=0o700, exist_ok=True)
        proposal.figures.write_parquet(folder / "figures.parquet")
        report = proposal.report
        errors = proposal.errors
        waiting = proposal.to_acknowledge
        if errors:
            status = LoadJob.Status.REJECTED
            message = f"Rejected: {len(errors)} error(s) must be fixed; nothing was loaded"
        elif waiting:
            status = LoadJob.Status.CHECKED
            message = (
                f"Not ready: {len(waiting)} warning(s) below must be acknowledged before this "
                "can be accepted"
            )
        else:
            status = LoadJob.Status.CHECKED
            counts = report.counts_by_severity()
            message = f"Ready to accept: {counts['warning']} warning(s) in the extract, no errors"
        _update(
            job_id, status=status, progress=100, message=message, kind=report.format or "",
            problems=_problems(report),
            summary={**_summary(report), "proposal": proposal.summary()},
        )
    except Exception as error:  # reported to the user; the details go to the log
        log.exception("checking load job %s failed", job_id)
        _update(job_id, status=LoadJob.Status.FAILED, message=f"The check failed: {error}"[:500])


def job_proposal(job: LoadJob, progress: Callable[[int, str], None] | None = None) -> Proposal:
    """The proposal a checked job showed, with its extract read again (the figures, checks
    and diff as they were shown, so what is accepted is what was seen); ``progress`` is told
    the reading, 1-49%."""
    stored = job.summary.get("proposal") or {}
    files = _files(job)
    diff = stored.get("diff")
    facts = stored.get("facts")
    # The date the proposal was made with (an extract that gives none is taken as at the
    # day it was checked, not the day it is accepted).
    as_at = ExtractFacts.from_dict(facts).as_at if facts else None
    tell = progress or (lambda percent, message: None)
    extract, report = read_files(
        files, as_at=as_at, limits=Limits.from_env(),
        progress=lambda fraction, message: tell(1 + int(48 * fraction), f"Reading the extract again ({message[:1].lower()}{message[1:]})"),
    )
    extract.snapshot = stored.get("snapshot_id")
    return Proposal(
        snapshot_id=stored.get("snapshot_id", ""),
        files=files,
        extract=extract,
        report=report,
        checks=[Check.from_dict(c) for c in stored.get("checks", [])],
        figures=figures_frame(pl.read_parquet(_proposal_dir(job) / "figures.parquet")),
        diff=FigureDiff.from_dict(diff) if diff else None,
        facts=ExtractFacts.from_dict(facts) if facts else None,
        base=stored.get("base", ""),
        plan_sha256=stored.get("plan_sha256", ""),
        not_computed={k: tuple(v) for k, v in stored.get("not_computed", {}).items()},
        first_month=stored.get("first_month", ""),
        last_month=stored.get("last_month", ""),
    )


def needs_acknowledging(job: LoadJob) -> list[Check]:
    stored = job.summary.get("proposal") or {}
    return [Check.from_dict(c) for c in stored.get("checks", []) if c["severity"] == "acknowledge"]


def accept_job(job: LoadJob, user: Any, acknowledged: Iterable[str] = ()) -> bool:
    """Accept a checked extract (in the background); every warning that must be
    acknowledged must be named in ``acknowledged`` (raises :class:`NeedsAcknowledgement`)."""
    given = sorted(set(acknowledged))
    missing = [c for c in needs_acknowledging(job) if c.code not in given]
    if job.status == LoadJob.Status.CHECKED and missing:
        raise NeedsAcknowledgement(missing)
    from journey.web.casedata.tasks import load_extract

    with transaction.atomic():  # accepted and queued: both or neither
        updated = LoadJob.objects.filter(pk=job.pk, status=LoadJob.Status.CHECKED).update(
            status=LoadJob.Status.QUEUED, progress=0, message="Accepted: waiting to load",
            accepted_by=user, updated_at=timezone.now(),
            summary={**job.summary, "acknowledged": given},
        )
        if not updated:
            return False
        audit.record(user, "accepted_extract", job.original_name, job=job.pk, sha256=job.sha256,
                     acknowledged=given)
        load_extract.enqueue(job.pk)
    return True


def cancel_job(job: LoadJob, user: Any) -> bool:
    updated = LoadJob.objects.filter(
        pk=job.pk, status__in=[LoadJob.Status.CHECKED, LoadJob.Status.REJECTED]
    ).update(status=LoadJob.Status.CANCELLED, message="Cancelled: nothing was loaded",
             updated_at=timezone.now())
    if updated:
        shutil.rmtree(job.stored_path, ignore_errors=True)
        shutil.rmtree(_proposal_dir(job), ignore_errors=True)
        audit.record(user, "cancelled_extract", job.original_name, job=job.pk)
    return bool(updated)


def load_job(job_id: int) -> None:
    """Accept the job's proposal: store the snapshot and put its figures in use."""
    job = LoadJob.objects.select_related("accepted_by").get(pk=job_id)
    if job.status not in (LoadJob.Status.QUEUED, LoadJob.Status.LOADING):
        return  # done already, or no longer wanted
    user = job.accepted_by
    accepted = DataSnapshot.objects.filter(sha256=job.summary.get("proposal", {}).get("snapshot_id"))
    if job.status == LoadJob.Status.LOADING and accepted.exists():
        # Run again after its worker stopped just after the commit: it is loaded.
        _update(job_id, status=LoadJob.Status.DONE, progress=100, message="Loaded",
                snapshot=accepted.get().sha256, finished_at=timezone.now())
        return
    _update(job_id, status=LoadJob.Status.LOADING, progress=1, message="Loading")
    try:
        accept(
            job_proposal(job, progress=lambda percent, message: _tell(job_id, percent, message)),
            user=user, by_name=user.get_username() if user else "",
            acknowledged=job.summary.get("acknowledged", []), job_id=job_id,
            progress=lambda percent, message: _tell(job_id, percent, message),
        )
    except ProposalOutdated as outdated:
        _update(job_id, status=LoadJob.Status.CHECKING, progress=0, message=outdated.message[:500])
        check_job(job_id)
        job.refresh_from_db()
        note = f"{outdated.message} It was checked again: see what it would change now."
        LoadJob.objects.filter(pk=job_id).update(summary={**job.summary, "outdated": note})
        return
    except Exception as error:
        log.exception("load job %s failed", job_id)
        _update(job_id, status=LoadJob.Status.FAILED,
                message=f"The load failed and nothing was changed: {error}"[:500],
                finished_at=timezone.now())
        return
    shutil.rmtree(job.stored_path, ignore_errors=True)
    shutil.rmtree(_proposal_dir(job), ignore_errors=True)


@dataclass(frozen=True)
class JobPage:
    """A load's proposal as the job page shows it."""

    errors: list[Check]
    to_acknowledge: list[Check]
    information: list[Check]
    diff: FigureDiff | None
    moves: list[Any]
    base: DataSnapshot | None
    first_month: str
    last_month: str
    figures: int
    outdated: str
    outcome: dict[str, int]

    @property
    def has_checks(self) -> bool:
        return bool(self.errors or self.to_acknowledge or self.information)


#: How many of the largest moves the job page lists.
MOVES_SHOWN = 50


def job_page(job: LoadJob) -> JobPage | None:
    stored = job.summary.get("proposal")
    if not stored:
        return None
    checks = [Check.from_dict(c) for c in stored.get("checks", [])]
    diff = FigureDiff.from_dict(stored["diff"]) if stored.get("diff") else None
    base = DataSnapshot.objects.filter(sha256=stored["base"]).first() if stored.get("base") else None
    return JobPage(
        errors=[c for c in checks if c.severity == "error"],
        to_acknowledge=[c for c in checks if c.severity == "acknowledge"],
        information=[c for c in checks if c.severity == "information"],
        diff=diff,
        moves=diff.moves[:MOVES_SHOWN] if diff else [],
        base=base,
        first_month=stored.get("first_month", ""),
        last_month=stored.get("last_month", ""),
        figures=stored.get("figures", 0),
        outdated=job.summary.get("outdated", ""),
        outcome=job.summary.get("outcome", {}),
    )


@dataclass(frozen=True)
class SnapshotPage:
    """One accepted snapshot: what it holds and when it was the data in use."""

    snapshot: DataSnapshot
    based_on: DataSnapshot | None
    measures: int
    months: tuple[str, str] | None
    not_computed: list[tuple[str, list[str]]]
    activations: list[SnapshotActivation]
    stored: bool


def snapshot_page(snapshot: DataSnapshot) -> SnapshotPage:
    plan = plan_services.active_plan()
    titles = {m.id: m.title for m in plan.measures} if plan is not None else {}
    periods = sorted({p for ps in snapshot.coverage.values() for p in ps})
    try:
        store().get(snapshot.sha256)
        stored = True
    except SnapshotNotFound:
        stored = False
    return SnapshotPage(
        snapshot=snapshot,
        based_on=snapshot.based_on,
        measures=len(snapshot.coverage),
        months=(periods[0], periods[-1]) if periods else None,
        not_computed=[(titles.get(m, m), tables) for m, tables in sorted(snapshot.not_computed.items())],
        activations=list(
            SnapshotActivation.objects.filter(snapshot=snapshot).select_related("previous")[:50]
        ),
        stored=stored,
    )


def fail_interrupted(job_id: int) -> None:
    """The worker running this job's check or load stopped (three times): say so. A load
    that stopped changed nothing; the next one finishes what it left in the store."""
    LoadJob.objects.filter(pk=job_id, status__in=list(LoadJob.RUNNING)).update(
        status=LoadJob.Status.FAILED, finished_at=timezone.now(), updated_at=timezone.now(),
        message="Interrupted (the worker running it stopped); nothing was changed. Upload the extract again.",
    )
