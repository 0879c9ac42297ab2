"""Forms for uploading extracts and importing figures.

They check that files were sent with names of a sane length; ``services`` applies the
upload limits and the engine checks what the files hold, for the ``journey`` command too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from journey.web.casedata import services
from journey.web.forms import text_errors

FILE_ERRORS = {
    "invalid": "Choose a file to upload",
    "missing": "Choose a file to upload",
    "empty": "The file is empty",
    "max_length": "Each file name must be 255 characters or fewer",
}


class SeveralFilesInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class SeveralFilesField(forms.FileField):
    """One or more files under one name (Django's documented pattern)."""

    widget = SeveralFilesInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        one_file = super().clean
        if not data:
            return [one_file(None, initial)]  # "required" when none was chosen
        sent = data if isinstance(data, list | tuple) else [data]
        return [one_file(one, initial) for one in sent]


class ExtractUploadForm(forms.Form):
    extract = SeveralFilesField(
        max_length=255,
        error_messages={**FILE_ERRORS, "required": "Choose the extract file or files to upload"},
    )
    #: SSDA903 files are named for their collection year; blank for other formats.
    collection_year = forms.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        error_messages={
            key: "Enter the collection year as a year such as 2024"
            for key in ("invalid", "min_value", "max_value")
        },
    )


class ObservationsImportForm(forms.Form):
    observations = forms.FileField(
        max_length=255,
        error_messages={**FILE_ERRORS, "required": "Choose an observations CSV file"},
    )

    def clean_observations(self) -> UploadedFile:
        upload = self.cleaned_data["observations"]
        if upload.size > services.max_upload_bytes():
            raise forms.ValidationError(
                f"The file is larger than {services.max_upload_bytes() // 1024 // 1024} MB"
            )
        return upload


class AcceptForm(forms.Form):
    """Accepting a proposal: the warnings it asks to acknowledge, ticked by name."""

    acknowledge = forms.MultipleChoiceField(
        required=False,
        error_messages={"invalid_choice": "Tick only the warnings this proposal shows"},
    )

    def __init__(self, *args: Any, codes: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["acknowledge"].choices = [(code, code) for code in codes]  # type: ignore[attr-defined]


class ActivateForm(forms.Form):
    """Making an earlier snapshot the data in use again: why (kept in the audit log)."""

    reason = forms.CharField(
        max_length=2000,
        error_messages=text_errors(
            "The reason", 2000,
            required="Give the reason for changing the data in use: it is kept in the audit log",
        ),
    )
