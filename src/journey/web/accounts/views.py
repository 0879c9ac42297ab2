"""Signing in and out; user management and the audit log for administrators."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET

from journey.web.accounts import services
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


@requires(Capability.MANAGE_USERS)
def user_create(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    values = {"username": "", "display_name": "", "email": "", "role": ""}
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in values}
        try:
            person = services.create_user(
                request.user,
                password=request.POST.get("password", ""),
                password_again=request.POST.get("password_again", ""),
                **values,
            )
        except services.UserChangeRefused as refused:
            errors = refused.problems.errors
        else:
            messages.success(request, f"Created {person.username} as {person.role_label}.")
            return redirect("accounts:users")
    return render(
        request,
        "accounts/user_form.html",
        {"errors": errors, "values": values, "roles": list(Role)},
        status=400 if errors else 200,
    )


@requires(Capability.MANAGE_USERS)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            changed = services.update_user(
                request.user,
                person,
                role=request.POST.get("role", ""),
                active=request.POST.get("active") == "yes",
            )
        except services.UserChangeRefused as refused:
            errors = refused.problems.errors
        else:
            if changed:
                messages.success(request, f"{person.username}: {', '.join(changed)}.")
            return redirect("accounts:users")
    return render(
        request,
        "accounts/user_edit.html",
        {"person": person, "errors": errors, "roles": list(Role)},
        status=400 if errors else 200,
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
