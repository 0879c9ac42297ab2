"""Narrative pages: a month's overview, the edit page, sign-off queue, review and history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journey.engine.periods import is_month, last_complete_month, month_label
from journey.web.accounts.access import requires
from journey.web.accounts.roles import Capability
from journey.web.narrative import services
from journey.web.narrative.forms import ConfirmFiguresForm, DecisionForm, NarrativeForm
from journey.web.narrative.planlink import measure_trend, measure_url, months_with_figures


def _month_or_404(month: str) -> str:
    if not is_month(month):
        raise Http404("Not a month in the form YYYY-MM")
    return month


def _entry_or_404(request: HttpRequest, measure_id: str, month: str):
    entry = services.measure_narrative(request.user, measure_id, _month_or_404(month))
    if entry is None:
        raise Http404("That measure is not in the active plan")
    return entry


def _default_month(with_figures: list[str]) -> str:
    """The newest month with figures; the last complete month before any figures exist."""
    return with_figures[-1] if with_figures else last_complete_month(timezone.localdate())


def _month_choices(chosen: str, with_figures: list[str]) -> list[dict[str, object]]:
    """Every month with figures, newest first, and the month shown even if it has none."""
    months = set(with_figures) | {chosen}
    return [
        {"value": m, "label": month_label(m), "selected": m == chosen}
        for m in sorted(months, reverse=True)
    ]


@require_GET
@requires(Capability.WRITE_NARRATIVE)
def index(request: HttpRequest) -> HttpResponse:
    with_figures = months_with_figures()
    month = request.GET.get("month") or ""
    if not is_month(month):
        month = _default_month(with_figures)
    mine_only = request.GET.get("mine") == "1"
    rows = services.month_overview(request.user, month, mine_only=mine_only)
    return render(
        request,
        "narrative/index.html",
        {
            "rows": rows,
            "month": month,
            "month_label": month_label(month),
            "months": _month_choices(month, with_figures),
            "mine_only": mine_only,
            "can_approve": services.can_approve(request.user),
            "plan_loaded": services.current_plan() is not None,
        },
    )


def _edit_context(request, entry, form, *, conflict=None):
    narrative = entry.narrative
    returned_comment = ""
    if narrative is not None and narrative.state == "returned":
        last = narrative.revisions.filter(event="returned").order_by("-at", "-id").first()
        returned_comment = last.comment if last else ""
    return {
        "entry": entry,
        "form": form,
        "can_write": services.can_write(request.user, entry.owner),
        "can_approve": services.can_approve(request.user),
        "conflict": conflict,
        "current_answers": services.answers_of(conflict.narrative) if conflict else None,
        "approved_answers": entry.approved.answers if entry.approved else None,
        "working_answers": services.answers_of(narrative) if narrative else None,
        "returned_comment": returned_comment,
        "month_label": month_label(entry.month),
        "measure_href": measure_url(entry.measure_id, entry.month),
        "trend": measure_trend(request.user, entry.measure_id, entry.month),
        "figure_check": entry.approved.figure_check if entry.approved else None,
        "confirm_form": ConfirmFiguresForm(initial={"version": narrative.version if narrative else 0}),
    }


@require_http_methods(["GET", "POST"])
@requires(Capability.WRITE_NARRATIVE)
def edit(request: HttpRequest, measure_id: str, month: str) -> HttpResponse:
    entry = _entry_or_404(request, measure_id, month)
    allowed = services.can_write(request.user, entry.owner)
    if request.method == "GET":
        source = entry.narrative
        initial = {n: getattr(source, n, "") for n in services.FIELDS} if source else {}
        initial["version"] = source.version if source else 0
        initial["intent"] = "save"
        return render(request, "narrative/edit.html", _edit_context(request, entry, NarrativeForm(initial=initial)))

    if not allowed:
        raise PermissionDenied("Only the measure's owner, the data team or a director can write this narrative.")
    form = NarrativeForm(request.POST)
    if not form.is_valid():
        return render(request, "narrative/edit.html", _edit_context(request, entry, form), status=400)
    submit = form.cleaned_data["intent"] == "submit"
    try:
        result = services.save(
            request.user, measure_id, entry.month, form.cleaned_data,
            base_version=form.cleaned_data["version"], submit=submit,
        )
    except services.NarrativeConflict as conflict:
        entry = _entry_or_404(request, measure_id, month)
        data = {n: form.cleaned_data.get(n, "") for n in services.FIELDS}
        data.update(version=conflict.narrative.version, intent="save")
        form = NarrativeForm(initial=data)
        return render(
            request, "narrative/edit.html",
            _edit_context(request, entry, form, conflict=conflict), status=409,
        )
    except services.NarrativeError as error:
        form.add_error(None, str(error))
        return render(request, "narrative/edit.html", _edit_context(request, entry, form), status=400)
    if not result.changed:
        messages.info(request, "There were no changes to save.")
    elif submit:
        messages.success(request, "Narrative submitted for sign-off by a director.")
    else:
        messages.success(request, "Draft saved. " + " ".join(result.messages))
    return redirect("narrative:edit", measure_id=measure_id, month=entry.month)


@require_GET
@requires(Capability.APPROVE_NARRATIVE)
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "narrative/queue.html", {"entries": services.sign_off_queue()})


@require_http_methods(["GET", "POST"])
@requires(Capability.APPROVE_NARRATIVE)
def review(request: HttpRequest, measure_id: str, month: str) -> HttpResponse:
    entry = _entry_or_404(request, measure_id, month)
    narrative = entry.narrative
    version = narrative.version if narrative else 0
    approve_form = DecisionForm(initial={"version": version, "decision": "approve"})
    return_form = DecisionForm(initial={"version": version, "decision": "return"})
    status = 200
    error = ""
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            decision = form.cleaned_data["decision"]
            try:
                if decision == "approve":
                    services.approve(
                        request.user, measure_id, entry.month,
                        base_version=form.cleaned_data["version"],
                        comment=form.cleaned_data.get("comment", ""),
                    )
                    messages.success(request, f"Narrative for {entry.title} approved.")
                else:
                    services.return_for_changes(
                        request.user, measure_id, entry.month,
                        base_version=form.cleaned_data["version"],
                        comment=form.cleaned_data["comment"],
                    )
                    messages.success(request, f"Narrative for {entry.title} returned to its writer.")
                return redirect(reverse("narrative:queue"))
            except services.NarrativeError as exc:
                error = str(exc)
                status = 409
                entry = _entry_or_404(request, measure_id, month)
        else:
            status = 400
            if form.data.get("decision") == "return":
                return_form = form
            else:
                approve_form = form
    return render(
        request,
        "narrative/review.html",
        {
            "entry": entry,
            "answers": services.answers_of(entry.narrative) if entry.narrative else [],
            "diffs": services.review_diffs(entry),
            "approve_form": approve_form,
            "return_form": return_form,
            "error": error,
            "month_label": month_label(entry.month),
            "figure_check": entry.approved.figure_check if entry.approved else None,
            "written_check": services.written_figure_check(entry.narrative) if entry.narrative else None,
            "trend": measure_trend(request.user, entry.measure_id, entry.month),
        },
        status=status,
    )


@require_GET
@requires(Capability.WRITE_NARRATIVE)
def history(request: HttpRequest, measure_id: str, month: str) -> HttpResponse:
    entry = _entry_or_404(request, measure_id, month)
    entries = services.history(entry.narrative) if entry.narrative else []
    return render(
        request,
        "narrative/history.html",
        {"entry": entry, "entries": entries, "month_label": month_label(entry.month)},
    )


@requires(Capability.WRITE_NARRATIVE)
@require_POST
def confirm_figures(request: HttpRequest, measure_id: str, month: str) -> HttpResponse:
    """The owner confirms the approved text still holds for the measure's revised figure."""
    entry = _entry_or_404(request, measure_id, month)
    form = ConfirmFiguresForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The confirmation could not be read; open the page again and retry.")
    else:
        try:
            services.confirm_figures(request.user, measure_id, entry.month, base_version=form.cleaned_data["version"])
        except services.NarrativeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Confirmed: the approved text stands for the revised figure.")
    return redirect("narrative:edit", measure_id=measure_id, month=entry.month)
