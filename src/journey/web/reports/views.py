"""The Reports page: choose a report, month and format; watch it build; download it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journey.engine.periods import month_label
from journey.web.accounts.access import SignedInRequest, requires
from journey.web.accounts.roles import Capability
from journey.web.background.services import no_worker_running
from journey.web.forms import error_summary
from journey.web.plans.services import months_available
from journey.web.reports import services
from journey.web.reports.forms import ReportRequestForm
from journey.web.reports.models import ReportBuild


def _may_read(user: Any, build: ReportBuild) -> None:
    """Board members and scrutiny councillors read final reports only: a DRAFT carries
    narrative nobody has signed off, so it stays with the staff preparing the pack."""
    if user.can(Capability.BUILD_REPORTS):
        return
    if build.draft or build.status != ReportBuild.Status.DONE:
        raise PermissionDenied(
            "This report is a draft, or not finished: board members and scrutiny councillors see "
            "a report once its narrative is approved and it is final."
        )


@require_http_methods(["GET", "POST"])
@requires(Capability.READ_REPORTS)
def index(request: SignedInRequest) -> HttpResponse:
    months = list(reversed(months_available()))
    errors: dict[str, str] = {}
    chosen = {"kind": "monthly", "period": months[0] if months else "", "format": "pdf"}
    can_build = request.user.can(Capability.BUILD_REPORTS)
    if request.method == "POST" and not can_build:
        raise PermissionDenied(
            "Reports are built by staff preparing the pack; you can read and download the final ones here."
        )
    if request.method == "POST":
        form = ReportRequestForm(
            request.POST,
            kinds=services.KINDS,
            months=[(m, month_label(m)) for m in months],
            formats=services.formats(),
        )
        chosen = {name: form.data.get(name, "") for name in chosen}
        if form.is_valid():
            data = form.cleaned_data
            try:
                build = services.request_build(request.user, data["kind"], data["period"], data["format"])
            except services.ReportUnavailable as exc:
                form.add_error("kind", str(exc))
            else:
                return redirect("reports:status", pk=build.pk)
        errors = error_summary(form)
    return render(
        request,
        "reports/index.html",
        {
            "kinds": services.KINDS,
            "formats": services.formats(),
            "months": [(m, month_label(m)) for m in months],
            "chosen": chosen,
            "errors": errors,
            "perms_write_text": getattr(request.user, "can", lambda _: False)(Capability.WRITE_NARRATIVE),
            "can_build": can_build,
            "builds": [
                b for b in services.recent_builds()
                if can_build or (b.status == ReportBuild.Status.DONE and not b.draft)
            ],
        },
        status=400 if errors else 200,
    )


@require_GET
@requires(Capability.READ_REPORTS)
def status(request: SignedInRequest, pk: int) -> HttpResponse:
    build = get_object_or_404(ReportBuild.objects.defer("content"), pk=pk)
    _may_read(request.user, build)
    published = services.publication(build.period) if build.kind == "monthly" else None
    return render(
        request,
        "reports/status.html",
        {
            "published": published,
            "build": build,
            "kind_label": dict(services.KINDS).get(build.kind, build.kind),
            "period_label": month_label(build.period),
            "no_worker": build.status == ReportBuild.Status.QUEUED and no_worker_running(),
            "can_publish": request.user.can(Capability.APPROVE_NARRATIVE)
            and build.kind == "monthly" and build.status == ReportBuild.Status.DONE and not build.draft
            and published is None,
        },
    )


@require_GET
@requires(Capability.READ_REPORTS)
def download(request: SignedInRequest, pk: int) -> HttpResponse:
    build = get_object_or_404(ReportBuild, pk=pk)
    _may_read(request.user, build)
    if build.status != ReportBuild.Status.DONE or build.content is None:
        raise Http404("This report has not been built.")
    services.downloaded(request.user, build)
    response = HttpResponse(bytes(build.content), content_type=build.media_type)
    response["Content-Disposition"] = f'attachment; filename="{build.filename}"'
    response["Content-Length"] = str(build.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@requires(Capability.APPROVE_NARRATIVE)
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    build = get_object_or_404(ReportBuild.objects.defer("content"), pk=pk)
    try:
        count = services.publish(request.user, build)
    except services.ReportUnavailable as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Published: {month_label(build.period)} is frozen as this report shows it, and the approved narrative of {count} measure{'s' if count != 1 else ''} is recorded as published with it.")
    return redirect("reports:status", pk=build.pk)
