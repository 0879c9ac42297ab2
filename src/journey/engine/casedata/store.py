"""The snapshot store: every accepted extract, kept so any figure can be traced and recomputed.

Layout under the store directory (default ``$JOURNEY_DATA_DIR/store``)::

    snapshots/<id>/manifest.json       who loaded what, when, as at which date, row counts
    snapshots/<id>/report.json         the validation report shown when it was accepted
    snapshots/<id>/source/<sha256>     each original file, byte for byte, read-only
    snapshots/<id>/tables/<table>.parquet   the normalised tables with ``_flagged``
    removals.jsonl                     append-only log of removed snapshots

    pending/<id>.json                  a snapshot being accepted (see below)

The snapshot id is the SHA-256 of the file for a one-file extract (of the ``sha256  name``
lines for several files), so loading the same extract twice is recognised and refused.
A load is atomic: everything is written into a temporary directory inside the store, each
file flushed to the disk (``fsync``), the manifest last, and the directory renamed into
place in one step; an extract with errors is refused before the store is touched, so a
rejected load changes nothing.

The web application and ``journey data load`` accept a snapshot in two places, this store
and the database (its figures). Before writing here they record the intention in
``pending/``; once the database has committed they remove it. A load killed in between
leaves the intention behind, and the next load (or listing) finishes the job: a snapshot
the database never accepted is taken out again (:meth:`Store.recover`), so both places
are as before the load or as after it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from journey.engine.casedata.load import Files, Progress, no_progress, read_files
from journey.engine.casedata.problems import ExtractRejected, ValidationReport
from journey.engine.casedata.safety import Limits
from journey.engine.casedata.schema import FLAG_COLUMN, SCHEMA, Extract
from journey.engine.faults import checkpoint

READ_ONLY = stat.S_IRUSR | stat.S_IRGRP

#: A temporary folder older than this was left by a load or removal that never finished.
ABANDONED_AFTER_SECONDS = 3600


#: The source checkout this module runs from (src layout); in an installed wheel, a folder
#: inside the virtualenv, which has no ``pyproject.toml``.
PROJECT_DIR = Path(__file__).resolve().parents[4]


def default_data_dir(project_dir: Path = PROJECT_DIR, cwd: Path | None = None) -> Path:
    """Where data lives: ``$JOURNEY_DATA_DIR``; unset, ``var`` beside ``pyproject.toml`` in a
    source checkout, else ``var`` in the current folder (never inside the virtualenv, where
    data would be lost with it). The web's settings and the CLI's store both use this."""
    configured = os.environ.get("JOURNEY_DATA_DIR")
    if configured:
        return Path(configured)
    if (project_dir / "pyproject.toml").is_file():
        return project_dir / "var"
    return (cwd or Path.cwd()) / "var"


def default_store_dir() -> Path:
    return default_data_dir() / "store"


def extract_sha256(files: Files) -> str:
    """The extract's identity: the file's SHA-256, or that of ``sha256  name`` lines for several."""
    if len(files) == 1:
        return hashlib.sha256(next(iter(files.values()))).hexdigest()
    lines = sorted(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items())
    return hashlib.sha256("".join(lines).encode()).hexdigest()


@dataclass(frozen=True)
class SourceFile:
    name: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class SnapshotInfo:
    """The manifest of one stored snapshot."""

    id: str
    files: tuple[SourceFile, ...]
    format: str
    as_at: date | None
    loaded_by: str
    loaded_at: str
    rows: dict[str, int]
    flagged: dict[str, int]
    warnings: int
    #: The council the extract says it is from, when it says.
    la_code: str | None = None
    #: The tables the extract gave (``None`` for snapshots stored before this was kept).
    present: tuple[str, ...] | None = None

    @property
    def sha256(self) -> str:
        return self.id

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.files]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_at"] = self.as_at.isoformat() if self.as_at else None
        data["sha256"] = self.id
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SnapshotInfo:
        return cls(
            id=data["id"],
            files=tuple(SourceFile(**f) for f in data["files"]),
            format=data["format"],
            as_at=date.fromisoformat(data["as_at"]) if data["as_at"] else None,
            loaded_by=data["loaded_by"],
            loaded_at=data["loaded_at"],
            rows=dict(data["rows"]),
            flagged=dict(data["flagged"]),
            warnings=int(data["warnings"]),
            la_code=data.get("la_code"),
            present=tuple(data["present"]) if data.get("present") is not None else None,
        )


class AlreadyLoaded(Exception):
    """The same extract is already in the store."""

    def __init__(self, snapshot: SnapshotInfo) -> None:
        self.snapshot = snapshot
        super().__init__(
            f"this extract is already loaded as snapshot {snapshot.id[:12]} "
            f"(by {snapshot.loaded_by} at {snapshot.loaded_at})"
        )


class SnapshotNotFound(KeyError):
    pass


@dataclass(frozen=True)
class Removal:
    id: str
    who: str
    reason: str
    when: str
    files: list[str] = field(default_factory=list)
    as_at: str | None = None


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    """A table as Parquet, written the same way every time (so recomputation can be compared)."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=True)
    return buffer.getvalue()


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _write_read_only(path: Path, data: bytes) -> None:
    """Write a new file and flush it to the disk before going on (a crash never leaves a
    file that looks whole but is not)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    path.chmod(READ_ONLY)


def _sync_dir(path: Path) -> None:
    """Flush a directory's entries (new files, renames) to the disk."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step: a temporary file, flushed, renamed."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)
    _sync_dir(path.parent)


@dataclass(frozen=True)
class Pending:
    """A snapshot being accepted: ``created`` when the load wrote it (so may take it out)."""

    id: str
    created: bool


class Store:
    """Accepted extracts on disk. All methods are safe to call on a store that does not exist yet."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_store_dir()

    @property
    def _snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def removals_log(self) -> Path:
        return self.root / "removals.jsonl"

    # --- loading ------------------------------------------------------------------------

    def load(
        self,
        files: Files,
        *,
        by: str,
        as_at: date | None = None,
        format: str | None = None,
        limits: Limits | None = None,
        progress: Progress | None = None,
    ) -> tuple[SnapshotInfo, ValidationReport]:
        """Check and store an extract. Raises :class:`ExtractRejected` (errors) or
        :class:`AlreadyLoaded`; in both cases the store is left exactly as it was."""
        tell = progress or no_progress
        tell(0.0, "Checking whether the extract is already loaded")
        existing = self.already_loaded(files)
        if existing is not None:
            raise AlreadyLoaded(existing)
        extract, report = read_files(
            files,
            as_at=as_at,
            format=format,
            limits=limits,
            progress=lambda fraction, message: tell(0.05 + 0.45 * fraction, message),
        )
        if not report.ok:
            raise ExtractRejected(report)
        info = self.write(files, extract, report, by=by, progress=tell)
        tell(1.0, "Loaded")
        return info, report

    def write(
        self,
        files: Files,
        extract: Extract,
        report: ValidationReport,
        *,
        by: str,
        progress: Progress | None = None,
    ) -> SnapshotInfo:
        """Keep a checked extract (``read_files``' result, without errors) as a snapshot.

        Written into a temporary folder, every file flushed to the disk and the manifest
        last, then renamed into place: a crash at any moment leaves either no snapshot or
        a whole one. Raises :class:`AlreadyLoaded` when the same files are stored."""
        tell = progress or no_progress
        if not report.ok:
            raise ExtractRejected(report)
        snapshot_id = extract_sha256(files)
        existing = self._find(snapshot_id)
        if existing is not None:
            raise AlreadyLoaded(existing)
        tell(0.5, "Writing the snapshot")
        tables = {name: frame.collect() for name, frame in extract.tables.items()}
        info = SnapshotInfo(
            id=snapshot_id,
            files=tuple(
                SourceFile(name, hashlib.sha256(data).hexdigest(), len(data))
                for name, data in sorted(files.items())
            ),
            format=report.format or "",
            as_at=extract.as_at,
            loaded_by=by,
            loaded_at=_now(),
            rows={name: frame.height for name, frame in tables.items()},
            flagged={name: int(frame[FLAG_COLUMN].sum()) for name, frame in tables.items()},
            warnings=len(report.warnings),
            la_code=extract.la_code,
            present=tuple(sorted(extract.present)) if extract.present is not None else None,
        )
        self._snapshots.mkdir(parents=True, exist_ok=True)
        self._sweep()
        work = Path(tempfile.mkdtemp(prefix=".loading-", dir=self.root))
        try:
            (work / "source").mkdir()
            for data in files.values():
                target = work / "source" / hashlib.sha256(data).hexdigest()
                if not target.exists():
                    _write_read_only(target, data)
            _sync_dir(work / "source")
            (work / "tables").mkdir()
            for i, (name, frame) in enumerate(tables.items()):
                tell(0.5 + 0.45 * i / len(tables), f"Writing {name}")
                _write_read_only(work / "tables" / f"{name}.parquet", parquet_bytes(frame))
            _sync_dir(work / "tables")
            _write_read_only(work / "report.json", report.to_json().encode())
            checkpoint("store-tables-written")
            # The manifest last: a folder with a manifest is a whole snapshot.
            _write_read_only(work / "manifest.json", json.dumps(info.to_dict(), indent=2).encode())
            _sync_dir(work)
            checkpoint("store-manifest-written")
            try:
                work.rename(self._snapshots / snapshot_id)
            except OSError:
                loaded = self._find(snapshot_id)
                if loaded is None:
                    raise
                raise AlreadyLoaded(loaded) from None
            _sync_dir(self._snapshots)
            checkpoint("store-renamed")
        finally:
            if work.exists():
                shutil.rmtree(work)
        return info

    # --- accepting in two places (the store and a database) ----------------------------

    @property
    def _pending(self) -> Path:
        return self.root / "pending"

    def begin(self, snapshot_id: str) -> Pending:
        """Record, before writing, that ``snapshot_id`` is being accepted (and whether it is
        new to the store, so that an unfinished acceptance may take it out again)."""
        pending = Pending(snapshot_id, created=self._find(snapshot_id) is None)
        self._pending.mkdir(parents=True, exist_ok=True)
        _write_atomically(
            self._pending / f"{snapshot_id}.json", json.dumps(asdict(pending)).encode()
        )
        return pending

    def finish(self, snapshot_id: str) -> None:
        """The acceptance is complete (or rolled back): forget the intention."""
        path = self._pending / f"{snapshot_id}.json"
        if path.exists():
            path.unlink()
            _sync_dir(self._pending)

    def pending(self) -> list[Pending]:
        """Acceptances begun and not finished (a load was killed or failed)."""
        if not self._pending.is_dir():
            return []
        return [
            Pending(**json.loads(p.read_text()))
            for p in sorted(self._pending.glob("*.json"))
            if re.fullmatch(r"[0-9a-f]{64}\.json", p.name)
        ]

    def recover(self, accepted: Callable[[str], bool]) -> list[str]:
        """Finish what a killed load left: a snapshot it wrote that was never ``accepted``
        (by the database) is taken out again; leftover temporary folders are deleted.

        Call only while holding the load lock (no other load can be writing). Returns the
        ids taken out."""
        removed = []
        for pending in self.pending():
            if not accepted(pending.id) and pending.created:
                folder = self._snapshots / pending.id
                if folder.exists():
                    doomed = Path(tempfile.mkdtemp(prefix=".removing-", dir=self.root))
                    folder.rename(doomed / pending.id)
                    _sync_dir(self._snapshots)
                    shutil.rmtree(doomed)
                    removed.append(pending.id)
            self.finish(pending.id)
        self._sweep(older_than=0)
        return removed

    # --- reading ------------------------------------------------------------------------

    def _sweep(self, older_than: float = ABANDONED_AFTER_SECONDS) -> None:
        """Delete what a crashed load or removal left behind (child-level data must not
        linger); younger folders may belong to a load still running."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - older_than
        for leftover in [*self.root.glob(".loading-*"), *self.root.glob(".removing-*")]:
            if leftover.is_dir() and leftover.stat().st_mtime <= cutoff:
                shutil.rmtree(leftover)

    def already_loaded(self, files: Files) -> SnapshotInfo | None:
        """The snapshot these files were loaded as, if any (to say so before checking them)."""
        return self._find(extract_sha256(files))

    def _find(self, snapshot_id: str) -> SnapshotInfo | None:
        if not re.fullmatch(r"[0-9a-f]{64}", snapshot_id):
            return None
        manifest = self._snapshots / snapshot_id / "manifest.json"
        if not manifest.is_file():
            return None
        return SnapshotInfo.from_dict(json.loads(manifest.read_text()))

    def snapshots(self) -> list[SnapshotInfo]:
        """Every snapshot, oldest load first."""
        if not self._snapshots.is_dir():
            return []
        found = [
            SnapshotInfo.from_dict(json.loads(p.read_text()))
            for p in self._snapshots.glob("*/manifest.json")
        ]
        return sorted(found, key=lambda s: (s.loaded_at, s.id))

    def get(self, snapshot_id: str) -> SnapshotInfo:
        """A snapshot by its id or a unique prefix of it (at least 6 hex digits)."""
        if not re.fullmatch(r"[0-9a-f]{6,64}", snapshot_id):
            raise SnapshotNotFound(
                f"{snapshot_id!r} is not a snapshot id (6 to 64 hex digits) ({self.root})"
            )
        exact = self._find(snapshot_id) if len(snapshot_id) == 64 else None
        if exact is not None:
            return exact
        matches = [
            s for s in self.snapshots() if len(snapshot_id) >= 6 and s.id.startswith(snapshot_id)
        ]
        if len(matches) != 1:
            why = "matches several snapshots" if matches else "is not a snapshot in the store"
            raise SnapshotNotFound(f"{snapshot_id!r} {why} ({self.root})")
        return matches[0]

    def load_snapshot(self, snapshot_id: str) -> Extract:
        """The stored tables, scanned lazily; ``snapshot`` is the extract's SHA-256."""
        info = self.get(snapshot_id)
        folder = self._snapshots / info.id / "tables"
        tables = {name: pl.scan_parquet(folder / f"{name}.parquet") for name in SCHEMA}
        present = frozenset(info.present) if info.present is not None else None
        return Extract(
            tables, as_at=info.as_at, snapshot=info.id, la_code=info.la_code, present=present
        )

    def latest_snapshot(self) -> Extract | None:
        """The snapshot with the latest extract date (the most recently loaded among equals)."""
        snapshots = self.snapshots()
        if not snapshots:
            return None
        latest = max(snapshots, key=lambda s: (s.as_at or date.min, s.loaded_at, s.id))
        return self.load_snapshot(latest.id)

    def report(self, snapshot_id: str) -> ValidationReport:
        from journey.engine.casedata.problems import Problem

        info = self.get(snapshot_id)
        data = json.loads((self._snapshots / info.id / "report.json").read_text())
        return ValidationReport(
            problems=[Problem.from_dict(p) for p in data["problems"]],
            tables=data["tables"],
            format=data["format"],
            files=data["files"],
        )

    def source_files(self, snapshot_id: str) -> dict[str, bytes]:
        """The original files, byte for byte, under the names they were loaded with."""
        info = self.get(snapshot_id)
        folder = self._snapshots / info.id / "source"
        return {f.name: (folder / f.sha256).read_bytes() for f in info.files}

    def recompute(self, snapshot_id: str) -> dict[str, bytes]:
        """Each table's Parquet rebuilt from the stored original files (for comparison)."""
        info = self.get(snapshot_id)
        extract, report = read_files(
            self.source_files(info.id), as_at=info.as_at, format=info.format
        )
        if not report.ok:
            raise ExtractRejected(report)
        return {name: parquet_bytes(frame.collect()) for name, frame in extract.tables.items()}

    def verify(self, snapshot_id: str) -> list[str]:
        """Tables whose stored Parquet differs from a recomputation (empty when all agree)."""
        info = self.get(snapshot_id)
        folder = self._snapshots / info.id / "tables"
        rebuilt = self.recompute(info.id)
        return [
            name
            for name, data in rebuilt.items()
            if (folder / f"{name}.parquet").read_bytes() != data
        ]

    # --- removal ------------------------------------------------------------------------

    def remove(self, snapshot_id: str, *, who: str, reason: str) -> Removal:
        """Delete a snapshot (originals included) and log who removed it and why."""
        if not reason.strip():
            raise ValueError("a reason is needed to remove a snapshot")
        info = self.get(snapshot_id)
        removal = Removal(
            id=info.id,
            who=who,
            reason=reason.strip(),
            when=_now(),
            files=info.names,
            as_at=info.as_at.isoformat() if info.as_at else None,
        )
        with self.removals_log.open("a", encoding="utf-8") as log:
            log.write(json.dumps(asdict(removal)) + "\n")
            log.flush()
            os.fsync(log.fileno())
        doomed = Path(tempfile.mkdtemp(prefix=".removing-", dir=self.root))
        (self._snapshots / info.id).rename(doomed / info.id)
        shutil.rmtree(doomed)
        return removal

    def removals(self) -> list[Removal]:
        if not self.removals_log.is_file():
            return []
        return [
            Removal(**json.loads(line))
            for line in self.removals_log.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]


def load_snapshot(snapshot_id: str, store_dir: Path | None = None) -> Extract:
    """A stored snapshot's tables (lazy), from the default store unless one is named."""
    return Store(store_dir).load_snapshot(snapshot_id)


def latest_snapshot(store_dir: Path | None = None) -> Extract | None:
    """The snapshot with the latest extract date, or None when the store is empty."""
    return Store(store_dir).latest_snapshot()
