"""The form that asks for a report: which one, for which month, in which format."""

from __future__ import annotations

from typing import Any

from django import forms

from journey.web.forms import choice_errors


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(error_messages=choice_errors("Choose a report"))
    period = forms.ChoiceField(error_messages=choice_errors("Choose a month that has figures"))
    format = forms.ChoiceField(error_messages=choice_errors("Choose a format"))

    def __init__(
        self,
        *args: Any,
        kinds: list[tuple[str, str]],
        months: list[tuple[str, str]],
        formats: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]
        self.fields["period"].choices = months  # type: ignore[attr-defined]
        self.fields["format"].choices = formats  # type: ignore[attr-defined]
