"""Forms for signing in, passwords and managing users.

They check the shape of what was sent (lengths, choices); ``services`` checks what it
means (a free username, a strong password, one administrator left), for the ``journey``
command as well.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm

from journey.web.accounts import services
from journey.web.accounts.models import Team, User
from journey.web.accounts.roles import Role
from journey.web.forms import MAX_PASSWORD, BoundedPasswords, choice_errors, text_errors

ROLE_CHOICES = [(role.value, role.label) for role in Role]


class SignInForm(BoundedPasswords, AuthenticationForm):
    pass


class OwnPasswordForm(BoundedPasswords, PasswordChangeForm):
    pass


class NewPasswordForm(BoundedPasswords, SetPasswordForm):
    pass


class NewUserForm(forms.Form):
    username = forms.CharField(
        max_length=150, error_messages=text_errors("Username", 150, required="Enter a username")
    )
    display_name = forms.CharField(
        max_length=150, required=False, error_messages=text_errors("Full name", 150)
    )
    email = forms.EmailField(
        max_length=254,
        required=False,
        error_messages={
            **text_errors("Email address", 254),
            "invalid": "Enter an email address like name@council.gov.uk",
        },
    )
    role = forms.ChoiceField(choices=ROLE_CHOICES, error_messages=choice_errors("Choose a role"))
    password = forms.CharField(
        strip=False,
        max_length=MAX_PASSWORD,
        error_messages=text_errors("Password", MAX_PASSWORD, required="Enter an initial password"),
    )
    password_again = forms.CharField(
        strip=False,
        max_length=MAX_PASSWORD,
        error_messages=text_errors(
            "Password", MAX_PASSWORD, required="Enter the initial password again"
        ),
    )

    def clean(self) -> dict[str, Any]:
        """The service's checks too (a free username, a strong password), so every problem
        is listed at once; each field's own error comes first."""
        data = super().clean() or {}
        problems = services.new_user_problems(
            username=data.get("username", ""),
            role=data.get("role", ""),
            password=data.get("password", ""),
            password_again=data.get("password_again", ""),
            display_name=data.get("display_name", ""),
            email=data.get("email", ""),
        )
        for name, message in problems.errors.items():
            if name not in self.errors:
                self.add_error(name, message)
        return data


class UserChangeForm(forms.Form):
    display_name = forms.CharField(
        max_length=150, required=False, error_messages=text_errors("Full name", 150)
    )
    email = forms.EmailField(
        max_length=254,
        required=False,
        error_messages={
            **text_errors("Email address", 254),
            "invalid": "Enter an email address like name@council.gov.uk",
        },
    )
    role = forms.ChoiceField(choices=ROLE_CHOICES, error_messages=choice_errors("Choose a role"))
    active = forms.ChoiceField(
        choices=[("yes", "Yes, active"), ("no", "No, deactivated")],
        error_messages=choice_errors("Choose whether this person can sign in"),
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        required=False,
        error_messages={"invalid_choice": "Choose teams from the list", "invalid_pk_value": "Choose teams from the list"},
    )


class TeamForm(forms.Form):
    """A team's name; on its own page, its members too (and a delete button)."""

    name = forms.CharField(
        max_length=150,
        error_messages=text_errors(
            "The team's name", 150, required="Enter the team's name, as the plan names it (e.g. Head of Front Door)"
        ),
    )
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        error_messages={"invalid_choice": "Choose members from the list", "invalid_pk_value": "Choose members from the list"},
    )
    delete = forms.ChoiceField(choices=[("", "Keep"), ("yes", "Delete")], required=False)
