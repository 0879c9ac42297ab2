"""Imported figures: only known breakdowns, and never a child's record as a breakdown value."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journey.web.accounts.roles import Role
from journey.web.plans import services as plan_services
from journey.web.plans.models import Observation
from tests.web import test_security as security

loaded = security.loaded
HEADER = "measure_id,period,value,breakdown,breakdown_value\n"


def _import(make_user, rows: str):
    client = security._signed_in(make_user, Role.DATA_TEAM, "importer")
    upload = SimpleUploadedFile("figures.csv", (HEADER + rows).encode())
    return client.post(reverse("casedata:observations_import"), {"observations": upload})


@pytest.mark.parametrize(
    ("value", "why"),
    [("QZCHILD2", "identifier"), (" qzchild3 ", "identifier"),
     ("2014-11-29", "a date"), ("A123456789012", "a unique pupil number"),
     ("943 476 5919", "an NHS number")],
)
def test_a_child_level_value_as_a_breakdown_is_refused_and_not_shown_back(
    loaded, make_user, value, why
):
    before = Observation.objects.count()
    response = _import(make_user, f"referrals,2023-06,3,team,{value}\n")
    assert response.status_code == 400
    body = response.content.decode()
    assert why in body and "row 2" in body
    assert value.strip() not in body  # the refusal never repeats the child-level value
    assert Observation.objects.count() == before


def test_a_breakdown_no_measure_is_computed_by_is_refused(loaded, make_user):
    response = _import(make_user, "referrals,2023-06,3,child_name,Group A\n")
    assert response.status_code == 400
    assert "is not a breakdown of any measure" in response.content.decode()


def test_known_breakdowns_with_group_values_are_imported(loaded, make_user):
    response = _import(make_user, "referrals,2023-06,3,team,North\nreferrals,2023-06,2,age_band,10-15\n")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(Observation.objects.filter(breakdown__in=["team", "age_band"]).values_list(
        "breakdown_value", flat=True)) >= {"North", "10-15"}


def test_the_engine_check_needs_no_web(tmp_path):
    import polars as pl

    from journey.engine.observations import breakdown_problems

    frame = pl.DataFrame({"row": [2, 3, 4], "breakdown": ["team", "team", ""],
                          "breakdown_value": ["C77", "North", ""]})
    problems = breakdown_problems(frame, file="f.csv", dimensions=["team"], identifiers=["c77"])
    assert [(p.row, p.column) for p in problems] == [(2, "breakdown_value")]
    assert plan_services is not None
