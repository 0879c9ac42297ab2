from __future__ import annotations

from typing import Any

from django import forms

from journey.web.forms import VersionField


class TextForm(forms.Form):
    """Save a draft of a section (the text is required), or approve the version shown."""

    intent = forms.ChoiceField(choices=[("save", "Save draft"), ("approve", "Approve")], initial="save")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), required=False, max_length=20_000)
    version = VersionField()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("intent") == "save" and not (data.get("text") or "").strip():
            self.add_error("text", "Enter the text")
        return data
