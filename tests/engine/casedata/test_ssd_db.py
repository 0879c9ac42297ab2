"""The SSD read straight from a database: PostgreSQL on this machine (a database the test
creates and drops), SQL Server through the same SELECTs compiled for its dialect."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from adbc_driver_manager import Error as AdbcError
from polars.testing import assert_frame_equal
from sqlalchemy.dialects import mssql, postgresql

from journey.engine.casedata import synth
from journey.engine.casedata.formats.ssd import PERSONAL_COLUMNS, SSD, SSD_TABLES, ssd_tables
from journey.engine.casedata.load import read_files
from journey.engine.casedata.ssd_db import (
    SsdDatabaseError,
    conninfo,
    database_url,
    read_only_cursor,
    read_ssd_database,
    resolve_url,
    select_for,
    shown,
    write_ssd_database,
)
from journey.engine.measures import REGISTRY, compute
from tests.ssd_database import ssd_database


@pytest.fixture(scope="module")
def database():
    """A fresh PostgreSQL database for this module, dropped afterwards."""
    with ssd_database() as url:
        yield url


@pytest.fixture(scope="module")
def council():
    return synth.synth_case_data(synth.DEFAULT_PROFILE, 3000, "2022-04", "2023-07", 5)


@pytest.fixture(scope="module")
def loaded(database, council):
    write_ssd_database(council, database, schema="ssd")
    engine = sa.create_engine(database_url(database))
    with engine.begin() as conn:
        # As a council's SSD holds them: names and addresses beside what is read.
        conn.execute(sa.text("ALTER TABLE ssd.ssd_person ADD COLUMN pers_forename varchar(100), ADD COLUMN pers_surname varchar(100)"))
        conn.execute(sa.text("UPDATE ssd.ssd_person SET pers_forename = 'Secretname', pers_surname = 'Hiddensurname'"))
        conn.execute(sa.text("ALTER TABLE ssd.ssd_cla_placement ADD COLUMN clap_cla_placement_postcode varchar(10)"))
        conn.execute(sa.text("UPDATE ssd.ssd_cla_placement SET clap_cla_placement_postcode = 'ZZ99 9ZZ'"))
    engine.dispose()
    return read_ssd_database(database, schema="ssd")


def test_an_ssd_database_loads_with_the_same_figures_as_the_canonical_extract_of_the_same_children(loaded, council):
    extract, report = read_files(loaded.files, as_at=council.as_at)
    assert report.format == "ssd" and report.ok, report.render_text()
    # Every measure but those needing what the SSD does not hold: contact decision dates,
    # supervisions, audits, the workforce's posts over time, the population, previous CP plans,
    # the carer of a placement (placement moves to the same carer are not moves), the date a
    # child gave their views.
    not_in_ssd = {
        "voice_plan_safe_pct", "voice_explained_worries_pct", "voice_agree_worker_pct",
        "cla_long_term_stability_pct", "cla_3plus_placements_pct",
        "mash_decisions_24h_pct", "supervisions_in_timescale_pct", "audits_completed_count",
        "audits_good_or_better_pct", "agency_workforce_pct", "permanent_workforce_pct",
        "caseload_sw_avg", "caseload_asye_avg", "cp_second_plan_pct",
    }
    ids = sorted(i for i in REGISTRY if i not in not_in_ssd and not i.endswith("_rate_per_10k"))
    expected = compute(council, "2022-10", "2023-07", ids, breakdowns=[], population=3000)
    got = compute(extract, "2022-10", "2023-07", ids, breakdowns=[], population=3000)
    cols = ["measure_id", "period", "period_type", "numerator", "denominator", "value"]
    assert_frame_equal(expected.select(cols).sort(cols[:3]), got.select(cols).sort(cols[:3]))
    assert expected["numerator"].sum() > 0


def test_names_and_addresses_in_the_database_are_never_read(loaded):
    everything = b"".join(loaded.files.values())
    assert b"Secretname" not in everything and b"Hiddensurname" not in everything and b"ZZ99" not in everything
    for spec in SSD_TABLES:
        present = {a: a for f in spec.fields for a in f.ssd}
        for types in (None, dict.fromkeys(present, "timestamp without time zone")):
            made = select_for(spec, present, "ssd", types)
            assert made is not None
            sql = str(made[0].compile(dialect=postgresql.dialect()))
            assert not any(col in sql for col in PERSONAL_COLUMNS), spec.name


def test_the_read_is_one_read_only_transaction(database, loaded):
    # A write inside the read's transaction is refused by PostgreSQL, and it sees one moment.
    with read_only_cursor(database_url(database)) as cursor:
        cursor.execute("SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')")
        assert cursor.fetchall() == [("repeatable read", "on")]
        with pytest.raises(AdbcError, match="read-only transaction"):
            cursor.execute("DELETE FROM ssd.ssd_person")
    assert loaded.rows["ssd_person"] > 0


def test_postgresql_values_are_written_as_an_export_writes_them(database):
    engine = sa.create_engine(database_url(database))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA typed"))
        conn.execute(sa.text(
            "CREATE TABLE typed.ssd_person (pers_person_id bigint, pers_dob date, pers_expected_dob timestamptz, "
            "pers_death_date timestamp(3), pers_sex char(3), pers_ethnicity varchar(10))"
        ))
        conn.execute(sa.text(
            "CREATE TABLE typed.ssd_cin_visits (cinv_cin_visit_id numeric(10, 0), cinv_person_id text, "
            "cinv_cin_visit_date date, cinv_cin_visit_seen boolean, cinv_cin_visit_seen_alone boolean)"
        ))
        conn.execute(sa.text(
            "CREATE TABLE typed.ssd_contacts (cont_contact_id integer, cont_person_id text, "
            "cont_contact_date timestamp, cont_contact_outcome_json jsonb)"
        ))
        conn.execute(sa.text(
            "INSERT INTO typed.ssd_contacts VALUES (1, 'C1', '2023-02-01 10:30', '{\"NFA_FLAG\": \"Y\"}')"
        ))
        conn.execute(sa.text("SET TIME ZONE 'Europe/London'"))
        conn.execute(sa.text(
            "INSERT INTO typed.ssd_person VALUES (7, '2015-06-01', '2023-06-01 00:00:00+01', "
            "'2023-01-02 03:04:05.678', 'M', 'WBRI'), (8, NULL, NULL, NULL, NULL, '')"
        ))
        conn.execute(sa.text(
            "INSERT INTO typed.ssd_cin_visits VALUES (1, 'C1', '2023-02-01', true, false), (2, 'C2', NULL, NULL, NULL)"
        ))
    engine.dispose()
    read = read_ssd_database(database + "?options=-c%20TimeZone%3DEurope/London", schema="typed")
    assert read.files["ssd_person.csv"].decode() == (
        "pers_person_id,pers_sex,pers_ethnicity,pers_dob,pers_expected_dob,pers_death_date\n"
        '7,M,WBRI,2015-06-01,2023-06-01 00:00:00,2023-01-02 03:04:05\n'
        '8,,"",,,\n'
    )
    assert read.files["ssd_cin_visits.csv"].decode() == (
        "cinv_cin_visit_id,cinv_person_id,cinv_cin_visit_date,cinv_cin_visit_seen,cinv_cin_visit_seen_alone\n"
        "1,C1,2023-02-01,Y,N\n"
        "2,C2,,,\n"
    )
    assert read.files["ssd_contacts.csv"].decode() == (
        "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_outcome_json\n"
        '1,C1,2023-02-01 10:30:00,"{""NFA_FLAG"": ""Y""}"\n'
    )
    assert read.rows == {"ssd_person": 2, "ssd_contacts": 1, "ssd_cin_visits": 2}


def test_a_broken_ssd_database_gets_located_messages_and_nothing_is_loaded(database, council, tmp_path):
    write_ssd_database(council, database, schema="broken")
    engine = sa.create_engine(database_url(database))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE broken.ssd_missing"))
        conn.execute(sa.text("ALTER TABLE broken.ssd_cp_plans DROP COLUMN cppl_cp_plan_start_date"))
        conn.execute(sa.text("ALTER TABLE broken.ssd_cin_episodes ALTER COLUMN cine_referral_date TYPE varchar(30)"))
        first = conn.execute(sa.text("SELECT min(cine_referral_id) FROM broken.ssd_cin_episodes")).scalar()
        conn.execute(sa.text("UPDATE broken.ssd_cin_episodes SET cine_referral_date = 'last Tuesday' WHERE cine_referral_id = :i"), {"i": first})
        conn.execute(sa.text("INSERT INTO broken.ssd_cla_placement (clap_cla_placement_id, clap_cla_placement_type) SELECT clap_cla_placement_id, 'U1' FROM broken.ssd_cla_placement LIMIT 1"))
        conn.execute(sa.text("INSERT INTO broken.ssd_cla_reviews (clar_cla_review_id, clar_cla_id, clar_cla_review_date) VALUES ('ORPHAN1', 'NO-SUCH-PERIOD', '2023-01-01')"))
    engine.dispose()
    read = read_ssd_database(database, schema="broken")
    from journey.engine.casedata.problems import ExtractRejected
    from journey.engine.casedata.store import Store

    store = Store(tmp_path / "store")
    with pytest.raises(ExtractRejected) as rejected:
        store.load(read.files, by="test", as_at=council.as_at, format="ssd")
    report = rejected.value.report
    text = [str(p) for p in report.problems]
    assert any(t.startswith("ssd_cp_plans.csv row 1, column cppl_cp_plan_start_date: required column") for t in text)
    assert any(t.startswith("ssd_cin_episodes.csv row 2, column cine_referral_date: 'last Tuesday' is not a date")
               and f"(cine_referral_id '{first}')" in t for t in text)
    assert any("has no ssd_missing: read as empty" in t for t in text)
    assert store.snapshots() == []
    # The same tables without the errors load, warning about the repeat and the orphan.
    engine = sa.create_engine(database_url(database))
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE broken.ssd_cp_plans ADD COLUMN cppl_cp_plan_start_date timestamp DEFAULT '2023-01-01'"))
        conn.execute(sa.text("UPDATE broken.ssd_cin_episodes SET cine_referral_date = '2023-01-05' WHERE cine_referral_id = :i"), {"i": first})
    engine.dispose()
    info, report = store.load(read_ssd_database(database, schema="broken").files, by="test", as_at=council.as_at, format="ssd")
    codes = {(p.code, p.file) for p in report.problems}
    assert ("duplicate_key", "ssd_cla_placement.csv") in codes
    assert ("unknown_reference", "ssd_cla_reviews.csv") in codes
    assert info.format == "ssd" and len(store.snapshots()) == 1


def test_a_database_that_cannot_be_reached_is_refused_without_showing_the_password():
    with pytest.raises(SsdDatabaseError) as err:
        read_ssd_database("postgresql://reader:s3cret@127.0.0.1:1/ssd")
    assert "s3cret" not in str(err.value) and "could not read the SSD from postgresql+psycopg://reader:***@127.0.0.1:1/ssd" in str(err.value)
    with pytest.raises(SsdDatabaseError, match="'sqlite' databases are not read"):
        database_url("sqlite:///x.db")
    assert resolve_url("env:SSD_URL", {"SSD_URL": "postgresql://a@b/c"}) == "postgresql://a@b/c"
    with pytest.raises(SsdDatabaseError, match="SSD_URL is not set"):
        resolve_url("env:SSD_URL", {})
    assert shown("mssql+pymssql://u:pw@host/db") == "mssql+pymssql://u:***@host/db"


def test_the_postgresql_connection_keeps_every_setting_of_the_url():
    url = database_url("postgresql://us%20er:p'a%5Css@db.example:6432/ssd?sslmode=require&options=-c%20TimeZone%3DEurope/London")
    assert conninfo(url) == (
        "host='db.example' port='6432' dbname='ssd' user='us er' password='p\\'a\\\\ss' "
        "sslmode='require' options='-c TimeZone=Europe/London'"
    )


def test_sql_server_gets_the_same_selects_in_its_own_dialect():
    # pymssql is installed (the sqlserver extra); no SQL Server runs here, so the engine is
    # made and the statements compiled, not executed.
    engine = sa.create_engine(database_url("mssql+pymssql://reader@sqlhost/LA_SSD"))
    assert engine.dialect.name == "mssql" and engine.dialect.driver == "pymssql"
    spec = SSD["ssd_cla_episodes"]
    present = {a: a.upper() for f in spec.fields for a in f.ssd[:1]}
    stmt, header = select_for(spec, present, "ssd_development")
    sql = str(stmt.compile(dialect=mssql.dialect()))
    assert sql.startswith("SELECT ssd_development.ssd_cla_episodes.[CLAE_CLA_EPISODE_ID]") or "ssd_development.ssd_cla_episodes" in sql
    assert "ORDER BY" in sql and "CLAE_CLA_EPISODE_ID" in sql
    assert header[0] == "clae_cla_episode_id"


def test_the_synthetic_council_in_ssd_form_has_every_table_the_reader_uses(council):
    tables = ssd_tables(council)
    assert set(tables) == {s.name for s in SSD_TABLES}
    assert tables["ssd_person"].height == council.tables["children"].collect().height
    assert tables["ssd_cla_episodes"]["clae_cla_id"].null_count() == 0
    assert date(2022, 1, 1) <= tables["ssd_cin_episodes"]["cine_referral_date"].max() <= date(2023, 7, 31)
