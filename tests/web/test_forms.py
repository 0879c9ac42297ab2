"""Every view that accepts a POST reads it through a Django form, and hostile input to any
of them is refused as a 400 (or a redirect saying what was wrong), never a server error.

The walk POSTs to every URL as someone allowed to use it: a view that answers anything
but 405 accepts POSTs, and must have cleaned a bound form while answering, unless it is
one of the few buttons listed in ``POST_WITHOUT_A_FORM`` with the reason. Views must not
read ``request.POST`` or ``request.FILES`` themselves: they hand them to the form. The
forms that answered are then sent overlong text, wrong types and null characters.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator

import pytest
from django import forms
from django.contrib.messages import constants as message_levels
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from journey.web.accounts.access import PUBLIC
from journey.web.accounts.roles import Role, capabilities_of
from tests.web.url_walk import ALL_VIEWS, capability_of

POST_WITHOUT_A_FORM = {
    "accounts:logout": "signing out: nothing is sent but the CSRF token",
    "casedata:cancel": "a button: the check to cancel is in the URL",
    "plans:plan_version": "a button: the version to make active again is in the URL",
    "reports:publish": "a button: the report to publish is in the URL",
}
"""Views that accept a POST with no fields but the CSRF token, and why no form is needed.
The walk checks each still accepts POSTs and never reads what was posted."""

ROLES_IN_ORDER = [Role.DATA_TEAM, Role.DIRECTOR, Role.ADMINISTRATOR, *Role]
"""Whom the walk signs in as: the first role with the view's capability (the data team and
directors act on every measure and action; only administrators manage users)."""

READS_THE_REQUEST = re.compile(r"request\.(POST|FILES)\s*(\.|\[)")
"""``request.POST.get(...)``, ``request.FILES[...]``: reading a field without a form."""


@pytest.fixture
def cleaned_forms(monkeypatch) -> Iterator[list[forms.BaseForm]]:
    """Every bound form cleaned while the test runs, in order."""
    seen: list[forms.BaseForm] = []
    full_clean = forms.BaseForm.full_clean

    def recording(self):
        if self.is_bound and all(form is not self for form in seen):
            seen.append(self)
        return full_clean(self)

    monkeypatch.setattr(forms.BaseForm, "full_clean", recording)
    yield seen


@pytest.fixture
def examples(db, settings, tmp_path):
    from tests.web.url_examples import build_examples

    settings.DATA_DIR = tmp_path  # uploads are kept here
    settings.JOURNEY_RUN_JOBS_INLINE = True  # an upload's check ends with the request

    return build_examples()


def _client_for(name, pattern, client_for) -> Client:
    capability = capability_of(pattern.callback)
    if capability == PUBLIC:
        return Client()
    role = next(r for r in ROLES_IN_ORDER if capability in capabilities_of(r))
    return client_for(role, f"walker-{role.value}")


def _url(name, pattern, examples) -> str:
    if pattern.pattern.converters and name not in examples:
        pytest.fail(f"{name} takes arguments: add an example to tests/web/url_examples.py")
    return reverse(name, kwargs=examples.get(name, {}) if pattern.pattern.converters else {})


def _view_source(pattern) -> str:
    callback = pattern.callback
    target = getattr(callback, "view_class", None) or inspect.unwrap(callback)
    try:
        return inspect.getsource(target)
    except (OSError, TypeError):
        return ""


def _answered_with_an_error(response) -> bool:
    """A form shown again with its errors (400), sign-in locked (429), or a redirect back
    with an error message."""
    if response.status_code in (400, 429):
        return True
    if response.status_code in (302, 303):
        stored = getattr(response.wsgi_request, "_messages", None)
        return any(m.level == message_levels.ERROR for m in getattr(stored, "_queued_messages", []))
    return False


@pytest.mark.parametrize("name,pattern", ALL_VIEWS, ids=[name for name, _ in ALL_VIEWS])
def test_every_view_that_accepts_a_post_reads_it_through_a_form(
    name, pattern, client_for, examples, cleaned_forms
):
    client = _client_for(name, pattern, client_for)
    response = client.post(_url(name, pattern, examples), {})
    source = _view_source(pattern)
    if response.status_code == 405:
        assert name not in POST_WITHOUT_A_FORM, f"{name} no longer accepts POSTs: take it off the list"
        return
    assert response.status_code != 403, f"the walk should be allowed to POST to {name}"
    assert not READS_THE_REQUEST.search(source), (
        f"{name} reads request.POST or request.FILES itself: give them to a form"
    )
    if name in POST_WITHOUT_A_FORM:
        assert "request.POST" not in source and "request.FILES" not in source, (
            f"{name} is listed as a button with no fields but reads what was posted"
        )
        assert cleaned_forms == [], f"{name} uses a form: take it off POST_WITHOUT_A_FORM"
        return
    assert cleaned_forms, (
        f"{name} accepts a POST without cleaning a Django form: give it one "
        "(or, for a button with no fields, list it in POST_WITHOUT_A_FORM with the reason)"
    )
    assert response.status_code in (400, 429) or _answered_with_an_error(response), (
        f"{name} accepted an empty POST ({response.status_code})"
    )


# ------------------------------------------------------------------- hostile input

NOT_A_NUMBER = "twelve"


def _hostile(field: forms.Field, kind: str):
    """What to send for ``field``; None to leave it out."""
    if isinstance(field, forms.FileField):
        if kind == "wrong types":
            return "this is text, not a file"
        if kind == "overlong":
            return SimpleUploadedFile("x" * 300 + ".csv", b"a,b\r\n1,2\r\n")
        return SimpleUploadedFile("nul\x00.csv", b"\x00\x00")
    if isinstance(field, forms.CharField):
        if kind == "overlong":
            return "x" * (field.max_length + 1)
        if kind == "null characters":
            return "a\x00b"
        return ["first", "second"]  # one field sent twice
    if isinstance(field, forms.IntegerField | forms.FloatField | forms.DecimalField):
        return {"overlong": "9" * 400, "wrong types": NOT_A_NUMBER, "null characters": "1\x00"}[kind]
    if isinstance(field, forms.ChoiceField):
        return {"overlong": "x" * 10_000, "wrong types": "not-a-choice", "null characters": "\x00"}[kind]
    return None


def _refuses(field: forms.Field, kind: str) -> bool:
    """Whether ``field`` must refuse the hostile value of ``kind``. A file's content is
    checked after the form (a load's check, the plan's parser), and Django cuts an
    overlong file name to 255 characters: those need only be answered without an error."""
    if isinstance(field, forms.FileField):
        return kind == "wrong types"
    if isinstance(field, forms.CharField):
        return kind != "wrong types"  # a repeated text field is read as its last value
    return not isinstance(field, forms.BooleanField)


HOSTILE_KINDS = ["overlong", "wrong types", "null characters"]


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
@pytest.mark.parametrize("name,pattern", ALL_VIEWS, ids=[name for name, _ in ALL_VIEWS])
def test_hostile_input_is_refused_with_the_form_not_a_server_error(
    name, pattern, kind, client_for, examples, cleaned_forms
):
    if name in POST_WITHOUT_A_FORM:
        pytest.skip("a button with no fields")
    client = _client_for(name, pattern, client_for)
    url = _url(name, pattern, examples)
    if client.post(url, {}).status_code == 405:
        pytest.skip("does not accept POSTs")
    fields = {n: f for form in cleaned_forms for n, f in form.fields.items()}
    unbounded = [
        n for n, f in fields.items()
        if isinstance(f, forms.CharField) and not isinstance(f, forms.FileField) and f.max_length is None
    ]
    assert unbounded == [], f"{name}: text fields without a max_length: {unbounded}"
    payload = {n: v for n, f in fields.items() if (v := _hostile(f, kind)) is not None}
    must_refuse = [n for n, f in fields.items() if n in payload and _refuses(f, kind)]

    cleaned_forms.clear()
    response = client.post(url, payload)  # a server error raises here

    if must_refuse:
        refused = {n for form in cleaned_forms for n in form.errors}
        assert refused, f"{name} accepted {kind} input in {must_refuse}"
        assert _answered_with_an_error(response), (
            f"{name} answered {response.status_code} to {kind} input, not the form with its errors"
        )


# ------------------------------------------------------------ what people see


def test_a_user_change_without_the_sign_in_choice_changes_nothing(administrator, make_user):
    """Before forms, a missing ``active`` answer deactivated the person."""
    person = make_user(Role.DIRECTOR, "dcs")
    response = administrator.post(reverse("accounts:user_edit", args=[person.pk]), {"role": "director"})
    person.refresh_from_db()
    assert response.status_code == 400 and person.is_active
    assert 'href="#active"' in response.content.decode()


def test_an_overlong_note_on_a_figure_is_shown_against_the_field_and_nothing_is_stored(data_team, db):
    from journey.web.plans import services
    from journey.web.plans.models import Observation
    from tests.web.url_examples import EXAMPLE_PLAN

    services.save_plan_version(EXAMPLE_PLAN.read_text(), filename="plan.yaml", user=None)
    response = data_team.post(
        reverse("plans:manual_entry", args=["cp_visits"]),
        {"month": "2023-06", "value": "85", "note": "n" * 2001},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#note">The note must be 2,000 characters or fewer</a>' in body
    assert 'value="85"' in body  # what was typed is kept
    assert not Observation.objects.exists()


def test_a_failed_sign_in_is_a_400_with_the_form_again(client, make_user):
    make_user(Role.DIRECTOR, "dcs")
    response = client.post(reverse("accounts:login"), {"username": "dcs", "password": "wrong-one"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


def test_a_plan_edit_from_a_broken_page_shows_the_problem_and_keeps_the_text(data_team):
    response = data_team.post(reverse("plans:plan_edit"), {"text": "title: mine\n", "based_on": "x"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "The page was incomplete: open the plan editor again" in body
    assert "title: mine" in body


def test_a_report_for_a_month_without_figures_is_refused_against_the_month(data_team):
    response = data_team.post(
        reverse("reports:index"), {"kind": "monthly", "period": "1999-01", "format": "pdf"}
    )
    assert response.status_code == 400
    assert "Choose a month that has figures" in response.content.decode()
