"""The snapshot store: atomic, content-addressed, recomputable, with a removal log."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from journey.engine.casedata import canonical
from journey.engine.casedata.load import read_files
from journey.engine.casedata.problems import ExtractRejected
from journey.engine.casedata.schema import FLAG_COLUMN
from journey.engine.casedata.store import AlreadyLoaded, SnapshotNotFound, Store, extract_sha256

from .conftest import make_extract

REFERRALS = b"referral_id,child_id,referral_date\nR1,C1,2023-01-05\nR2,C1,2023-02-30\n"


def _tree(root: Path) -> dict[str, str]:
    """Every file under root with its content hash (and every directory), to compare states."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "dir"
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def files():
    return canonical.to_csv_files(make_extract())


def test_an_accepted_load_keeps_the_originals_a_manifest_and_parquet_tables(tmp_path, files):
    store = Store(tmp_path / "store")
    steps = []
    info, report = store.load(files, by="analyst", progress=lambda f, m: steps.append(f))
    assert report.ok
    assert info.id == extract_sha256(files)
    assert info.format == "canonical"
    assert info.as_at == date(2024, 3, 31)
    assert info.loaded_by == "analyst"
    assert info.rows["children"] == 3 and info.rows["referrals"] == 2 and info.rows["visits"] == 0
    assert steps[0] == 0.0 and steps[-1] == 1.0 and steps == sorted(steps)
    folder = tmp_path / "store" / "snapshots" / info.id
    for name, data in files.items():
        stored = folder / "source" / hashlib.sha256(data).hexdigest()
        assert stored.read_bytes() == data
        assert stored.stat().st_mode & 0o222 == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sha256"] == info.id
    assert sorted(f["name"] for f in manifest["files"]) == sorted(files)
    assert store.snapshots() == [info]


def test_a_loaded_snapshot_scans_lazily_to_the_same_tables_as_reading_the_files(tmp_path, files):
    store = Store(tmp_path)
    info, _ = store.load(files, by="analyst")
    snapshot = store.load_snapshot(info.id[:8])
    read, _ = read_files(files)
    assert snapshot.snapshot == info.id
    assert snapshot.as_at == date(2024, 3, 31)
    assert isinstance(snapshot.tables["children"], pl.LazyFrame)
    for name, frame in read.tables.items():
        assert_frame_equal(snapshot.tables[name].collect(), frame.collect())


def test_a_rejected_load_leaves_the_store_byte_for_byte_unchanged(tmp_path, files):
    store = Store(tmp_path / "store")
    store.load(files, by="analyst")
    before = _tree(tmp_path)
    with pytest.raises(ExtractRejected) as rejected:
        store.load({"referrals.csv": REFERRALS}, by="analyst")
    assert [str(p) for p in rejected.value.report.errors] == [
        "referrals.csv row 3, column referral_date: '2023-02-30' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)"
    ]
    assert _tree(tmp_path) == before


def test_a_rejected_first_load_does_not_even_create_the_store(tmp_path):
    with pytest.raises(ExtractRejected):
        Store(tmp_path / "store").load({"referrals.csv": REFERRALS}, by="analyst")
    assert _tree(tmp_path) == {}


def test_loading_the_same_extract_twice_is_refused_and_changes_nothing(tmp_path, files):
    store = Store(tmp_path)
    assert store.already_loaded(files) is None
    info, _ = store.load(files, by="first")
    assert store.already_loaded(files) == info
    before = _tree(tmp_path)
    with pytest.raises(AlreadyLoaded) as already:
        store.load(dict(files), by="second")
    assert already.value.snapshot == info
    assert str(already.value).startswith(
        f"this extract is already loaded as snapshot {info.id[:12]} (by first at "
    )
    assert _tree(tmp_path) == before


def test_recomputing_from_the_stored_originals_gives_identical_parquet(tmp_path, files):
    store = Store(tmp_path)
    info, _ = store.load(files, by="analyst")
    folder = tmp_path / "snapshots" / info.id / "tables"
    rebuilt = store.recompute(info.id)
    assert {name: (folder / f"{name}.parquet").read_bytes() for name in rebuilt} == rebuilt
    assert store.verify(info.id) == []


def test_a_stored_table_changed_on_disk_is_found_by_verification(tmp_path, files):
    store = Store(tmp_path)
    info, _ = store.load(files, by="analyst")
    target = tmp_path / "snapshots" / info.id / "tables" / "children.parquet"
    target.chmod(0o644)
    pl.read_parquet(target).with_columns(pl.lit(True).alias(FLAG_COLUMN)).write_parquet(target)
    assert store.verify(info.id) == ["children"]


def test_the_latest_snapshot_is_the_one_with_the_latest_extract_date(tmp_path):
    store = Store(tmp_path)
    assert store.latest_snapshot() is None
    march = canonical.to_csv_files(make_extract(date(2024, 3, 31)))
    february = canonical.to_csv_files(make_extract(date(2024, 2, 29)))
    march_info, _ = store.load(march, by="analyst")
    store.load(february, by="analyst")
    latest = store.latest_snapshot()
    assert latest is not None and latest.snapshot == march_info.id


def test_removal_deletes_the_snapshot_and_appends_to_the_log(tmp_path, files):
    store = Store(tmp_path)
    info, _ = store.load(files, by="analyst")
    removal = store.remove(info.id[:10], who="admin", reason="loaded by mistake")
    assert (removal.id, removal.who, removal.reason, removal.as_at) == (
        info.id,
        "admin",
        "loaded by mistake",
        "2024-03-31",
    )
    assert store.snapshots() == []
    assert not (tmp_path / "snapshots" / info.id).exists()
    assert store.removals() == [removal]
    again, _ = store.load(files, by="analyst")
    store.remove(again.id, who="admin", reason="retention")
    assert [r.reason for r in store.removals()] == ["loaded by mistake", "retention"]


def test_removal_needs_a_reason_and_an_existing_snapshot(tmp_path, files):
    store = Store(tmp_path)
    info, _ = store.load(files, by="analyst")
    with pytest.raises(ValueError, match="a reason is needed"):
        store.remove(info.id, who="admin", reason="  ")
    with pytest.raises(SnapshotNotFound, match="is not a snapshot in the store"):
        store.remove("abcdef123", who="admin", reason="x")
    assert store.removals() == []


def test_the_report_shown_at_loading_is_kept(tmp_path):
    store = Store(tmp_path)
    info, report = store.load(
        {"children.csv": b"child_id,sex\nC1,X\n"}, by="analyst", as_at=date(2024, 3, 31)
    )
    kept = store.report(info.id)
    assert (
        [str(p) for p in kept.problems]
        == [str(p) for p in report.problems]
        == ["children.csv row 2, column sex: 'X' is not a sex code (M, F, U)"]
    )
    assert info.warnings == 1 and info.flagged["children"] == 1


def test_the_default_store_is_under_the_data_directory(tmp_path, files, monkeypatch):
    from journey.engine.casedata.store import default_store_dir, latest_snapshot, load_snapshot

    monkeypatch.setenv("JOURNEY_DATA_DIR", str(tmp_path))
    assert default_store_dir() == tmp_path / "store"
    assert latest_snapshot() is None
    info, _ = Store().load(files, by="analyst")
    assert load_snapshot(info.id).snapshot == info.id
    assert latest_snapshot().snapshot == info.id


def test_an_accepted_load_sweeps_away_folders_an_unfinished_load_left_behind(tmp_path, files):
    import os

    store = Store(tmp_path)
    abandoned = tmp_path / ".loading-crashed"
    (abandoned / "source").mkdir(parents=True)
    (abandoned / "source" / "child-data").write_bytes(b"C1")
    os.utime(abandoned, (0, 0))
    running = tmp_path / ".loading-running"
    running.mkdir()
    store.load(files, by="analyst")
    assert not abandoned.exists()
    assert running.exists()
