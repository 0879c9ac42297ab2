"""``journey report``: from a plan file and observations CSV (no database), and from the database."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from journey.cli import main

ROOT = Path(__file__).resolve().parents[3]
WEB_DATA = ROOT / "tests" / "web" / "data"
PLAN = str(WEB_DATA / "plan.yaml")
OBS = str(WEB_DATA / "observations.csv")


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_a_monthly_csv_is_written_from_files_and_is_draft_without_narrative(tmp_path):
    out = tmp_path / "summary.csv"
    result = run("report", "monthly", "--plan", PLAN, "--observations", OBS, "--period", "2023-06", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.stdout
    assert "DRAFT: No narrative is approved yet for any of the" in result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    figures = {r["Measure id"]: (r["Actual"], r["Performance (RAG)"], r["Narrative"]) for r in rows}
    assert figures["cp_visits"] == ("84.5", "Amber", "Narrative not yet approved")


def test_the_format_follows_the_output_extension_and_the_period_defaults_to_the_latest_month(tmp_path):
    out = tmp_path / "quarter.docx"
    result = run("report", "quarterly", "--plan", PLAN, "--observations", OBS, "--no-charts", "-o", str(out))
    assert result.exit_code == 0, result.output
    document = Document(str(out))
    assert document.paragraphs[1].text == "Quarterly progress report to the Minister"
    assert "Quarter Apr–Jun 2023" in document.paragraphs[2].text


def test_a_scrutiny_pdf_is_written_from_files(tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "scrutiny.pdf"
    result = run("report", "scrutiny", "--plan", PLAN, "--observations", OBS, "--period", "2023-06", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = " ".join((p.extract_text() or "") for p in PdfReader(str(out)).pages)
    assert "Scrutiny update" in text and "Key figures" in text


def test_plan_without_observations_is_a_usage_error():
    result = run("report", "monthly", "--plan", PLAN)
    assert result.exit_code == 2
    assert "--plan and --observations go together" in result.output


def test_an_unknown_format_is_refused_with_the_choices(tmp_path):
    result = run("report", "monthly", "--plan", PLAN, "--observations", OBS, "--format", "odt", "-o", str(tmp_path / "x.odt"))
    assert result.exit_code == 2
    assert "'odt' is not a report format: choose one of pdf, docx, html, xlsx, csv" in result.output


def test_a_bad_month_is_refused():
    result = run("report", "monthly", "--plan", PLAN, "--observations", OBS, "--period", "2023-13")
    assert result.exit_code == 2
    assert "'2023-13' is not a month in the form YYYY-MM" in result.output


def test_a_broken_observations_file_is_reported_and_nothing_is_written(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("measure_id,period,value\ncp_visits,June,80\n")
    out = tmp_path / "x.pdf"
    result = run("report", "monthly", "--plan", PLAN, "--observations", str(bad), "-o", str(out))
    assert result.exit_code == 1
    assert "bad.csv row 2, column period" in result.stderr
    assert not out.exists()


@pytest.mark.django_db
def test_without_files_the_report_comes_from_the_database(tmp_path, monkeypatch):
    from journey.web.plans import services as plans

    monkeypatch.setattr("journey.cli._django.setup_django", lambda: None)
    plans.save_plan_version(Path(PLAN).read_text(), filename="plan.yaml", user=None)
    plans.import_observations(Path(OBS), user=None)
    out = tmp_path / "from-db.xlsx"
    result = run("report", "monthly", "--period", "2023-06", "-o", str(out))
    assert result.exit_code == 0, result.output
    import openpyxl

    workbook = openpyxl.load_workbook(out)
    assert "Summary" in workbook.sheetnames and "Actions" in workbook.sheetnames
    about = workbook["About"]
    assert about["A2"].value == "Synthetic Borough Council"


@pytest.mark.django_db
def test_without_files_and_without_a_plan_the_database_report_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr("journey.cli._django.setup_django", lambda: None)
    result = run("report", "monthly", "--period", "2023-06", "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 1
    assert "No improvement plan has been loaded yet." in result.stderr
