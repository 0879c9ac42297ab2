"""The dashboard's SPC and benchmark columns and its "Signals this month" list.

Each series is made by hand and its XmR chart worked out beside it (mean, moving ranges,
mean moving range MR-bar after screening ranges of 3.267 x MR-bar or more, limits
mean +/- 2.66 x MR-bar, two-sigma lines at two thirds of that).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from journey.engine.periods import add_months
from journey.web.plans import services

DATA = Path(__file__).parent / "data"


def _import(tmp_path: Path, rows: list[str], name: str = "figures.csv") -> None:
    csv_file = tmp_path / name
    csv_file.write_text("measure_id,period,value,numerator,denominator\n" + "\n".join(rows) + "\n")
    services.import_observations(csv_file, user=None)


def _months(first: str, count: int) -> list[str]:
    return [add_months(first, i) for i in range(count)]


@pytest.fixture
def plan(db):
    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)


@pytest.fixture
def series(plan, tmp_path):
    """Sixteen months, 2022-01 to 2023-04, of case-file audits (higher is better, target 30).

    Fifteen steady months alternating 20, 22 (eight 20s, seven 22s) then 40 in 2023-04.
    Mean (160 + 154 + 40) / 16 = 22.125; moving ranges fourteen 2s and one 20, MR-bar
    48 / 15 = 3.2; the 20 is at least 3.267 x 3.2 = 10.45 so it is screened out and MR-bar
    is 2. Limits 22.125 +/- 5.32 = 16.805 and 27.445: 40 is above the upper limit (special
    cause, improving). It is not part of a run: the fifteen months before are all below the
    mean, but 40 is above it. The target of 30 is above the upper limit too, so the process
    as it runs would always miss it (consistently failing).
    """
    months = _months("2022-01", 16)
    audits = [20 if i % 2 == 0 else 22 for i in range(15)] + [40]
    rows = [f"audits_completed,{m},{v},," for m, v in zip(months, audits, strict=True)]
    _import(tmp_path, rows)


def _row(page, measure_id):
    return next(row for block in page.blocks for row in block.rows if row.measure.id == measure_id)


def test_a_point_far_above_the_limits_is_a_signal_naming_that_rule(series, board_member):
    response = board_member.get(reverse("plans:dashboard"), {"month": "2023-04"})
    page = response.context["page"]
    row = _row(page, "audits_completed")
    assert row.spc.months == 16
    assert row.spc.variation_short == "Special cause – improving (higher)"
    assert row.spc.assurance_short == "Consistently failing"
    (signal,) = page.signals
    assert signal.measure.id == "audits_completed"
    assert signal.spc.signal_words == "Improvement"
    assert signal.spc.rules == ("a point above the upper process limit (27.4)",)
    body = response.content.decode()
    signals = body[body.index('id="spc-signals"'):]
    signals = signals[: signals.index("</ul>")]
    assert "Case-file audits completed" in signals
    assert "<strong>Improvement</strong> – a point above the upper process limit (27.4)." in signals


def test_the_month_before_the_jump_is_common_cause_with_no_signals(series, board_member):
    # 2022-01 to 2023-03: eight 20s and seven 22s. Mean 314 / 15 = 20.933; every moving range
    # 2, limits 20.933 +/- 5.32 = 15.613 and 26.253. The last point (20, 2023-03) is below
    # the mean, but the 22s are above it, so no run; no trend; nothing near a limit.
    response = board_member.get(reverse("plans:dashboard"), {"month": "2023-03"})
    page = response.context["page"]
    row = _row(page, "audits_completed")
    assert row.spc.variation_short == "Common cause"
    # target 30 above the upper limit 26.253 on the good side of an increase measure
    assert row.spc.assurance_short == "Consistently failing"
    assert page.signals == []
    assert 'id="no-signals"' in response.content.decode()


def test_a_run_of_seven_months_above_the_mean_is_a_concern(plan, tmp_path, board_member):
    # Re-referrals, lower is better: 20, 22 six times (2022-01 to 2022-12) then 23 for seven
    # months (2023-01 to 2023-07). Mean (120 + 132 + 161) / 19 = 21.737; moving ranges eleven
    # 2s, one 1, six 0s: MR-bar 23 / 18 = 1.278 (none screened: all below 4.17). Limits
    # 21.737 +/- 3.399 = 18.338 and 25.136, two-sigma line 24.003: 23 is inside both, but the
    # last seven months are all above the mean, a shift, and higher is worse: a concern.
    months = _months("2022-01", 19)
    values = [20 if i % 2 == 0 else 22 for i in range(12)] + [23] * 7
    _import(tmp_path, [f"re_referrals,{m},{v},," for m, v in zip(months, values, strict=True)])
    page = board_member.get(reverse("plans:dashboard"), {"month": "2023-07"}).context["page"]
    row = _row(page, "re_referrals")
    assert row.spc.variation_short == "Special cause – concerning (higher)"
    # target 22 lies between the limits
    assert row.spc.assurance_short == "Hit and miss"
    (signal,) = page.signals
    assert signal.spc.signal_words == "Concern"
    assert signal.spc.rules == ("a run of 7 or more months above the mean (21.7%)",)


def test_concerns_are_listed_before_improvements(plan, tmp_path, board_member):
    months = _months("2022-01", 19)
    re_referrals = [20 if i % 2 == 0 else 22 for i in range(12)] + [23] * 7
    # audits: eighteen months alternating 20, 22 then 40 (outside the limits, improving)
    audits = [20 if i % 2 == 0 else 22 for i in range(18)] + [40]
    rows = [f"re_referrals,{m},{v},," for m, v in zip(months, re_referrals, strict=True)]
    rows += [f"audits_completed,{m},{v},," for m, v in zip(months, audits, strict=True)]
    _import(tmp_path, rows)
    page = board_member.get(reverse("plans:dashboard"), {"month": "2023-07"}).context["page"]
    assert [(s.measure.id, s.spc.signal) for s in page.signals] == [
        ("re_referrals", "concern"),
        ("audits_completed", "improvement"),
    ]


def test_under_twelve_months_the_spc_column_says_so(plan, tmp_path, board_member):
    _import(tmp_path, ["cp_visits,2023-05,86.0,86,100", "cp_visits,2023-06,84.5,169,200"])
    response = board_member.get(reverse("plans:dashboard"), {"month": "2023-06"})
    assert _row(response.context["page"], "cp_visits").spc is None
    body = response.content.decode()
    assert "Under 12 months" in body
    assert "No measure has the 12 consecutive months of figures an SPC chart needs" in body


def test_benchmarks_are_compared_by_the_figures_confidence_interval(plan, tmp_path, board_member):
    # CP visits, higher is better; the plan's comparators: statistical neighbours 88, England 86.
    # 169 of 200 = 84.5%: Wilson 95% interval 78.84% to 88.86% holds both → Similar, Similar.
    _import(tmp_path, ["cp_visits,2023-06,84.5,169,200"])
    row = _row(board_member.get(reverse("plans:dashboard")).context["page"], "cp_visits")
    assert [(b.short_name, b.value_text, b.comparison) for b in row.benchmarks] == [
        ("Stat. neighbours", "88.0%", "Similar"),
        ("England", "86.0%", "Similar"),
    ]
    # 845 of 1000 = 84.5% too, but the interval narrows to 82.13% to 86.61%: 88 lies above
    # it (Worse, higher being better) while 86 is still inside (Similar).
    _import(tmp_path, ["cp_visits,2023-06,84.5,845,1000"], "revised.csv")
    response = board_member.get(reverse("plans:dashboard"))
    row = _row(response.context["page"], "cp_visits")
    assert [b.comparison for b in row.benchmarks] == ["Worse", "Similar"]
    assert "<abbr title=\"Statistical neighbours\">SN</abbr> 88.0%: <strong>Worse</strong>" in response.content.decode()


def test_without_a_numerator_the_figure_as_shown_is_compared(plan, tmp_path, board_member):
    _import(tmp_path, ["cp_visits,2023-06,90.0,,", "cp_visits,2023-05,86.0,,"])
    page = board_member.get(reverse("plans:dashboard"), {"month": "2023-06"}).context["page"]
    assert [b.comparison for b in _row(page, "cp_visits").benchmarks] == ["Better", "Better"]
    page = board_member.get(reverse("plans:dashboard"), {"month": "2023-05"}).context["page"]
    # 86.0% against England's 86.0%: the same at the figure's precision
    assert [b.comparison for b in _row(page, "cp_visits").benchmarks] == ["Worse", "Similar"]


def test_counts_and_measures_without_comparators_are_not_compared(series, board_member):
    response = board_member.get(reverse("plans:dashboard"), {"month": "2023-04"})
    assert _row(response.context["page"], "audits_completed").benchmarks == []
    body = response.content.decode()
    assert '<th scope="col" class="govuk-table__header">SPC</th>' in body
    assert '<th scope="col" class="govuk-table__header">Benchmark</th>' in body
    assert "What the columns mean" in body  # the legend, a <details>


def test_the_measure_page_uses_the_same_comparison(plan, tmp_path, board_member):
    _import(tmp_path, ["cp_visits,2023-06,84.5,845,1000"])
    page = board_member.get(reverse("plans:measure", args=["cp_visits"]), {"month": "2023-06"}).context["page"]
    assert [(b.name, b.comparison) for b in page.benchmarks] == [
        ("Statistical neighbours (2022-23)", "Worse"),
        ("England (2022-23)", "Similar"),
    ]
    assert page.benchmarks[0].method == "Compared using the figure's 95% confidence interval (Wilson score)."


def test_the_measure_page_names_this_months_rule(series, board_member):
    page = board_member.get(reverse("plans:measure", args=["audits_completed"]), {"month": "2023-04"}).context["page"]
    assert page.spc.rules == ("a point above the upper process limit (27.4)",)
    assert page.spc.variation == "Special cause variation: improving (higher)"


def test_a_warm_dashboard_with_the_new_columns_costs_a_fixed_number_of_queries(
    series, board_member, django_assert_max_num_queries
):
    board_member.get(reverse("plans:dashboard"), {"month": "2023-04"})
    with django_assert_max_num_queries(8):  # 3 of them the page's ETag (test_conditional_get)
        board_member.get(reverse("plans:dashboard"), {"month": "2023-04"})


def _drawing_counted(monkeypatch) -> list[str]:
    from journey.web.plans import pages

    drawn: list[str] = []
    draw = pages.measure_chart_svg

    def counted(chart):
        drawn.append(chart.title)
        return draw(chart)

    monkeypatch.setattr(pages, "measure_chart_svg", counted)
    return drawn


def test_a_drawn_chart_is_kept_in_the_shared_cache_by_its_content(series, board_member, monkeypatch):
    from django.core.cache import cache

    drawn = _drawing_counted(monkeypatch)
    url = reverse("plans:measure_chart", args=["audits_completed"])
    first = board_member.get(url, {"month": "2023-04"})
    # Another process's page cache is empty, but the chart (keyed by what is drawn) is there.
    key = services.plan_key(services.active_plan())
    assert cache.delete(services.cache_key("measure", key, services.data_version(), "audits_completed", "2023-04", ()))
    again = board_member.get(url, {"month": "2023-04"})
    assert again.content == first.content
    assert drawn == ["Case-file audits completed"]


def test_warming_up_draws_the_earlier_months_charts(series, board_member, monkeypatch):
    from journey.web.plans import pages

    pages.warm_up()
    # the 11 months before 2023-04 for the one measure with figures then (audits)
    assert pages.warm_up_earlier() == 11
    drawn = _drawing_counted(monkeypatch)
    for month in _months("2022-05", 12):
        board_member.get(reverse("plans:measure_chart", args=["audits_completed"]), {"month": month})
    assert drawn == []


def test_a_cumulative_in_year_measure_is_charted_by_its_monthly_figures(db, tmp_path, board_member):
    # Audits made cumulative in year: the year-to-date figure climbs every month from April
    # (a "trend" by construction), so SPC uses each month's own figure, here the steady
    # 20, 22 … series then 40 worked out in ``series`` above, and no assurance is given
    # against the year-to-date target.
    text = (DATA / "plan.yaml").read_text().replace(
        "        title: Case-file audits completed\n",
        "        title: Case-file audits completed\n        cumulative_in_year: true\n",
    )
    services.save_plan_version(text, filename="plan.yaml", user=None)
    months = _months("2022-01", 16)
    audits = [20 if i % 2 == 0 else 22 for i in range(15)] + [40]
    rows = [f"audits_completed,{m},{v},," for m, v in zip(months, audits, strict=True)]
    csv_file = tmp_path / "ytd.csv"
    ytd = ["measure_id,period,period_type,value"]
    total = 0
    for m, v in zip(months, audits, strict=True):
        total = v if m.endswith("-04") else total + v
        ytd.append(f"audits_completed,{m},fytd,{total}")
    csv_file.write_text("\n".join(ytd) + "\n")
    _import(tmp_path, rows)
    services.import_observations(csv_file, user=None)
    row = _row(board_member.get(reverse("plans:dashboard"), {"month": "2023-04"}).context["page"], "audits_completed")
    assert row.result.value == 40  # rated on the year to date (April: the month itself)
    assert row.spc.variation_short == "Special cause – improving (higher)"
    assert row.spc.rules == ("a point above the upper process limit (27.4)",)
    assert row.spc.assurance_short == "Not assessed"


def test_new_figures_queue_a_warm_up_once_per_data_version(series, board_member, settings, tmp_path):
    from django_tasks import task_backends

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    queued = task_backends["default"].results
    board_member.get(reverse("plans:dashboard"))
    assert queued == []  # off unless JOURNEY_WARM_UP_PAGES (tests turn it off)
    settings.JOURNEY_WARM_UP_PAGES = True
    board_member.get(reverse("plans:dashboard"))
    board_member.get(reverse("plans:measure", args=["audits_completed"]))
    _import(tmp_path, ["audits_completed,2023-05,21,,"], "more.csv")
    board_member.get(reverse("plans:dashboard"))
    board_member.get(reverse("plans:measure", args=["audits_completed"]))
    # once for each data version, not once per page
    assert [r.task.name for r in queued] == ["warm_up_pages", "warm_up_pages"]
