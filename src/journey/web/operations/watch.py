"""The watched folder: new extracts dropped by the case-management system are checked and
left as proposals for the data team, exactly as if uploaded; never accepted here.

``JOURNEY_WATCH_DIR`` holds extracts as single files or as sub-folders of files (a
multi-file extract). An entry changed within ``JOURNEY_WATCH_SETTLE_SECONDS`` is left for
the next scan (a copy may be in progress). Each extract is recognised by the SHA-256 of its
files (the snapshot store's identity), so one already proposed is not proposed again,
even under another name. The folder is only read: nothing is moved or deleted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django_tasks import task

from journey.engine.casedata.store import extract_sha256
from journey.web.accounts import audit
from journey.web.background import progress
from journey.web.background.models import WatchedExtract

log = logging.getLogger(__name__)


def _entries(root: Path, settle: float) -> list[tuple[str, list[Path]]]:
    """(name, files) of each extract in the folder that has not changed for ``settle`` s."""
    now = time.time()
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        files = sorted(p for p in entry.iterdir() if p.is_file() and not p.name.startswith(".")) if entry.is_dir() else [entry]
        if not files or not all(p.is_file() for p in files):
            continue
        newest = max(p.stat().st_mtime for p in [entry, *files])
        if now - newest < settle:
            continue
        found.append((entry.name, files))
    return found


def scan(root: Path | None = None) -> list[WatchedExtract]:
    """Propose every new, settled extract in the watched folder. Returns those proposed."""
    from journey.web.casedata import services as casedata

    root = Path(root or settings.JOURNEY_WATCH_DIR)
    if not root.is_dir():
        raise FileNotFoundError(f"The watched folder {root} does not exist or is not a folder.")
    entries = _entries(root, float(settings.JOURNEY_WATCH_SETTLE_SECONDS))
    proposed = []
    for done, (name, files) in enumerate(entries, start=1):
        progress.report(int(100 * done / len(entries)), f"Looking at {name} ({done} of {len(entries)})")
        contents = {p.name: p.read_bytes() for p in files}
        sha = extract_sha256(contents)
        if WatchedExtract.objects.filter(sha256=sha).exists():
            continue
        try:
            record = WatchedExtract.objects.create(sha256=sha, name=name[:255])
        except IntegrityError:  # another worker is proposing it
            continue
        uploads = [
            casedata.Upload(file_name, len(data), _chunks(data)) for file_name, data in contents.items()
        ]
        try:
            job = casedata.create_job(uploads, None)
        except casedata.UploadRefused as refused:
            record.problem = refused.message[:500]
            record.save(update_fields=["problem"])
            log.warning("watched folder: %s refused: %s", name, refused.message)
            continue
        record.job_id = job.pk
        record.save(update_fields=["job_id"])
        audit.record(None, "watched_folder_proposed", name, job=job.pk, sha256=sha)
        proposed.append(record)
    return proposed


def _chunks(data: bytes) -> Callable[[], Iterable[bytes]]:
    return lambda: [data]


@task()
def scan_watched_folder() -> dict[str, Any]:
    """Check the watched folder for new extracts and propose them to the data team."""
    found = scan()
    log.info("watched folder: %d new extract(s) proposed", len(found))
    return {"proposed": [record.name for record in found]}
