"""Signing in and out; user management and the audit log for administrators."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_http_methods

from journey.web.accounts import oidc, ownership, services
from journey.web.accounts.access import SignedInRequest, public, requires
from journey.web.accounts.forms import (
    NewPasswordForm,
    NewUserForm,
    OwnPasswordForm,
    SignInForm,
    TeamForm,
    UserChangeForm,
)
from journey.web.accounts.models import AuditEvent, Team, User
from journey.web.accounts.roles import Capability, Role
from journey.web.forms import add_errors, error_summary


@method_decorator(public, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["single_sign_on"] = oidc.enabled()
        context["single_sign_on_failed"] = "single-sign-on" in self.request.GET
        return context

    def form_invalid(self, form):
        """The form again with what was wrong, as a 400 like every other refused form."""
        response = super().form_invalid(form)
        response.status_code = 400
        return response


@method_decorator(public, name="dispatch")
class SignInWithProvider(oidc.SignInWithProvider):
    pass


@method_decorator(public, name="dispatch")
class ReturnFromProvider(oidc.ReturnFromProvider):
    pass


LoginView.journey_capability = "public"  # type: ignore[attr-defined]


@method_decorator(public, name="dispatch")
class LogoutView(auth_views.LogoutView):
    pass


LogoutView.journey_capability = "public"  # type: ignore[attr-defined]


@require_GET
@requires(Capability.MANAGE_USERS)
def users(request: HttpRequest) -> HttpResponse:
    people = User.objects.order_by("role", "username").prefetch_related("teams")
    return render(
        request,
        "accounts/users.html",
        {"people": people, "roles": list(Role)},
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_USERS)
def user_create(request: HttpRequest) -> HttpResponse:
    form = NewUserForm(request.POST if request.method == "POST" else None)
    errors: dict[str, str] = {}
    if form.is_bound:
        if form.is_valid():
            try:
                person = services.create_user(request.user, **form.cleaned_data)
            except services.UserChangeRefused as refused:
                add_errors(form, refused.problems.errors)
            else:
                messages.success(request, f"Created {person.username} as {person.role_label}.")
                return redirect("accounts:users")
        errors = error_summary(form)
    values = {name: form.data.get(name, "") for name in ("username", "display_name", "email", "role")}
    return render(
        request,
        "accounts/user_form.html",
        {"errors": errors, "values": values, "roles": list(Role)},
        status=400 if errors else 200,
    )


def _chosen(form: forms.Form, name: str) -> list[Any]:
    """The valid choices of a multiple-choice field as posted (to show a form again)."""
    field = form.fields[name]
    try:
        return list(field.clean(form[name].value()))
    except ValidationError:
        return []


@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_USERS)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    errors: dict[str, str] = {}
    values = {
        "display_name": person.display_name, "email": person.email, "role": person.role,
        "active": person.is_active, "teams": set(person.teams.values_list("pk", flat=True)),
    }
    if request.method == "POST":
        form = UserChangeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                changed = services.update_user(
                    request.user,
                    person,
                    role=data["role"],
                    active=data["active"] == "yes",
                    display_name=data["display_name"],
                    email=data["email"],
                    team_ids=[team.pk for team in data["teams"]],
                )
            except services.UserChangeRefused as refused:
                add_errors(form, refused.problems.errors)
            else:
                if changed:
                    messages.success(request, f"{person.username}: {'; '.join(changed)}.")
                return redirect("accounts:users")
        errors = error_summary(form)
        values = {
            "display_name": form.data.get("display_name", ""), "email": form.data.get("email", ""),
            "role": form.data.get("role", ""), "active": form.data.get("active") == "yes",
            "teams": {team.pk for team in _chosen(form, "teams")},
        }
    return render(
        request,
        "accounts/user_edit.html",
        {"person": person, "errors": errors, "roles": list(Role), "values": values, "teams": Team.objects.all()},
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_USERS)
def teams(request: HttpRequest) -> HttpResponse:
    """Teams (and posts) the plan may name as owners: the list, and a new team."""
    errors: dict[str, str] = {}
    name = ""
    if request.method == "POST":
        form = TeamForm(request.POST)
        name = form.data.get("name", "")
        if form.is_valid():
            try:
                team = services.save_team(request.user, None, name=form.cleaned_data["name"], member_ids=[])
            except services.UserChangeRefused as refused:
                add_errors(form, refused.problems.errors)
            else:
                messages.success(request, f"Created the team {team.name}: now choose its members.")
                return redirect("accounts:team_edit", pk=team.pk)
        errors = error_summary(form)
    return render(
        request,
        "accounts/teams.html",
        {"teams": ownership.teams_with_what_they_own(), "errors": errors, "name": name},
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_USERS)
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    errors: dict[str, str] = {}
    values = {"name": team.name, "members": set(team.members.values_list("pk", flat=True))}
    if request.method == "POST":
        form = TeamForm(request.POST)
        if form.data.get("delete") == "yes" and "name" not in form.data:
            form.fields["name"].required = False  # the delete button sends no name
        if form.is_valid() and form.cleaned_data["delete"] == "yes":
            name = team.name
            services.delete_team(request.user, team)
            messages.success(request, f"Deleted the team {name}.")
            return redirect("accounts:teams")
        if form.is_valid():
            try:
                services.save_team(
                    request.user, team, name=form.cleaned_data["name"],
                    member_ids=[member.pk for member in form.cleaned_data["members"]],
                )
            except services.UserChangeRefused as refused:
                add_errors(form, refused.problems.errors)
            else:
                messages.success(request, f"Saved the team {team.name}.")
                return redirect("accounts:teams")
        errors = error_summary(form)
        values = {"name": form.data.get("name", ""), "members": {team_member.pk for team_member in _chosen(form, "members")}}
    return render(
        request,
        "accounts/team_edit.html",
        {
            "team": team, "values": values, "errors": errors,
            "people": User.objects.filter(is_active=True).order_by("username"),
            "owns": ownership.what_is_owned_by(team.name),
        },
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


def _password_page(request: HttpRequest, template: str, form, **context) -> HttpResponse:
    errors = error_summary(form, by_id=True)
    return render(
        request,
        template,
        {
            "form": form,
            "errors": errors,
            "min_length": settings.PASSWORD_MIN_LENGTH,
            **context,
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.VIEW_AGGREGATES)
def password_change(request: SignedInRequest) -> HttpResponse:
    """Anyone with a local password changes it; their other sessions end (Django's hash)."""
    user = request.user
    managed_elsewhere = not user.has_usable_password()
    form = OwnPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and not managed_elsewhere and form.is_valid():
        services.change_password(user, form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)  # this session stays; every other one ends
        messages.success(request, "Your password has been changed.")
        return redirect("plans:dashboard")
    return _password_page(
        request, "accounts/password_change.html", form, managed_elsewhere=managed_elsewhere
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_USERS)
def password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """An administrator sets a new password: the person's sessions end, any lock lifts."""
    person = get_object_or_404(User, pk=pk)
    managed_elsewhere = not person.has_usable_password() and bool(person.oidc_subject)
    form = NewPasswordForm(person, request.POST if request.method == "POST" else None)
    if request.method == "POST" and not managed_elsewhere and form.is_valid():
        services.reset_password(request.user, person, form.cleaned_data["new_password1"])
        messages.success(
            request, f"New password set for {person.username}; they are signed out everywhere."
        )
        return redirect("accounts:user_edit", pk=person.pk)
    return _password_page(
        request,
        "accounts/password_reset.html",
        form,
        person=person,
        managed_elsewhere=managed_elsewhere,
    )
