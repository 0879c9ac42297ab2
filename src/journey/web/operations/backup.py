"""``journey backup`` / ``journey restore``: the database and the data directory in one file.

A backup is a tar file holding

* ``database.json.gz`` – every record (Django's ``dumpdata``, natural keys, so it restores
  into SQLite or PostgreSQL alike), read in one consistent transaction;
* ``data/…`` – the data directory's kept files: the snapshot store (original extracts and
  their Parquet tables), DfE benchmarks, uploads waiting to be checked or accepted;
* ``manifest.json`` – the SHA-256 and size of each of those, the database's migrations and
  the number of records per model.

Left out: the cache and collected static files (rebuilt), the development secret key
(production keys come from the environment), the task queue and its progress (work in
flight is not restored; reports still building are marked to be built again).

``restore`` checks every checksum before it changes anything, refuses an instance that
already holds data, and then loads the records and writes the files.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "journey-backup/1"
EXCLUDED_MODELS = [
    "contenttypes", "auth.permission", "sessions", "django_tasks_database", "background",
]
"""Rebuilt by ``migrate`` (content types, permissions), or not worth restoring."""
SKIPPED_DATA = {"cache", "static", "secret_key", "backups"}
"""Names in the data directory that are not backed up."""
CHUNK = 1024 * 1024

Say = Callable[[str], None]


class BackupError(Exception):
    """A backup cannot be made or restored; nothing was changed."""


@dataclass(frozen=True)
class Summary:
    path: Path
    records: int
    files: int
    bytes: int


def _sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


def _database_files() -> set[Path]:
    """The SQLite file (and its journal) when it lives in the data directory."""
    name = str(settings.DATABASES["default"].get("NAME", ""))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and name:
        base = Path(name).resolve()
        return {base, *(base.with_name(base.name + suffix) for suffix in ("-journal", "-wal", "-shm"))}
    return set()


def kept_files() -> Iterator[Path]:
    """The data directory's files that a backup holds, in a stable order."""
    root = data_dir()
    skip = _database_files()
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in SKIPPED_DATA or path.resolve() in skip:
            continue
        if path.is_file() and not path.is_symlink() and not path.name.startswith(".tmp"):
            yield path


def migrations_applied() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _dump_database(out: Path) -> dict[str, int]:
    """Every record, read in one transaction (a consistent snapshot on PostgreSQL too)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        call_command(
            "dumpdata", natural_foreign=True, natural_primary=True, exclude=EXCLUDED_MODELS,
            output=str(out), verbosity=0,
        )
    with gzip.open(out, "rt", encoding="utf-8") as handle:
        records = json.load(handle)
    return dict(sorted(Counter(record["model"] for record in records).items()))


def backup(target: Path, say: Say = lambda _message: None) -> Summary:
    """Write a backup to ``target`` (a new file) and return what it holds."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="journey-backup-") as folder:
        dump = Path(folder) / "database.json.gz"
        say("Reading the database")
        counts = _dump_database(dump)
        entries = [{"path": "database.json.gz", "sha256": _sha256_file(dump), "size": dump.stat().st_size}]
        say("Reading the data directory")
        files = list(kept_files())
        partial = Path(folder) / "backup.tar"
        total = dump.stat().st_size
        with tarfile.open(partial, "w") as tar:
            tar.add(dump, arcname="database.json.gz")
            for path in files:
                name = str(PurePosixPath("data", *path.relative_to(data_dir()).parts))
                digest = _sha256_file(path)
                tar.add(path, arcname=name)
                entries.append({"path": name, "sha256": digest, "size": path.stat().st_size,
                                "mode": path.stat().st_mode & 0o777})
                total += path.stat().st_size
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "journey_version": _version(),
                "database": {"vendor": connection.vendor, "migrations": migrations_applied(),
                             "records": counts},
                "files": entries,
            }
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        shutil.move(partial, target)
    target.chmod(0o600)  # child-level records: the service account only
    return Summary(target, sum(counts.values()), len(files), total)


def _version() -> str:
    from journey import __version__

    return __version__


# ---------------------------------------------------------------------------- restore


def read_manifest(tar: tarfile.TarFile, source: Path) -> dict[str, Any]:
    try:
        member = tar.getmember("manifest.json")
    except KeyError:
        raise BackupError(f"{source} is not a Journey backup: it has no manifest.json.") from None
    handle = tar.extractfile(member)
    assert handle is not None
    manifest = json.load(handle)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: unknown backup format {manifest.get('format')!r} (expected {FORMAT}).")
    for entry in manifest["files"]:
        path = PurePosixPath(entry["path"])
        if path.is_absolute() or ".." in path.parts or (path.parts[0] != "data" and entry["path"] != "database.json.gz"):
            raise BackupError(f"{source}: the manifest names a file outside the backup: {entry['path']!r}.")
    return manifest


def verify(source: Path) -> dict[str, Any]:
    """Check every file in the backup against its manifest; raise :class:`BackupError`
    naming each that is missing, extra or different. Returns the manifest."""
    problems = []
    with tarfile.open(source, "r") as tar:
        manifest = read_manifest(tar, source)
        expected = {entry["path"]: entry for entry in manifest["files"]}
        seen = set()
        for member in tar.getmembers():
            if member.name == "manifest.json":
                continue
            entry = expected.get(member.name)
            if entry is None or not member.isfile():
                problems.append(f"{member.name}: not in the manifest")
                continue
            seen.add(member.name)
            handle = tar.extractfile(member)
            assert handle is not None
            digest = hashlib.file_digest(handle, "sha256")  # type: ignore[arg-type]  # a readable file
            if digest.hexdigest() != entry["sha256"] or member.size != entry["size"]:
                problems.append(f"{member.name}: its checksum does not match the manifest (damaged)")
        problems += [f"{name}: missing from the backup" for name in sorted(set(expected) - seen)]
    if problems:
        raise BackupError(f"{source} failed its checks; nothing was restored:\n  " + "\n  ".join(problems[:50]))
    return manifest


def instance_holds_data() -> list[str]:
    """What already holds data here (records per model, files in the data directory)."""
    found = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in {"contenttypes", "sessions", "background", "django_tasks_database"} or label == "auth.permission":
            continue
        if model._default_manager.exists():
            found.append(f"{model._meta.verbose_name_plural} in the database")
    if any(True for _ in kept_files()):
        found.append(f"files in {data_dir()}")
    return found


def restore(source: Path, say: Say = lambda _message: None) -> Summary:
    """Restore a backup into this (empty) instance: database records, then files."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    say("Checking every file against the manifest")
    manifest = verify(source)
    say("Bringing the database up to date")
    call_command("migrate", interactive=False, verbosity=0)
    held = instance_holds_data()
    if held:
        raise BackupError(
            "This instance already holds data (" + ", ".join(held) + "); restore only into an "
            "empty one (a new database and data directory). Nothing was restored."
        )
    mine = migrations_applied()
    theirs = manifest["database"]["migrations"]
    differ = sorted(
        app for app in set(theirs) | set(mine)
        if app not in {"background", "django_tasks_database"} and theirs.get(app, []) != mine.get(app, [])
    )
    if differ:
        raise BackupError(
            "The backup was made by a different version of Improvement Journey (migrations of "
            + ", ".join(differ) + " differ): restore it with the version that made it "
            f"({manifest['journey_version']}), then upgrade. Nothing was restored."
        )
    root = data_dir()
    written = 0
    with tempfile.TemporaryDirectory(prefix="journey-restore-") as folder, tarfile.open(source, "r") as tar:
        dump = Path(folder) / "database.json.gz"
        member = tar.extractfile("database.json.gz")
        assert member is not None
        with dump.open("wb") as out:
            shutil.copyfileobj(member, out, CHUNK)
        say("Loading the records")
        with transaction.atomic():
            call_command("loaddata", str(dump), verbosity=0)
            _unfinished_builds_to_redo()
        say("Writing the data directory")
        for entry in manifest["files"]:
            if entry["path"] == "database.json.gz":
                continue
            target = root.joinpath(*PurePosixPath(entry["path"]).parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle = tar.extractfile(entry["path"])
            assert handle is not None
            with target.open("wb") as out:
                shutil.copyfileobj(handle, out, CHUNK)
            target.chmod(entry.get("mode", 0o600))
            written += entry["size"]
    from django.core.cache import cache

    cache.clear()
    records = sum(manifest["database"]["records"].values())
    return Summary(source, records, len(manifest["files"]) - 1, written)


def _unfinished_builds_to_redo() -> None:
    from journey.web.reports.models import ReportBuild

    ReportBuild.objects.filter(status__in=[ReportBuild.Status.QUEUED, ReportBuild.Status.RUNNING]).update(
        status=ReportBuild.Status.FAILED,
        message="Not finished when the backup was taken: build the report again.",
    )
