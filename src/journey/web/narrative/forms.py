"""Forms for writing and signing off narrative."""

from __future__ import annotations

from django import forms

from journey.web.forms import VersionField
from journey.web.narrative.services import QUESTIONS

MAX_ANSWER = 10_000

HINTS = {
    "working_well": "What has improved, and what evidence shows it.",
    "worried_about": "Where performance or practice is not where it should be, and why.",
    "doing_about": "The actions under way or planned, who is leading them and by when.",
}


class NarrativeForm(forms.Form):
    working_well = forms.CharField(
        label=QUESTIONS[0][1], required=False, max_length=MAX_ANSWER, widget=forms.Textarea
    )
    worried_about = forms.CharField(
        label=QUESTIONS[1][1], required=False, max_length=MAX_ANSWER, widget=forms.Textarea
    )
    doing_about = forms.CharField(
        label=QUESTIONS[2][1], required=False, max_length=MAX_ANSWER, widget=forms.Textarea
    )
    version = VersionField()
    intent = forms.ChoiceField(choices=[("save", "Save draft"), ("submit", "Submit")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in HINTS and isinstance(field, forms.CharField):
                field.help_text = HINTS[name]
                field.strip = True

    def clean(self):
        data = super().clean() or {}
        if data.get("intent") == "submit":
            for name, question in QUESTIONS:
                if not (data.get(name) or "").strip() and name not in self.errors:
                    self.add_error(
                        name, f"Answer “{question}” before submitting for sign-off"
                    )
        return data


class DecisionForm(forms.Form):
    """A director's decision on a submitted narrative."""

    version = VersionField()
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("return", "Return")])
    comment = forms.CharField(
        label="Comment for the writer",
        required=False,
        max_length=MAX_ANSWER,
        widget=forms.Textarea,
        help_text="Required when you return the narrative: say what needs to change.",
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("decision") == "return" and not (data.get("comment") or "").strip():
            self.add_error("comment", "Say what needs to change before returning the narrative")
        return data


class ConfirmFiguresForm(forms.Form):
    """The owner confirms the approved text still holds for a revised figure."""

    version = VersionField()
