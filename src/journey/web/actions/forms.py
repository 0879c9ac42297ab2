"""Forms for filtering and updating actions."""

from __future__ import annotations

from django import forms

from journey.web.actions.models import Status
from journey.web.forms import VersionField


class UpdateForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=Status.choices, widget=forms.RadioSelect)
    percent_complete = forms.IntegerField(
        label="Percentage complete",
        min_value=0,
        max_value=100,
        help_text="A whole number from 0 to 100. Completed actions are recorded as 100.",
        error_messages={
            "required": "Enter the percentage complete",
            "invalid": "Percentage complete must be a whole number, like 40",
            "min_value": "Percentage complete must be 0 or more",
            "max_value": "Percentage complete must be 100 or less",
        },
    )
    note = forms.CharField(
        label="Progress note",
        required=False,
        max_length=5000,
        widget=forms.Textarea,
        help_text="What has happened since the last update. Required when the action is blocked.",
    )
    evidence_text = forms.CharField(
        label="Evidence (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea,
        help_text="For example: minutes of the performance meeting on 12 June 2024.",
    )
    evidence_link = forms.URLField(
        label="Link to the evidence (optional)",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="An address on the council's document store, starting https://",
        error_messages={"invalid": "Enter a web address, like https://documents.example.gov.uk/minutes"},
    )
    version = VersionField()

    def clean(self):
        data = super().clean() or {}
        if data.get("status") == Status.BLOCKED and not (data.get("note") or "").strip():
            self.add_error("note", "Say what is blocking the action")
        if (data.get("evidence_link") or "") and not (data.get("evidence_text") or "").strip():
            self.add_error("evidence_text", "Describe the evidence the link points to")
        return data
