"""Dashboard, measure pages, manual figures and the plan file itself."""

from __future__ import annotations

import difflib
import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import condition, require_GET, require_http_methods

from journey.web.accounts import audit
from journey.web.accounts.access import SignedInRequest, requires
from journey.web.accounts.roles import Capability
from journey.web.forms import add_errors, error_summary
from journey.web.plans import conditional, drilldown, pages, services
from journey.web.plans.forms import ManualFigureForm, PlanEditForm, PlanUploadForm, problems_of
from journey.web.plans.models import PlanVersion

REVALIDATE = cache_control(private=True, no_cache=True)
"""Browsers keep the page but ask each time; the ETag makes the answer 304 when unchanged."""

# ---------------------------------------------------------------------- dashboard


@require_GET
@requires(Capability.VIEW_AGGREGATES)
@REVALIDATE
@condition(etag_func=conditional.page_etag)
def dashboard(request: SignedInRequest) -> HttpResponse:
    filters = pages.DashboardFilters.from_query(request.GET)
    context = pages.dashboard(request.user, request.GET.get("month"), filters)
    return render(
        request,
        "plans/dashboard.html",
        {
            "page": context,
            "body": pages.dashboard_body(context, filters) if context.month else "",
            "filters": filters,
            "can_configure": request.user.can(Capability.CONFIGURE_PLAN),
            "plan_unreadable": context.plan is None and services.active_plan_version() is not None,
        },
    )


@require_GET
@requires(Capability.VIEW_AGGREGATES)
@REVALIDATE
@condition(etag_func=conditional.page_etag)
def measure(request: HttpRequest, measure_id: str) -> HttpResponse:
    page = pages.measure_page(request.user, measure_id, request.GET.get("month"))
    if page is None:
        raise Http404("No such measure in the active plan.")
    return render(request, "plans/measure.html", {"page": page})


@require_GET
@requires(Capability.VIEW_AGGREGATES)
@REVALIDATE
@condition(etag_func=conditional.chart_etag)
def measure_chart(request: HttpRequest, measure_id: str) -> HttpResponse:
    """The chart as an SVG image, kept by the browser until the figures change."""
    svg = pages.measure_chart(request.user, measure_id, request.GET.get("month"))
    if svg is None:
        raise Http404("No chart for this measure and month.")
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


@never_cache
@require_GET
@requires(Capability.VIEW_CHILD_LEVEL)
def child_list(request: HttpRequest, measure_id: str) -> HttpResponse:
    """The children behind a figure as a work list: role-checked, and every view and
    download is audited with what was asked for."""
    form = drilldown.WorkListForm(request.GET)
    listing = drilldown.child_list_for(measure_id, form)
    if listing is None:
        raise Http404("No such measure in the active plan.")
    export = form.value("format")
    if listing.available:
        audit.record(
            request.user,
            "exported_child_list" if export else "viewed_child_list",
            f"{measure_id} {listing.choice}",
            measure=measure_id,
            month=listing.month,
            as_at=listing.as_at,
            rows=len(listing.rows),
            show=listing.show,
            **listing.chosen,
            **({"format": export} if export else {}),
        )
    if export:
        if not listing.available:
            raise Http404("No child-level list for this measure.")
        return drilldown.xlsx_response(listing) if export == "xlsx" else drilldown.csv_response(listing)
    return render(request, "plans/child_list.html", {"listing": listing})


# ---------------------------------------------------------------- manual figures


@require_http_methods(["GET", "POST"])
@requires(Capability.ENTER_MANUAL_FIGURES)
def manual_entry(request: HttpRequest, measure_id: str) -> HttpResponse:
    plan = services.active_plan()
    measure = services.find_measure(plan, measure_id) if plan else None
    if measure is None:
        raise Http404("No such measure in the active plan.")
    if measure.source.kind != "manual":
        raise Http404("This measure is computed from case data, not entered by hand.")
    from journey.web.plans import manual

    allowed = manual.may_enter(request.user, measure)
    if request.method == "POST" and not allowed:
        raise PermissionDenied(
            f"Only the measure's owner ({measure.owner or 'not named'}) or the data team may "
            "enter its figures."
        )

    errors: dict[str, str] = {}
    values = {"month": request.GET.get("month", ""), "value": "", "note": ""}
    if request.method == "POST":
        form = ManualFigureForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                outcome = manual.enter_figure(
                    request.user, measure, data["month"], data["value"], data["note"]
                )
            except manual.FigureRefused as refused:
                add_errors(form, refused.errors)
            else:
                messages.success(request, outcome.message)
                return redirect(f"{request.path}?month={outcome.observation.period}")
        errors = error_summary(form)
        values = form.values()
    history = manual.history(measure.id)
    return render(
        request,
        "plans/manual_entry.html",
        {"measure": measure, "errors": errors, "values": values, "history": history,
         "allowed": allowed},
        status=400 if errors else 200,
    )


# -------------------------------------------------------------------- the plan file


def _plan_page(request: HttpRequest, problems=None, status: int = 200) -> HttpResponse:
    version = services.active_plan_version()
    plan = services.active_plan()
    return render(
        request,
        "plans/plan.html",
        {
            "version": version,
            "plan": plan,
            "active_problems": services.active_plan_problems() if version and plan is None else [],
            "versions": PlanVersion.objects.select_related("created_by")[:50],
            "problems": problems or [],
            "max_mb": settings.JOURNEY_MAX_UPLOAD_MB,
        },
        status=status,
    )


@require_GET
@requires(Capability.CONFIGURE_PLAN)
def plan(request: HttpRequest) -> HttpResponse:
    return _plan_page(request)


@requires(Capability.CONFIGURE_PLAN)
def plan_upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("plans:plan")
    form = PlanUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        sent = form.files.get("plan_file")
        return _plan_page(request, problems_of(form, (sent.name or "") if sent else ""), 400)
    upload = form.cleaned_data["plan_file"]
    try:
        _version, created = services.save_plan_version(
            form.cleaned_data["text"], filename=upload.name, user=request.user,
            origin=PlanVersion.Origin.UPLOAD,
        )
    except services.PlanRejected as rejected:
        return _plan_page(request, rejected.problems, 400)
    messages.success(
        request,
        f"{upload.name} is now the active plan." if created else "That file is the active plan already.",
    )
    return redirect("plans:plan")


@require_http_methods(["GET", "POST"])
@requires(Capability.CONFIGURE_PLAN)
def plan_edit(request: HttpRequest) -> HttpResponse:
    version = services.active_plan_version()
    current = PlanVersion.objects.get(pk=version.pk).text if version else ""
    text = current
    based_on = version.pk if version else 0
    problems: list = []
    conflict = None
    status = 200
    if request.method == "POST":
        form = PlanEditForm(request.POST)
        if not form.is_valid():
            return render(
                request,
                "plans/plan_edit.html",
                {"text": form.data.get("text", ""), "problems": problems_of(form),
                 "version": version, "based_on": based_on, "conflict": None},
                status=400,
            )
        text = form.cleaned_data["text"]
        filename = version.filename if version else "plan.yaml"
        try:
            _version, created = services.save_plan_version(
                text, filename=filename, user=request.user, origin=PlanVersion.Origin.EDIT,
                note=form.cleaned_data["note"].strip(), based_on=form.cleaned_data["based_on"],
            )
        except services.PlanRejected as rejected:
            problems = rejected.problems
            based_on = form.cleaned_data["based_on"]
            status = 400
        except services.PlanChanged as changed:
            started = changed.based_on.text if changed.based_on else ""
            now = changed.current.text if changed.current else ""
            conflict = {
                "current": changed.current,
                "diff": "".join(
                    difflib.unified_diff(
                        started.splitlines(keepends=True), now.splitlines(keepends=True),
                        fromfile="the version you started from", tofile="the plan now",
                    )
                ),
            }
            # Saving again now replaces the newer version knowingly: the diff has been shown.
            based_on = changed.current.pk if changed.current else 0
            status = 409
        else:
            messages.success(
                request, "The plan was saved and is now active." if created else "No changes to save."
            )
            return redirect("plans:plan")
    return render(
        request,
        "plans/plan_edit.html",
        {"text": text, "problems": problems, "version": version, "based_on": based_on,
         "conflict": conflict},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.CONFIGURE_PLAN)
def plan_owners(request: HttpRequest) -> HttpResponse:
    """Who owns each measure and action, by account or team; changes make a new plan version."""
    from journey.web.plans import owners

    problems: list = []
    status = 200
    if request.method == "POST":
        try:
            saved = owners.save_owners(request.user, request.POST)
        except services.PlanChanged:
            messages.error(request, "The plan changed while you were choosing: nothing was saved. Choose again below.")
            return redirect("plans:plan_owners")
        except services.PlanRejected as rejected:
            problems, status = rejected.problems, 400
        else:
            if isinstance(saved, owners.OwnersForm):
                messages.error(request, "Nothing was saved: " + " ".join(error_summary(saved).values()))
                return redirect("plans:plan_owners")
            _version, count = saved
            messages.success(
                request,
                f"Saved {count} new owner{'s' if count != 1 else ''} as a new version of the plan." if count
                else "No owners were changed.",
            )
            return redirect("plans:plan_owners")
    page = owners.owners_page()
    if page is None:
        raise Http404("No plan has been loaded yet.")
    return render(request, "plans/plan_owners.html", {"page": page, "problems": problems, "remove": owners.REMOVE}, status=status)


@requires(Capability.CONFIGURE_PLAN)
def plan_version(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(PlanVersion.objects.select_related("created_by"), pk=pk)
    if request.method == "POST":
        try:
            services.activate_plan_version(version, request.user)
        except services.PlanRejected as rejected:
            return _plan_page(request, rejected.problems, 400)
        messages.success(request, f"Version {version.pk} ({version.filename}) is the active plan again.")
        return redirect("plans:plan")
    if request.GET.get("download"):
        response = HttpResponse(version.text, content_type="application/yaml; charset=utf-8")
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", version.filename) or "plan.yaml"
        response["Content-Disposition"] = content_disposition_header(True, safe_name) or "attachment"
        return response
    return render(request, "plans/plan_version.html", {"version": version})
