"""SSDA903 as councils hold it: DfE's XML form, files named without a year (given with
--collection-year) and year folders."""

from __future__ import annotations

from datetime import date

import polars as pl
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from journey.cli import main
from journey.engine.casedata.formats.ssda903 import (
    read_ssda903_files,
    write_ssda903,
    write_ssda903_xml,
)
from journey.engine.casedata.load import files_from_path, read_files, read_path
from journey.engine.casedata.schema import Extract
from journey.engine.casedata.synth import synth_extract
from journey.engine.measures import REGISTRY, compute

from .conftest import AS_AT

# DfE's XML layout (as D2I's validator reads it): CHILD > HEADER (with the repeated
# AREVIEW groups) and CHILD > EPISODE, with CHILDID for CHILD and PL for PLACE.
XML = b"""<?xml version='1.0' encoding='utf-8'?>
<EXPSSDA903>
  <CHILD>
    <HEADER>
      <CHILDID>947390</CHILDID><UPN>E095867270650</UPN><SEX>1</SEX><DOB>02/03/2013</DOB>
      <ETHNIC>BOTH</ETHNIC><UASC />
      <AREVIEW><REVIEW>28/01/2024</REVIEW><REVIEW_CODE>PN3</REVIEW_CODE></AREVIEW>
      <MOTHER /><MC_DOB />
    </HEADER>
    <EPISODE>
      <DECOM>11/11/2023</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U6</PL>
      <PL_POST>D4 8NF</PL_POST><HOME_POST>E22 4DI</HOME_POST><URN>SC1594525</URN>
      <PLACE_PROVIDER>PR4</PLACE_PROVIDER><DEC>26/01/2024</DEC><REC>X1</REC><REASON_PLACE_CHANGE />
    </EPISODE>
    <EPISODE>
      <DECOM>26/01/2024</DECOM><RNE>P</RNE><LS>C2</LS><CIN>N1</CIN><PL>Q9</PL>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC /><REC /><REASON_PLACE_CHANGE>CARPL</REASON_PLACE_CHANGE>
    </EPISODE>
  </CHILD>
</EXPSSDA903>
"""


def test_dfe_ssda903_xml_is_read_into_the_canonical_tables_with_its_lines_as_rows():
    result = read_ssda903_files({"903.xml": XML}, collection_year=2024)
    assert result.errors == []
    episodes = result.tables["cla_episodes"]
    assert episodes.select("child_id", "episode_start", "reason_new_episode", "placement_type", "placement_urn").rows() == [
        ("947390", date(2023, 11, 11), "S", "U6", "SC1594525"),
        ("947390", date(2024, 1, 26), "P", "Q9", None),
    ]
    assert episodes["_row"].to_list() == [10, 15]
    assert result.tables["cla_reviews"].select("review_date", "participation").rows() == [(date(2024, 1, 28), "PN3")]
    assert result.tables["children"].select("child_id", "sex", "date_of_birth").rows() == [("947390", "M", date(2013, 3, 2))]
    _, report = read_files({"903.xml": XML})
    assert report.format == "ssda903"
    # The shared rules name the XML's line: PLACE Q9 is not a placement type.
    [unknown] = [p for p in report.problems if p.code == "unknown_code"]
    assert (unknown.file, unknown.row, unknown.column, unknown.value) == ("903.xml", 15, "PLACE", "Q9")


def test_the_xml_and_csv_forms_of_the_same_children_give_identical_figures(tmp_path):
    council = synth_extract(population=1000, first_month="2021-04", last_month="2024-03", seed=3)
    extract = Extract({name: frame.lazy() for name, frame in council.items()}, as_at=date(2024, 3, 31))
    write_ssda903(extract, tmp_path / "csv")
    write_ssda903_xml(extract, tmp_path / "xml")
    from_csv, csv_report = read_path(tmp_path / "csv")
    from_xml, xml_report = read_path(tmp_path / "xml")
    assert csv_report.ok and xml_report.ok
    assert csv_report.tables == xml_report.tables
    ids = [m.id for m in REGISTRY.values() if m.area in ("looked_after", "care_leavers")]
    by_csv = compute(from_csv, "2022-04", "2024-03", ids)
    by_xml = compute(from_xml, "2022-04", "2024-03", ids)
    assert by_csv.height > 0
    assert_frame_equal(by_csv.drop("snapshot"), by_xml.drop("snapshot"))


HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n4,1,10/10/2005,WBRI,,,\n"
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    "4,01/05/2017,S,C2,N1,U6,PR1,,,,,,\n"
)
OC3 = "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\n4,10/10/2005,YES,F2,D1\n"


def test_files_named_without_a_year_load_with_the_collection_year_option(tmp_path):
    for name, text in (("header.csv", HEADER), ("episodes.csv", EPISODES), ("oc3.csv", OC3)):
        (tmp_path / name).write_text(text)
    without = CliRunner().invoke(main, ["data", "check", str(tmp_path)])
    assert without.exit_code == 1
    assert "give --collection-year YYYY" in without.output
    checked = CliRunner().invoke(main, ["data", "check", str(tmp_path), "--collection-year", "2018"])
    assert checked.exit_code == 0, checked.output
    assert "2018/oc3.csv" in checked.output
    # As `journey data load --collection-year 2018` keeps them (tests/web/test_cli_data_load.py).
    from journey.engine.casedata.load import files_from_path, with_collection_year
    from journey.engine.casedata.store import Store

    files, conflicts = with_collection_year(files_from_path(tmp_path), 2018)
    assert conflicts == []
    store = tmp_path / "store"
    Store(store).load(files, by="t")
    [snapshot] = Store(store).snapshots()
    assert snapshot.as_at == date(2018, 3, 31)
    assert sorted(snapshot.names) == ["2018/episodes.csv", "2018/header.csv", "2018/oc3.csv"]
    # The year travels with the stored names: a recomputation reads the same.
    assert Store(store).verify(snapshot.id) == []
    leavers = Store(store).load_snapshot(snapshot.id).tables["care_leavers"].collect()
    assert leavers["contact_date"].to_list() == [date(2017, 10, 10)]


def test_a_year_given_twice_differently_is_an_error_naming_the_option(tmp_path):
    (tmp_path / "episodes_2019.csv").write_text(EPISODES)
    _, report = read_path(tmp_path, collection_year=2018)
    [problem] = report.errors
    assert (problem.code, problem.file) == ("collection_year_conflict", "episodes_2019.csv")
    assert "--collection-year 2018" in problem.message


def test_year_folders_are_read_with_the_files_inside_them(tmp_path):
    for year in ("2018", "2019"):
        (tmp_path / year).mkdir()
        (tmp_path / year / "header.csv").write_text(HEADER)
        (tmp_path / year / "oc3.csv").write_text(OC3)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "header.csv").write_text(HEADER)
    assert sorted(files_from_path(tmp_path)) == ["2018/header.csv", "2018/oc3.csv", "2019/header.csv", "2019/oc3.csv"]
    extract, report = read_path(tmp_path)
    assert report.ok, report.render_text()
    assert extract.as_at == date(2019, 3, 31)
    contacts = extract.tables["care_leavers"].collect().sort("contact_date")["contact_date"].to_list()
    assert contacts == [date(2017, 10, 10), date(2018, 10, 10)]


def test_the_xml_writer_writes_each_year_as_the_csv_writer_does(council, tmp_path):
    [path] = write_ssda903_xml(council, tmp_path, collection_years=[2024])
    assert path.name == "ssda903_2024.xml"
    from_xml = read_ssda903_files({path.name: path.read_bytes()})
    write_ssda903(council, tmp_path / "csv", collection_years=[2024])
    from_csv = read_ssda903_files({p.name: p.read_bytes() for p in (tmp_path / "csv").iterdir()})
    for table in ("cla_episodes", "cla_reviews", "care_leavers", "allocations", "children"):
        drop = ["_file", "_sheet", "_row"]
        assert_frame_equal(
            from_xml.tables[table].drop(drop).sort(pl.all()), from_csv.tables[table].drop(drop).sort(pl.all())
        ), table
    assert AS_AT == date(2024, 3, 31)
