"""The monthly read of the council's SSD database, left as a proposal for the data team.

On the day and at the time configured (``JOURNEY_SSD_DAY``, ``JOURNEY_SSD_AT``), a worker
reads the SSD tables from the database whose URL is in the environment variable
``JOURNEY_SSD_URL`` (schema ``JOURNEY_SSD_SCHEMA``), exactly as ``journey data load
--from-db`` does, and hands the files to the data loads page as an upload: checked, kept,
and waiting for someone in the data team to accept it. Nothing is ever accepted here.

The URL is read from the environment when the read runs: it is not a setting, and the
database, the files kept and the logs name the database only as "the SSD database in
JOURNEY_SSD_URL". Tables identical to the last proposal's are not proposed again (a stalled
SSD refresh is reported instead), and a read that fails is recorded with its reason
(password hidden) and shown as failed on the Background work page.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from journey.engine.casedata.ssd_db import SsdDatabaseError, read_ssd_database
from journey.engine.casedata.store import extract_sha256
from journey.web.accounts import audit
from journey.web.background import progress
from journey.web.ssd.models import SsdRead

log = logging.getLogger(__name__)

#: The environment variable holding the SSD database's URL.
URL_VARIABLE = "JOURNEY_SSD_URL"


def enabled() -> bool:
    """Reads are scheduled only when the environment gives the database's URL."""
    return bool(os.environ.get(URL_VARIABLE))


def source() -> str:
    """The database as messages and kept files name it: never its URL."""
    schema = settings.JOURNEY_SSD_SCHEMA
    return f"the SSD database in {URL_VARIABLE}" + (f", schema {schema}" if schema else "")


def _finish(record: SsdRead, outcome: SsdRead.Outcome, message: str, **fields: Any) -> SsdRead:
    for name, value in fields.items():
        setattr(record, name, value)
    record.outcome, record.message, record.finished_at = outcome, message[:500], timezone.now()
    record.save()
    return record


def read_and_propose() -> SsdRead:
    """Read the SSD now and leave it as a proposal; returns the record of the read.

    Raises :class:`SsdDatabaseError` when the database cannot be read, and
    ``UploadRefused`` when the files are over the upload limit; both are recorded first.
    """
    from journey.web.casedata import services as casedata

    record = SsdRead.objects.create()
    progress.report(0, f"Reading {source()}")
    try:
        read = read_ssd_database(
            f"env:{URL_VARIABLE}",
            schema=settings.JOURNEY_SSD_SCHEMA or None,
            label=source(),
            progress=lambda fraction, message: progress.report(int(80 * fraction), message),
        )
    except SsdDatabaseError as failed:
        _finish(record, SsdRead.Outcome.FAILED, str(failed))
        log.error("scheduled SSD read %s failed: %s", record.pk, failed)
        raise
    tables = {name: data for name, data in read.files.items() if name.endswith(".csv")}
    sha = extract_sha256(tables)
    last = SsdRead.objects.filter(outcome=SsdRead.Outcome.PROPOSED).exclude(pk=record.pk).first()
    if last is not None and last.tables_sha256 == sha:
        message = (
            f"The SSD's tables are the same as at the read of {timezone.localtime(last.started_at):%d %B %Y} "
            f"(proposal {last.job_id}), so nothing new was proposed: check that the SSD is being refreshed."
        )
        log.warning("scheduled SSD read %s: %s", record.pk, message)
        progress.report(100, message)
        return _finish(record, SsdRead.Outcome.UNCHANGED, message, tables_sha256=sha, rows=read.rows)
    progress.report(85, "Checking the extract")
    uploads = [casedata.Upload(name, len(data), _chunks(data)) for name, data in sorted(read.files.items())]
    try:
        job = casedata.create_job(uploads, None, title=f"Monthly SSD read, {timezone.localdate():%-d %B %Y} ({source()})")
    except casedata.UploadRefused as refused:
        _finish(record, SsdRead.Outcome.FAILED, refused.message, tables_sha256=sha, rows=read.rows)
        log.error("scheduled SSD read %s refused: %s", record.pk, refused.message)
        raise
    audit.record(None, "ssd_read_proposed", source(), job=job.pk, rows=sum(read.rows.values()))
    message = f"Read {sum(read.rows.values()):,} rows from {source()}: left for the data team as proposal {job.pk}"
    progress.report(100, message)
    return _finish(record, SsdRead.Outcome.PROPOSED, message, tables_sha256=sha, rows=read.rows, job_id=job.pk)


def _chunks(data: bytes) -> Callable[[], Iterable[bytes]]:
    return lambda: [data]


@task()
def read_ssd_monthly() -> dict[str, Any]:
    """Read the council's SSD database and propose the extract to the data team."""
    record = read_and_propose()
    return {"outcome": record.outcome, "proposal": record.job_id, "rows": record.rows}
