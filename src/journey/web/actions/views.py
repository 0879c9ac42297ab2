"""Action pages: the list (overdue and red first), an action's page, and its update form."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from journey.engine.actions import ActionRag
from journey.web.accounts.access import requires
from journey.web.accounts.roles import Capability
from journey.web.actions import services
from journey.web.actions.forms import UpdateForm
from journey.web.actions.models import Status
from journey.web.narrative.planlink import current_plan, find_measure, measure_url

RAG_CHOICES = [("overdue", "Overdue")] + [(r.value, r.label) for r in ActionRag]


@require_GET
@requires(Capability.VIEW_AGGREGATES)
def action_list(request: HttpRequest) -> HttpResponse:
    filters = services.Filters(
        priority=request.GET.get("priority", ""),
        owner=request.GET.get("owner", ""),
        status=request.GET.get("status", ""),
        rag=request.GET.get("rag", ""),
        include_removed=request.GET.get("removed") == "1",
    )
    everything = services.all_actions(include_removed=filters.include_removed)
    shown = services.filter_actions(everything, filters)
    priorities = sorted({(a.priority_id, a.priority_title) for a in everything})
    owners = sorted({a.owner for a in everything if a.owner})
    counts = {
        "overdue": sum(a.overdue for a in shown),
        "red": sum(a.rag == "red" for a in shown),
        "amber": sum(a.rag == "amber" for a in shown),
        "green": sum(a.rag == "green" for a in shown),
    }
    return render(
        request,
        "actions/list.html",
        {
            "actions": shown,
            "total": len(everything),
            "filters": filters,
            "filtered": any([filters.priority, filters.owner, filters.status, filters.rag]),
            "priorities": priorities,
            "owners": owners,
            "statuses": Status.choices,
            "rags": RAG_CHOICES,
            "counts": counts,
            "last_sync": services.last_sync(),
            "plan_loaded": current_plan() is not None,
        },
    )


def _action_or_404(number: str) -> services.ActionView:
    action = services.get_action(number)
    if action is None:
        raise Http404("No such action")
    return action


def _linked_measures(action: services.ActionView) -> list[dict[str, str | None]]:
    plan = current_plan()
    result = []
    for measure_id in action.measures:
        measure = find_measure(plan, measure_id)
        result.append(
            {
                "id": measure_id,
                "title": measure.title if measure else "(not in the active plan)",
                "href": measure_url(measure_id) if measure else None,
            }
        )
    return result


@require_GET
@requires(Capability.VIEW_AGGREGATES)
def detail(request: HttpRequest, number: str) -> HttpResponse:
    action = _action_or_404(number)
    return render(
        request,
        "actions/detail.html",
        {
            "action": action,
            "measures": _linked_measures(action),
            "history": services.history(number),
            "can_update": action.in_plan and services.can_update(request.user, action.owner),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.UPDATE_ACTIONS)
def update(request: HttpRequest, number: str) -> HttpResponse:
    action = _action_or_404(number)
    allowed = action.in_plan and services.can_update(request.user, action.owner)
    if request.method == "POST" and not allowed:
        raise PermissionDenied("Only the action's owner, the data team or a director can update it.")
    status = 200
    if request.method == "POST":
        form = UpdateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.update(
                    request.user, number,
                    base_version=data["version"], status=data["status"],
                    percent_complete=data["percent_complete"], note=data["note"],
                    evidence_text=data["evidence_text"], evidence_link=data["evidence_link"],
                )
            except services.ActionConflict as conflict:
                form.add_error(None, str(conflict))
                action = _action_or_404(number)
                status = 409
            except services.ActionError as error:
                form.add_error(None, str(error))
                status = 400
            else:
                if result.changed:
                    messages.success(request, f"Action {number} updated.")
                else:
                    messages.info(request, "There were no changes to save.")
                return redirect("actions:detail", number=number)
        else:
            status = 400
    else:
        form = UpdateForm(
            initial={
                "status": action.status,
                "percent_complete": action.percent_complete,
                "note": action.progress_note,
                "version": action.version,
            }
        )
    if status == 409:
        form.data = {name: form.data.get(name) for name in form.data} | {"version": str(action.version)}
    return render(
        request, "actions/update.html",
        {"action": action, "form": form, "allowed": allowed}, status=status,
    )
