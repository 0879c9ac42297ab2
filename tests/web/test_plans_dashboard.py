"""The dashboard and measure pages: figures, RAG, direction, filters, what changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from journey.web.accounts.models import AuditEvent
from journey.web.plans import services
from journey.web.plans.models import Observation

DATA = Path(__file__).parent / "data"


@pytest.fixture
def loaded(db):
    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    services.import_observations(DATA / "observations.csv", user=None)


def test_the_dashboard_defaults_to_the_latest_month_with_figures(loaded, board_member):
    response = board_member.get(reverse("plans:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Dashboard: Jun-2023" in body
    assert "A – Planning and safety (CIN and CP)" in body
    assert "CP visits in timescale" in body


def test_the_dashboard_shows_rag_and_direction_as_words_not_colour_alone(loaded, board_member):
    page = board_member.get(reverse("plans:dashboard"), {"month": "2023-06"}).context["page"]
    rows = {row.measure.id: row for block in page.blocks for row in block.rows}
    # 84.5% against 90% with an Amber floor of 80% → Amber, and down from 86% → worsening.
    assert rows["cp_visits"].result.rag.value == "amber"
    assert rows["cp_visits"].direction_word == "Worsening"
    # 31 audits against 30 → Green, up from 24 → improving.
    assert rows["audits_completed"].result.rag.value == "green"
    assert rows["audits_completed"].direction_word == "Improving"
    body = board_member.get(reverse("plans:dashboard"), {"month": "2023-06"}).content.decode()
    assert ">Amber</strong>" in body and "Worsening" in body


def test_each_row_has_a_sparkline_with_a_text_alternative(loaded, board_member):
    body = board_member.get(reverse("plans:dashboard")).content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="journey-sparkline" role="img"' in body
    assert "<title>CP visits in timescale, last 12 months: Apr-2023 91.0%, May-2023 86.0%, Jun-2023 84.5%</title>" in body


def test_an_earlier_month_can_be_chosen(loaded, board_member):
    page = board_member.get(reverse("plans:dashboard"), {"month": "2023-05"}).context["page"]
    assert page.month == "2023-05"
    rows = {row.measure.id: row for block in page.blocks for row in block.rows}
    assert rows["cp_visits"].result.value == 86.0


def test_a_month_without_figures_falls_back_to_the_latest(loaded, board_member):
    page = board_member.get(reverse("plans:dashboard"), {"month": "2019-13"}).context["page"]
    assert page.month == "2023-06"
    assert page.notice == "'2019-13' is not a month like 2023-06; showing Jun-2023."
    page = board_member.get(reverse("plans:dashboard"), {"month": "2019-01"}).context["page"]
    assert page.notice == "There are no figures for Jan-2019; showing Jun-2023."


def test_what_changed_lists_rag_changes_and_new_reds(loaded, board_member):
    services.import_observations(DATA / "observations_june_revised.csv", user=None)
    page = board_member.get(reverse("plans:dashboard"), {"month": "2023-06"}).context["page"]
    changes = {c.measure.id: (c.old.value, c.new.value) for c in page.changes}
    assert changes["cp_visits"] == ("amber", "red")
    assert [c.measure.id for c in page.new_reds] == ["cp_visits"]
    body = board_member.get(reverse("plans:dashboard")).content.decode()
    assert "1 measure newly red: CP visits in timescale." in body


def test_the_red_only_filter_works_without_javascript(loaded, board_member):
    services.import_observations(DATA / "observations_june_revised.csv", user=None)
    page = board_member.get(reverse("plans:dashboard"), {"red": "1"}).context["page"]
    shown = [row.measure.id for block in page.blocks for row in block.rows]
    assert shown == ["cp_visits"]


def test_the_worsening_filter_keeps_only_worsening_measures(loaded, board_member):
    page = board_member.get(reverse("plans:dashboard"), {"worsening": "1"}).context["page"]
    shown = [row.measure.id for block in page.blocks for row in block.rows]
    assert shown == ["cp_visits"]


def test_my_measures_matches_the_owner_to_the_signed_in_account(loaded, client_for):
    from journey.web.accounts.roles import Role

    lead = client_for(Role.SERVICE_LEAD, "sam")
    page = lead.get(reverse("plans:dashboard"), {"mine": "1"}).context["page"]
    shown = [row.measure.id for block in page.blocks for row in block.rows]
    assert shown == ["cp_visits"]


def test_my_measures_works_for_any_role_that_owns_a_measure_through_a_team(loaded, client_for):
    from journey.web.accounts.models import Team
    from journey.web.accounts.roles import Role

    # audits_completed belongs to "Quality Lead": a post, held by a team manager and a board member.
    team = Team.objects.create(name="Quality lead")
    for role, name in ((Role.TEAM_MANAGER, "tim"), (Role.BOARD_MEMBER, "bea")):
        client = client_for(role, name)
        team.members.add(client.user)
        page = client.get(reverse("plans:dashboard"), {"mine": "1"}).context["page"]
        assert [row.measure.id for block in page.blocks for row in block.rows] == ["audits_completed"]
        client.logout()


def test_a_display_name_like_the_owner_does_not_make_anyone_the_owner(loaded, client_for):
    from journey.web.accounts.roles import Role

    impostor = client_for(Role.SERVICE_LEAD, "someone")
    impostor.user.display_name = "sam"
    impostor.user.save()
    page = impostor.get(reverse("plans:dashboard"), {"mine": "1"}).context["page"]
    assert page.shown == 0


def test_the_dashboard_without_a_plan_says_so(board_member):
    response = board_member.get(reverse("plans:dashboard"))
    assert response.status_code == 200
    assert "No improvement plan has been loaded yet." in response.content.decode()


def test_the_dashboard_uses_a_fixed_number_of_queries_however_many_measures(
    loaded, board_member, django_assert_max_num_queries
):
    board_member.get(reverse("plans:dashboard"))
    with django_assert_max_num_queries(8):  # 3 of them the page's ETag (test_conditional_get)
        board_member.get(reverse("plans:dashboard"), {"month": "2023-05"})


def test_the_measure_page_shows_chart_with_text_alternative_months_and_milestones(
    loaded, board_member
):
    response = board_member.get(reverse("plans:measure", args=["cp_visits"]), {"month": "2023-06"})
    assert response.status_code == 200
    body = response.content.decode()
    assert '<img src="/measures/cp_visits/chart.svg?month=2023-06" alt="Chart of CP visits in timescale' in body
    assert "CP visits in timescale, Jul-2022 to Jun-2023" not in body  # months without figures are not claimed
    assert "from 91.0% to 84.5%" in body
    assert "Statistical neighbours (2022-23)" in body
    assert 'id="months-table"' in body and "Jun-2023" in body
    assert 'id="milestones-table"' in body and "Mar-2024" in body and "95.0%" in body
    assert "Weekly visit tracker reviewed in performance meetings" in body
    assert "Children on a plan visited within 10 working days" in body


def test_the_chart_is_an_accessible_svg_the_browser_may_cache(loaded, board_member):
    url = reverse("plans:measure_chart", args=["cp_visits"])
    response = board_member.get(url, {"month": "2023-06"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<title" in svg and "from 91.0% to 84.5%" in svg
    again = board_member.get(url, {"month": "2023-06"}, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_measure_without_figures_has_no_chart(board_member, db):
    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    assert board_member.get(reverse("plans:measure_chart", args=["cp_visits"])).status_code == 404


def test_the_measure_page_answers_in_a_fixed_number_of_queries(
    loaded, board_member, django_assert_max_num_queries
):
    board_member.get(reverse("plans:measure", args=["cp_visits"]))
    # 18: 3 of them the page's ETag (test_conditional_get), 3 who the owner is (active users,
    # teams and their members), whatever the size of the plan
    with django_assert_max_num_queries(18):
        board_member.get(reverse("plans:measure", args=["re_referrals"]))


def test_an_unknown_measure_is_not_found(loaded, board_member):
    assert board_member.get(reverse("plans:measure", args=["no_such"])).status_code == 404


def test_a_latest_figure_is_shown_beside_the_last_complete_month(loaded, board_member):
    Observation.objects.create(
        measure_id="cp_visits", period="2023-07", period_type="latest", value=88.0
    )
    body = board_member.get(
        reverse("plans:measure", args=["cp_visits"]), {"month": "2023-06"}
    ).content.decode()
    assert "Latest (Jul-2023)" in body and "88.0%" in body


def test_a_latest_of_the_year_to_date_is_not_set_beside_a_monthly_count(loaded, board_member):
    # Referrals in month (referrals_count, rated by the month): its latest is the year to date.
    Observation.objects.create(measure_id="referrals", period="2023-06", period_type="month", value=7)
    Observation.objects.create(measure_id="referrals", period="2023-07", period_type="latest", value=15)
    Observation.objects.create(measure_id="cp_visits", period="2023-07", period_type="latest", value=88.0)
    services.clear_caches()
    page = board_member.get(reverse("plans:dashboard"), {"month": "2023-06"}).context["page"]
    rows = _rows(page)
    assert rows["referrals"].latest is None and rows["cp_visits"].latest is not None
    body = board_member.get(reverse("plans:measure", args=["referrals"]), {"month": "2023-06"}).content.decode()
    assert "Latest (Jul-2023)" not in body
    # Counted since April by the plan, the year-to-date latest stands beside its figures.
    plan = (DATA / "plan.yaml").read_text().replace(
        "        polarity: within_range\n        bands:\n          green: {lower: 2, upper: 4}\n"
        "          amber: {lower: 1, upper: 6}\n",
        "        polarity: higher_is_better\n        cumulative_in_year: true\n"
        "        targets:\n          \"2024-03\": 40\n        tolerance:\n          points: 5\n",
    )
    assert "cumulative_in_year" in plan
    services.save_plan_version(plan, filename="plan.yaml", user=None)
    rows = _rows(board_member.get(reverse("plans:dashboard"), {"month": "2023-06"}).context["page"])
    assert rows["referrals"].latest is not None and rows["referrals"].latest.value == 15


def test_board_members_are_not_offered_the_child_list(loaded, board_member):
    body = board_member.get(reverse("plans:measure", args=["cp_visits"])).content.decode()
    assert "Children behind the figure" not in body
    assert board_member.get(reverse("plans:child_list", args=["cp_visits"])).status_code == 403
    assert not AuditEvent.objects.filter(action="viewed_child_list").exists()


def test_a_manual_measure_says_it_has_no_child_records(loaded, service_lead):
    response = service_lead.get(reverse("plans:child_list", args=["cp_visits"]))
    assert response.status_code == 200
    assert "entered by hand" in response.content.decode()


def test_the_measure_page_gives_spc_variation_and_assurance_in_words_once_a_year_of_months_exists(
    db, board_member, tmp_path
):
    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    lines = ["measure_id,period,value"]
    lines += [f"audits_completed,2022-{m:02d},{20 + (m % 3)}" for m in range(1, 13)]
    lines += [f"audits_completed,2023-{m:02d},{34 + (m % 2)}" for m in range(1, 7)]
    csv_file = tmp_path / "audits.csv"
    csv_file.write_text("\n".join(lines) + "\n")
    services.import_observations(csv_file, user=None)
    page = board_member.get(reverse("plans:measure", args=["audits_completed"]), {"month": "2023-06"}).context["page"]
    assert page.spc.months == 18
    assert page.spc.variation == "Special cause variation: improving (higher)"
    # limits from all 18 months lie below the target of 30: the process as a whole misses it
    assert page.spc.assurance.startswith("Consistently failing")


def test_fewer_than_twelve_months_shows_no_spc(loaded, board_member):
    page = board_member.get(reverse("plans:measure", args=["cp_visits"])).context["page"]
    assert page.spc is None


def test_published_dfe_benchmarks_are_used_when_the_plan_gives_none(db, board_member, settings, tmp_path):
    from journey.engine.stats.benchmarks import BenchmarkStore, import_benchmarks

    fixtures = Path(__file__).parents[1] / "engine" / "stats" / "fixtures" / "dfe"
    settings.DATA_DIR = tmp_path
    import_benchmarks(
        [fixtures / "cla_number_and_rate_per_10k_children.csv", fixtures / "sn_model_2025_wide.csv"],
        tmp_path / "benchmarks",
    )
    expected = BenchmarkStore(tmp_path / "benchmarks").for_council("E06000012", measure_id="cla_rate_per_10k")[0]
    plan_text = (DATA / "plan.yaml").read_text().replace("E09000999", "E06000012").replace(
        "        source:\n          computed: referrals_count",
        "        source:\n          computed: cla_rate_per_10k",
    )
    services.save_plan_version(plan_text, filename="plan.yaml", user=None)
    csv_file = tmp_path / "obs.csv"
    csv_file.write_text("measure_id,period,value\nreferrals,2023-05,3\nreferrals,2023-06,4\n")
    services.import_observations(csv_file, user=None)
    page = board_member.get(reverse("plans:measure", args=["referrals"]), {"month": "2023-06"}).context["page"]
    names = {b.name: b.value_text for b in page.benchmarks}
    period = expected.time_period
    assert names[f"England ({period}, DfE)"] == f"{expected.england:,.0f}"
    assert f"Statistical neighbours ({period}, DfE, mean)" in names


def test_a_measure_that_never_changes_shows_common_cause_and_says_why(db, board_member, tmp_path):
    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    lines = ["measure_id,period,value"]
    lines += [f"audits_completed,{y}-{m:02d},30" for y in (2022, 2023) for m in range(1, 13)]
    csv_file = tmp_path / "flat.csv"
    csv_file.write_text("\n".join(lines) + "\n")
    services.import_observations(csv_file, user=None)
    response = board_member.get(reverse("plans:measure", args=["audits_completed"]), {"month": "2023-12"})
    assert response.status_code == 200
    spc = response.context["page"].spc
    # 24 months at 30: zero-width limits at 30, nothing special; the target of 30 is on them
    assert spc.months == 24
    assert spc.variation_short == "Common cause" and spc.signal == ""
    assert spc.assurance_short == "Hit and miss"
    assert "do not vary" in response.content.decode()


def test_warming_up_evaluates_the_recent_months_and_draws_the_latest_charts(loaded):
    from journey.web.plans import pages

    assert pages.warm_up() == 4
    version = services.data_version()
    plan = services.active_plan()
    from django.core.cache import cache

    key = services.plan_key(plan)
    bench = services.benchmarks_version()
    published = ()  # no month published yet
    assert cache.get(services.cache_key("dashboard", key, version, "2023-06", bench, published)) is not None
    assert cache.get(services.cache_key("dashboard", key, version, "2023-04", bench, published)) is not None
    assert cache.get(services.cache_key("measure", key, version, "cp_visits", "2023-06", published)) is not None


def test_warming_up_without_a_plan_does_nothing(db):
    from journey.web.plans import pages

    assert pages.warm_up() == 0


def test_the_measure_page_says_where_the_figure_comes_from(loaded, board_member):
    body = board_member.get(reverse("plans:measure", args=["cp_visits"]), {"month": "2023-06"}).content.decode()
    provenance = body[body.index('id="provenance"'):]
    provenance = provenance[: provenance.index("</dd>")]
    assert "Imported" in provenance and "observations.csv" in provenance
    assert "169 of 200" in provenance


def test_a_server_error_page_shows_nothing_about_the_request(client, db, settings):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Sorry, there is a problem with the service" in html
    assert "{{" not in html


def test_the_measure_page_shows_the_months_breakdowns(loaded, board_member, tmp_path):
    csv_file = tmp_path / "teams.csv"
    csv_file.write_text(
        "measure_id,period,breakdown,breakdown_value,value,numerator,denominator\n"
        "cp_visits,2023-06,team,North,80,40,50\ncp_visits,2023-06,team,South,89,89,100\n"
    )
    services.import_observations(csv_file, user=None)
    page = board_member.get(reverse("plans:measure", args=["cp_visits"]), {"month": "2023-06"}).context["page"]
    (table,) = page.breakdowns
    assert table.title == "By team, Jun-2023" and table.dimension == "Team"
    # The headline is 169 of 200: the teams account for 129 of 150, the rest is shown as such.
    assert table.rows == [
        ("North", "80.0%", "40 of 50"), ("South", "89.0%", "89 of 100"), ("Other or not recorded", "80.0%", "40 of 50"),
    ]
    assert table.total == ("84.5%", "169 of 200")


def test_a_breakdown_that_counts_some_twice_says_so_instead_of_inventing_a_row(loaded, board_member, tmp_path):
    csv_file = tmp_path / "teams.csv"
    csv_file.write_text(
        "measure_id,period,breakdown,breakdown_value,value,numerator,denominator\n"
        "cp_visits,2023-06,team,North,90,90,100\ncp_visits,2023-06,team,South,90,90,100\n"
    )
    services.import_observations(csv_file, user=None)
    (table,) = board_member.get(reverse("plans:measure", args=["cp_visits"]), {"month": "2023-06"}).context["page"].breakdowns
    assert [row[0] for row in table.rows] == ["North", "South"]
    assert "add up to 180, more than the 169 counted once" in table.note


def test_a_cumulative_measures_breakdown_is_of_the_year_to_date_its_headline_counts(db, board_member, tmp_path):
    plan = (DATA / "plan.yaml").read_text().replace(
        "      - id: audits_completed\n", "      - id: audits_completed\n        cumulative_in_year: true\n"
    )
    services.save_plan_version(plan, filename="plan.yaml", user=None)
    csv_file = tmp_path / "ytd.csv"
    csv_file.write_text(
        "measure_id,period,period_type,breakdown,breakdown_value,value,numerator\n"
        "audits_completed,2023-06,month,,,15,15\naudits_completed,2023-06,fytd,,,92,92\n"
        "audits_completed,2023-06,month,age_band,10 to 15,15,15\n"
        "audits_completed,2023-06,fytd,age_band,10 to 15,60,60\naudits_completed,2023-06,fytd,age_band,Under 1,32,32\n"
    )
    services.import_observations(csv_file, user=None)
    page = board_member.get(reverse("plans:measure", args=["audits_completed"]), {"month": "2023-06"}).context["page"]
    (table,) = page.breakdowns
    assert table.title == "By age band, Jun-2023, year to date"
    assert table.rows == [("Under 1", "32", ""), ("10 to 15", "60", "")]  # in the DfE bands' order
    assert table.total == ("92", "")


def _rows(page):
    return {row.measure.id: row for block in page.blocks for row in block.rows}


def test_the_table_shows_the_last_three_months_and_the_reader_may_choose_six_or_twelve(loaded, board_member):
    page = board_member.get(reverse("plans:dashboard")).context["page"]
    assert page.columns == ["Apr-2023", "May-2023", "Jun-2023"]
    assert _rows(page)["cp_visits"].shown_months == ["91.0%", "86.0%", "84.5%"]
    page = board_member.get(reverse("plans:dashboard"), {"months": "6"}).context["page"]
    assert page.columns == ["Jan-2023", "Feb-2023", "Mar-2023", "Apr-2023", "May-2023", "Jun-2023"]
    assert _rows(page)["cp_visits"].shown_months == ["–", "–", "–", "91.0%", "86.0%", "84.5%"]
    # Anything else falls back to three.
    assert board_member.get(reverse("plans:dashboard"), {"months": "999"}).context["page"].columns[0] == "Apr-2023"


def test_latest_is_shown_beside_the_newest_month_only_never_beside_an_old_one(loaded, board_member):
    from datetime import date

    Observation.objects.create(
        measure_id="cp_visits", period="2023-07", period_type="latest", value=88.0, as_at=date(2023, 7, 14)
    )
    page = board_member.get(reverse("plans:dashboard")).context["page"]
    assert page.latest_shown and page.latest_heading == "14 Jul"
    assert _rows(page)["cp_visits"].shown_latest == "88.0%"
    earlier = board_member.get(reverse("plans:dashboard"), {"month": "2023-05"})
    assert not earlier.context["page"].latest_shown
    assert "Latest" not in earlier.content.decode().split("<table", 1)[1]


def test_board_members_see_small_counts_as_fewer_than_five_and_staff_see_them_whole(loaded, client_for, tmp_path):
    from journey.web.accounts.roles import Role

    small = tmp_path / "small.csv"
    small.write_text(
        "measure_id,period,value,numerator,denominator\n"
        "audits_completed,2023-06,3,,\n"  # a count of 3
        "cp_visits,2023-05,100.0,2,2\n"  # "2 of 2"
    )
    services.import_observations(small, user=None)
    board = client_for(Role.BOARD_MEMBER, "bea")
    response = board.get(reverse("plans:dashboard"))
    rows = _rows(response.context["page"])
    assert rows["audits_completed"].shown_months == ["18", "24", "<5"]
    assert rows["cp_visits"].shown_months == ["91.0%", "hidden", "84.5%"]
    # Neither the reason, the direction nor the trend line gives the figure back.
    assert "3" not in rows["audits_completed"].shown_reason
    assert "100.0%" not in rows["cp_visits"].shown_direction_reason
    body = response.content.decode()
    assert "counts of 1 to 4 are shown as “fewer than 5”" in body
    assert "May-2023 100.0%" not in body and "Jun-2023 3," not in body
    staff = client_for(Role.TEAM_MANAGER, "tim").get(reverse("plans:dashboard"))
    rows = _rows(staff.context["page"])
    assert rows["audits_completed"].shown_months == ["18", "24", "3"]
    assert rows["cp_visits"].shown_months == ["91.0%", "100.0%", "84.5%"]
    assert "counts of 1 to 4" not in staff.content.decode()


def test_the_plan_can_turn_small_number_suppression_off(loaded, board_member, tmp_path):
    services.save_plan_version(
        "small_numbers: {fewer_than: 0}\n" + (DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None
    )
    small = tmp_path / "small.csv"
    small.write_text("measure_id,period,value\naudits_completed,2023-06,3\n")
    services.import_observations(small, user=None)
    rows = _rows(board_member.get(reverse("plans:dashboard")).context["page"])
    assert rows["audits_completed"].shown_months[-1] == "3"


def test_skip_links_jump_to_each_priority_table(loaded, board_member):
    body = board_member.get(reverse("plans:dashboard")).content.decode()
    assert '<a href="#priority-A" class="govuk-skip-link"' in body
    assert 'id="priority-A" tabindex="-1"' in body
    assert body.index('href="#priority-A"') < body.index('class="govuk-header')


def test_a_dashboard_drawn_from_its_kept_body_is_the_same_page_skip_links_and_all(loaded, board_member):
    import re

    def drawn(response):
        # The sign-out form's CSRF token is masked afresh on every response.
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())

    first = board_member.get(reverse("plans:dashboard"), {"months": "6"})
    again = board_member.get(reverse("plans:dashboard"), {"months": "6"})
    assert first.context["page"].body is None and again.context["page"].body is not None
    assert drawn(again) == drawn(first)
    assert again.context["page"].skip_links == [
        ("priority-A", "A – Planning and safety (CIN and CP)"),
        ("priority-B", "B – Child's journey through the system"),
        ("priority-D", "D – People and workforce"),
    ]
    # Red only: one red measure, so one priority's table and one skip link.
    services.import_observations(DATA / "observations_june_revised.csv", user=None)
    for _ in range(2):
        red = board_member.get(reverse("plans:dashboard"), {"red": "1"})
        assert red.context["page"].skip_links == [("priority-A", "A – Planning and safety (CIN and CP)")]
    assert red.context["page"].body is not None
    assert again.context["page"].columns[0] == "Jan-2023"


def test_a_measure_s_kept_figures_leave_the_plan_out_and_the_page_read_back_is_the_same(loaded, board_member):
    import pickle
    import re

    from journey.web.plans import pages

    plan = services.active_plan()
    measure = services.find_measure(plan, "cp_visits")
    built = pages._measure_figures(plan, services.data_version(), measure, "2023-06")
    assert pickle.loads(pickle.dumps(built)).plan is None  # the cache's copy: no plan in it
    read_back = pages._measure_figures(plan, services.data_version(), measure, "2023-06")
    assert read_back is not built and read_back.plan is plan and read_back.rows == built.rows

    def drawn(response):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())

    url = reverse("plans:measure", args=["cp_visits"])
    assert drawn(board_member.get(url, {"month": "2023-05"})) == drawn(board_member.get(url, {"month": "2023-05"}))
    chart = reverse("plans:measure_chart", args=["cp_visits"])
    assert board_member.get(chart).content == board_member.get(chart).content


def test_a_manual_measure_s_definition_from_the_plan_is_on_its_page(db, board_member):
    text = (DATA / "plan.yaml").read_text().replace(
        "        source: manual\n        owner: sam\n",
        "        source: manual\n"
        "        definition:\n"
        "          text: Children on a CP plan seen alone within 10 working days of the last visit.\n"
        "          numerator: children seen in time\n"
        "          denominator: children on a CP plan at the month's end\n"
        "          source: the team managers' visit tracker\n"
        "        owner: sam\n",
        1,
    )
    services.save_plan_version(text, filename="plan.yaml", user=None)
    body = board_member.get(reverse("plans:measure", args=["cp_visits"])).content.decode()
    counted = body[body.index("What is counted"):]
    counted = counted[: counted.index("</dl>")]
    assert "Children on a CP plan seen alone within 10 working days of the last visit." in counted
    assert "Children seen in time" in counted and "Children on a CP plan at the month&#x27;s end" in counted
    assert "The plan" in counted and "from the team managers&#x27; visit tracker" in counted


def test_a_manual_measure_without_a_definition_shows_the_plan_s_notes_and_no_definition(loaded, board_member):
    body = board_member.get(reverse("plans:measure", args=["cp_visits"])).content.decode()
    counted = body[body.index("What is counted"):]
    assert "Children on a plan visited within 10 working days of the last visit." in counted
    assert "Entered by hand each month" in counted and "Definition from" not in counted


def _version_reads(queries) -> int:
    return sum(1 for q in queries if 'MAX("plans_observation"."updated")' in q["sql"] or "MAX(`plans_observation`.`updated`)" in q["sql"])


def test_a_page_reads_the_data_version_once_however_often_its_parts_ask(loaded, board_member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in (reverse("plans:measure", args=["cp_visits"]), reverse("plans:dashboard")):
        with CaptureQueriesContext(connection) as queries:
            assert board_member.get(url).status_code == 200
        assert _version_reads(queries.captured_queries) == 1, url


def test_a_page_reads_the_active_plan_once_however_often_its_parts_ask(loaded, board_member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def plan_reads(queries) -> int:
        # services.active_plan's query (the ETag's active_plan_version is another).
        return sum(1 for q in queries if '"plans_planversion"."sha256" AS "sha256"' in q["sql"])

    for url in (reverse("plans:measure", args=["cp_visits"]), reverse("plans:dashboard")):
        board_member.get(url)  # warm: the plan is parsed and kept
        with CaptureQueriesContext(connection) as queries:
            assert board_member.get(url).status_code == 200
        assert plan_reads(queries.captured_queries) == 1, url


def test_a_plan_saved_between_pages_is_the_next_page_s_plan(loaded, board_member):
    assert "CP visits in timescale" in board_member.get(reverse("plans:dashboard")).content.decode()
    services.save_plan_version(
        (DATA / "plan.yaml").read_text().replace("CP visits in timescale", "CP visits on time"),
        filename="plan.yaml", user=None,
    )
    body = board_member.get(reverse("plans:dashboard")).content.decode()
    assert "CP visits on time" in body and "CP visits in timescale" not in body


def test_outside_a_page_each_reading_of_the_data_version_sees_the_latest_figures(loaded):
    before = services.data_version()
    Observation.objects.create(measure_id="cp_visits", period="2023-07", period_type="month", value=90.0)
    assert services.data_version() != before
    with services.one_data_version():
        inside = services.data_version()
        Observation.objects.create(measure_id="cp_visits", period="2023-08", period_type="month", value=91.0)
        assert services.data_version() == inside  # one reading per page
    assert services.data_version() != inside
