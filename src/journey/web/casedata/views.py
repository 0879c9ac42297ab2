"""Loading extracts and figures from the browser (the performance and data team)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from journey.web.accounts import audit
from journey.web.accounts.access import requires
from journey.web.accounts.roles import Capability
from journey.web.casedata import figures, services
from journey.web.casedata.forms import (
    AcceptForm,
    ActivateForm,
    ExtractUploadForm,
    ObservationsImportForm,
)
from journey.web.casedata.models import DataSnapshot, LoadJob
from journey.web.forms import error_summary
from journey.web.plans import services as plan_services
from journey.web.plans.models import ObservationImport


def _loads_page(request: HttpRequest, errors: dict[str, str] | None = None,
                import_problems: list[str] | None = None, status: int = 200) -> HttpResponse:
    figures.recover_if_free()
    return render(
        request,
        "casedata/loads.html",
        {
            "jobs": LoadJob.objects.select_related("created_by")[:25],
            "imports": ObservationImport.objects.select_related("imported_by")[:10],
            "snapshots": DataSnapshot.objects.select_related("accepted_by")[:25],
            "errors": errors or {},
            "import_problems": import_problems or [],
            "max_mb": settings.JOURNEY_MAX_UPLOAD_MB,
            "plan_loaded": plan_services.active_plan_version() is not None,
        },
        status=status,
    )


@require_GET
@requires(Capability.LOAD_DATA)
def loads(request: HttpRequest) -> HttpResponse:
    return _loads_page(request)


@requires(Capability.LOAD_DATA)
def upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("casedata:loads")
    form = ExtractUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _loads_page(request, error_summary(form), status=400)
    uploads = [services.Upload(f.name, f.size, f.chunks) for f in form.cleaned_data["extract"]]
    try:
        job = services.create_job(
            uploads, request.user, collection_year=form.cleaned_data["collection_year"]
        )
    except services.UploadRefused as refused:
        return _loads_page(request, {refused.field: refused.message}, status=400)
    return redirect("casedata:job", pk=job.pk)


@requires(Capability.LOAD_DATA)
def import_observations(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("casedata:loads")
    form = ObservationsImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _loads_page(request, error_summary(form), status=400)
    upload = form.cleaned_data["observations"]
    try:
        result = plan_services.import_observations(upload, request.user, file_name=upload.name)
    except plan_services.ImportRejected as rejected:
        return _loads_page(
            request,
            {"observations": f"Nothing was imported from {upload.name}: {len(rejected.problems)} problem(s)"},
            rejected.problems,
            status=400,
        )
    messages.success(
        request,
        f"Imported {result.rows} figures from {upload.name}: {result.created} new, "
        f"{result.changed} changed, {result.unchanged} unchanged.",
    )
    return redirect("casedata:loads")


@require_GET
@requires(Capability.LOAD_DATA)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One import of figures: what it changed, old → new."""
    record = get_object_or_404(ObservationImport.objects.select_related("imported_by"), pk=pk)
    return render(request, "casedata/import_detail.html", {"record": record})


def _job_page(request: HttpRequest, load_job: LoadJob, errors: dict[str, str] | None = None,
              status: int = 200) -> HttpResponse:
    if load_job.problems:
        # The report quotes values from the extract, child identifiers among them.
        audit.record(
            request.user, "viewed_validation_report", load_job.original_name,
            job=load_job.pk, problems=len(load_job.problems),
        )
    load_job.progress, load_job.message = services.live_progress(load_job)  # shown, never saved
    return render(
        request,
        "casedata/job.html",
        {"job": load_job, "proposal": services.job_page(load_job), "errors": errors or {}},
        status=status,
    )


@require_GET
@requires(Capability.LOAD_DATA, child_records=True)
def job(request: HttpRequest, pk: int) -> HttpResponse:
    load_job = get_object_or_404(LoadJob.objects.select_related("created_by", "accepted_by"), pk=pk)
    return _job_page(request, load_job)


@require_GET
@requires(Capability.LOAD_DATA, child_records=True)
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress panel alone, polled by htmx while the job runs."""
    load_job = get_object_or_404(LoadJob, pk=pk)
    load_job.progress, load_job.message = services.live_progress(load_job)  # shown, never saved
    response = render(request, "casedata/_job_status.html", {"job": load_job})
    if request.headers.get("HX-Request") and not load_job.running:
        response["HX-Refresh"] = "true"  # show the report or the result in full
    return response


@requires(Capability.LOAD_DATA, child_records=True)
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    load_job = get_object_or_404(LoadJob.objects.select_related("created_by", "accepted_by"), pk=pk)
    if request.method != "POST":
        return redirect("casedata:job", pk=pk)
    form = AcceptForm(request.POST, codes=[c.code for c in services.needs_acknowledging(load_job)])
    if not form.is_valid():
        return _job_page(request, load_job, error_summary(form), status=400)
    try:
        accepted = services.accept_job(load_job, request.user, form.cleaned_data["acknowledge"])
    except services.NeedsAcknowledgement as needed:
        errors = {
            f"acknowledge-{c.code}": f"Tick to acknowledge: {c.title.lower()}" for c in needed.checks
        }
        return _job_page(request, load_job, errors, status=400)
    if accepted:
        messages.success(request, "Accepted: the extract is being loaded.")
    else:
        messages.error(request, "This extract cannot be accepted now.")
    return redirect("casedata:job", pk=pk)


@requires(Capability.LOAD_DATA)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    load_job = get_object_or_404(LoadJob, pk=pk)
    if request.method == "POST" and services.cancel_job(load_job, request.user):
        messages.success(request, "Cancelled: nothing was loaded.")
    return redirect("casedata:job", pk=pk)


@require_GET
@requires(Capability.LOAD_DATA)
def snapshot(request: HttpRequest, sha256: str) -> HttpResponse:
    """One accepted snapshot: what it holds, what was acknowledged, when it was in use."""
    return _snapshot_page(request, get_object_or_404(DataSnapshot, sha256=sha256))


def _snapshot_page(request: HttpRequest, kept: DataSnapshot, errors: dict[str, str] | None = None,
                   reason: str = "", status: int = 200) -> HttpResponse:
    return render(
        request,
        "casedata/snapshot.html",
        {"page": services.snapshot_page(kept), "errors": errors or {}, "reason": reason},
        status=status,
    )


@requires(Capability.LOAD_DATA)
def activate(request: HttpRequest, sha256: str) -> HttpResponse:
    """Make an earlier snapshot the data in use again (a reason is required)."""
    kept = get_object_or_404(DataSnapshot, sha256=sha256)
    if request.method != "POST":
        return redirect("casedata:snapshot", sha256=sha256)
    form = ActivateForm(request.POST)
    if not form.is_valid():
        return _snapshot_page(request, kept, error_summary(form), form["reason"].value() or "", status=400)
    reason = form.cleaned_data["reason"]
    try:
        outcome = figures.activate(
            kept, user=request.user, by_name=request.user.get_username(), reason=reason
        )
    except figures.ActivationRefused as refused:
        return _snapshot_page(request, kept, {"reason": refused.message}, reason, status=400)
    changed = outcome["added"] + outcome["changed"] + outcome["removed"]
    messages.success(
        request, f"Snapshot {kept.short_id} is now the data in use: {changed:,} figures changed back."
    )
    return redirect("casedata:snapshot", sha256=sha256)
