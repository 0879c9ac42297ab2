"""A full monthly board pack of the example plan, built once and read back by several tests."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from journey.engine.reports import renderers
from journey.engine.reports.assemble import assemble
from journey.engine.reports.inputs import ReportInputs
from tests.engine.reports.synthetic import approved_narrative, example_observations, example_plan

UNAPPROVED = "cla_starts_in_year"


@pytest.fixture(scope="session")
def plan():
    return example_plan()


@pytest.fixture(scope="session")
def observations(plan):
    return example_observations(plan)


@pytest.fixture(scope="session")
def inputs(plan, observations):
    return ReportInputs(
        plan=plan,
        observations=observations,
        period="2024-06",
        narrative=approved_narrative(plan, skip={UNAPPROVED}),
        generated_at=datetime(2024, 7, 12, 9, 30),
        today=date(2024, 6, 30),  # judged as at the end of the month, whenever it is built
    )


@pytest.fixture(scope="session")
def monthly_report(inputs):
    return assemble("monthly", inputs)


@pytest.fixture(scope="session")
def monthly_pdf(monthly_report):
    return renderers.render(monthly_report, "pdf")


@pytest.fixture(scope="session")
def monthly_docx(monthly_report):
    return renderers.render(monthly_report, "docx")
