"""What every form of the site shares.

Every view that accepts a POST reads it through a Django form (types, lengths, choices),
so hostile input is a 400 with the form shown again, never a server error; a test walks
every URL to keep it so (``tests/web/test_forms.py``). Errors are shown GOV.UK style: a
summary at the top linking to each field, and the message again beside the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator

NOT_ABOUT_ONE_FIELD = "main-content"
"""Where the summary links an error that is not about one field: the page's main content."""

MAX_PASSWORD = 1024
"""Longer than any passphrase; bounds the work of checking one (hashing, similarity)."""


MAX_VERSION = 2**31 - 1
"""The largest version any table stores (a 32-bit integer column on every database)."""


class VersionField(forms.IntegerField):
    """The hidden version an edit started from, so a save over someone else's newer one is
    refused (409). Bounded to what the database stores: a forged huge number is the form's
    error, never an overflow in the query."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_VERSION)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)


def error_summary(form: forms.BaseForm, *, by_id: bool = False) -> dict[str, str]:
    """Field → its messages, for ``includes/error_summary.html`` and the fields' own error
    messages. Keyed by the field's name, which is its id in the hand-written templates (or
    by Django's id with ``by_id``, for fields Django renders)."""
    summary: dict[str, str] = {}
    for name, messages in form.errors.items():
        if name in form.fields:
            key = form[name].id_for_label if by_id else name
        else:
            key = NOT_ABOUT_ONE_FIELD
        summary[key] = " ".join(str(message) for message in messages)
    return summary


def add_errors(form: forms.BaseForm, errors: dict[str, str]) -> None:
    """Put a service's refusal (field → message) on the form, so one summary shows all."""
    for name, message in errors.items():
        form.add_error(name if name in form.fields else None, message)


def text_errors(what: str, max_length: int, *, required: str | None = None) -> dict[str, str]:
    """GOV.UK wording for a text field's errors: ``what`` as it begins a sentence."""
    messages = {
        "max_length": f"{what} must be {max_length:,} characters or fewer",
        "null_characters_not_allowed": f"{what} must not contain null characters",
    }
    if required:
        messages["required"] = required
    return messages


def choice_errors(required: str) -> dict[str, str]:
    """A choice field's errors: a missing and an unknown choice get the same request."""
    return {"required": required, "invalid_choice": required}


class BoundedPasswords:
    """Caps Django's own password fields (which have no maximum) at :data:`MAX_PASSWORD`."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in _char_fields(self.fields.values()):
            if field.max_length is None:
                field.max_length = MAX_PASSWORD
                field.validators.append(
                    MaxLengthValidator(
                        MAX_PASSWORD,
                        f"A password must be {MAX_PASSWORD:,} characters or fewer",
                    )
                )
                field.widget.attrs["maxlength"] = str(MAX_PASSWORD)


def _char_fields(fields: Iterable[forms.Field]) -> Iterable[forms.CharField]:
    return (field for field in fields if isinstance(field, forms.CharField))
