"""Pages to write and approve the sections of the scrutiny and quarterly reports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from journey.engine.periods import is_month, last_complete_month, month_label
from journey.engine.plan import Plan
from journey.web.accounts.access import SignedInRequest, requires
from journey.web.accounts.roles import Capability
from journey.web.reporttext import services
from journey.web.reporttext.forms import TextForm
from journey.web.reporttext.models import ReportText


def _plan() -> Plan:
    from journey.web.plans.services import active_plan

    plan = active_plan()
    if plan is None:
        raise Http404("No improvement plan is loaded yet")
    return plan


def _checked(kind: str, period: str) -> None:
    if kind not in services.KINDS or not is_month(period):
        raise Http404("No such report")


@require_GET
@requires(Capability.WRITE_NARRATIVE)
def index(request: SignedInRequest) -> HttpResponse:
    latest = last_complete_month(timezone.localdate())
    return render(request, "reporttext/index.html", {"kinds": services.KINDS.items(), "month": latest, "month_label": month_label(latest)})


@require_GET
@requires(Capability.WRITE_NARRATIVE)
def sections(request: SignedInRequest, kind: str, period: str) -> HttpResponse:
    _checked(kind, period)
    entries = services.overview(kind, period, _plan())
    return render(
        request, "reporttext/sections.html",
        {"kind": kind, "kind_label": services.KINDS[kind], "period": period, "period_label": month_label(period),
         "entries": entries, "approved": sum(e.approved for e in entries)},
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.WRITE_NARRATIVE)
def edit(request: SignedInRequest, kind: str, period: str, section: str) -> HttpResponse:
    _checked(kind, period)
    found = {s.key: s for s in services.sections(kind, _plan())}
    if section not in found:
        raise Http404("No such section in this report")
    item = ReportText.objects.filter(kind=kind, period=period, section=section).select_related("approved_revision").first()
    version = item.version if item else 0
    form = TextForm(initial={"text": item.text if item else "", "version": version, "intent": "save"})
    status = 200
    if request.method == "POST":
        form = TextForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["intent"] == "approve":
                    services.approve(request.user, kind, period, section, base_version=data["version"])
                    messages.success(request, f"{found[section].title} approved: it will appear in the report.")
                else:
                    services.save(request.user, kind, period, section, data["text"], base_version=data["version"])
                    messages.success(request, "Saved as a draft. A director approves it before it appears in the report.")
            except (services.TextConflict, services.SectionPublished, ValueError, ReportText.DoesNotExist,
                    PermissionDenied) as exc:
                messages.error(request, str(exc))
            return redirect("reporttext:edit", kind=kind, period=period, section=section)
        status = 400
    return render(
        request, "reporttext/edit.html",
        {"kind": kind, "kind_label": services.KINDS[kind], "period": period, "period_label": month_label(period),
         "section": found[section], "item": item, "form": form, "version": version,
         "final_since": (final := services.is_final(item, period)),
         "can_approve": services.can_approve(request.user) and item is not None and bool(item.text)
         and not item.approved_is_current and final is None,
         "history": services.history(kind, period, section)},
        status=status,
    )
