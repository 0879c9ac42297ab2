"""Forms for the plan file and figures entered by hand.

They check what was sent (lengths, a file, UTF-8); the engine checks the plan and
``manual`` the figure (its month and unit), for the ``journey`` command as well.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from journey.engine.plan import Problem
from journey.web.forms import VersionField, text_errors

MAX_PLAN_BYTES = 2_000_000
"""A plan is a few tens of kilobytes; this is a hundred of them."""


def problems_of(form: forms.BaseForm, file_name: str = "") -> list[Problem]:
    """The form's errors as the plan page lists problems (file, line, key, message)."""
    return [
        Problem(file_name, None, "", str(message))
        for messages in form.errors.values()
        for message in messages
    ]


class PlanUploadForm(forms.Form):
    plan_file = forms.FileField(
        max_length=255,
        error_messages={
            "required": "Choose a plan file to upload",
            "invalid": "Choose a plan file to upload",
            "empty": "The file is empty",
            "max_length": "The file name must be 255 characters or fewer",
        },
    )

    def clean_plan_file(self) -> UploadedFile:
        upload = self.cleaned_data["plan_file"]
        if upload.size > MAX_PLAN_BYTES:
            raise forms.ValidationError(
                "The file is larger than 2 MB; a plan is a few tens of kilobytes"
            )
        try:
            self.cleaned_data["text"] = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text (save it as UTF-8)") from None
        return upload


class PlanEditForm(forms.Form):
    text = forms.CharField(
        strip=False,
        required=False,
        max_length=MAX_PLAN_BYTES,
        error_messages=text_errors("The plan", MAX_PLAN_BYTES),
    )
    note = forms.CharField(
        required=False, max_length=255, error_messages=text_errors("What changed", 255)
    )
    #: The version the edit started from (0: there was no plan), so a save over someone
    #: else's newer version is refused (409) rather than silently replacing it.
    based_on = VersionField(
        error_messages={
            "required": "The page was incomplete: open the plan editor again",
            "invalid": "The page was incomplete: open the plan editor again",
            "min_value": "The page was incomplete: open the plan editor again",
            "max_value": "The page was incomplete: open the plan editor again",
        },
    )


class ManualFigureForm(forms.Form):
    month = forms.CharField(
        max_length=7,
        error_messages={
            "required": "Enter the month the figure is for",
            "max_length": "Enter the month as year and month, like 2023-06",
            "null_characters_not_allowed": "Enter the month as year and month, like 2023-06",
        },
    )
    value = forms.CharField(
        max_length=32,
        error_messages={
            "required": "Enter the figure",
            "max_length": "Enter the figure as a number, like 85 or 85.5",
            "null_characters_not_allowed": "Enter the figure as a number, like 85 or 85.5",
        },
    )
    note = forms.CharField(
        required=False, max_length=2000, error_messages=text_errors("The note", 2000)
    )

    def values(self) -> dict[str, Any]:
        """What was typed, to show again in the fields."""
        return {name: self.data.get(name, "") for name in self.fields}
