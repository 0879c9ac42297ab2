"""Signing in and out; user management and the audit log for administrators."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET

from journey.web.accounts.access import public, requires
from journey.web.accounts.models import AuditEvent, User
from journey.web.accounts.roles import Capability, Role


@method_decorator(public, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


LoginView.journey_capability = "public"  # type: ignore[attr-defined]


class LogoutView(auth_views.LogoutView):
    pass


LogoutView.journey_capability = "public"  # type: ignore[attr-defined]


@require_GET
@requires(Capability.MANAGE_USERS)
def users(request: HttpRequest) -> HttpResponse:
    people = User.objects.order_by("role", "username")
    return render(
        request,
        "accounts/users.html",
        {"people": people, "roles": list(Role)},
    )


@require_GET
@requires(Capability.VIEW_AUDIT_LOG)
def audit(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.select_related("user")
    action = request.GET.get("action", "")
    if action:
        events = events.filter(action=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    return render(
        request,
        "accounts/audit.html",
        {"page": page, "actions": actions, "chosen_action": action},
    )
