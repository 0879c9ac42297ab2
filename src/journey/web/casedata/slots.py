"""At most ``JOURNEY_MAX_CONCURRENT_CHECKS`` extract checks at once, across every process.

Checking an extract reads all of it and works out every figure it would change: the
heaviest work the service does on request. However many workers run, only that many
checks run at a time; a check that finds every slot taken waits its turn (its task is
queued again a little later, and its page says it is waiting).

A slot is a lock the operating system or database releases if its holder dies: a
PostgreSQL advisory lock, or with SQLite an exclusive ``flock`` on a file beside the
shared cache (one file per slot).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

#: PostgreSQL advisory lock class of check slot 0 ("jov" in ASCII, times 256); slot i is this plus i.
SLOT_LOCK_CLASS = 0x6A6F7600


def max_checks() -> int:
    return max(1, int(settings.JOURNEY_MAX_CONCURRENT_CHECKS))


@contextlib.contextmanager
def check_slot() -> Iterator[int | None]:
    """Hold a free check slot while the block runs: its number, or None when all
    ``JOURNEY_MAX_CONCURRENT_CHECKS`` are taken (never waits)."""
    if connection.vendor == "postgresql":
        with _advisory_slot() as slot:
            yield slot
        return
    with _file_slot() as slot:
        yield slot


@contextlib.contextmanager
def _file_slot() -> Iterator[int | None]:
    folder = Path(settings.DATA_DIR) / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    for slot in range(max_checks()):
        handle = os.open(folder / f"check-slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            continue
        try:
            yield slot
        finally:
            os.close(handle)  # releases the lock
        return
    yield None


@contextlib.contextmanager
def _advisory_slot() -> Iterator[int | None]:
    database = zlib.crc32(str(connection.settings_dict["NAME"]).encode()) - 2**31
    for slot in range(max_checks()):
        key = [SLOT_LOCK_CLASS + slot, database]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            taken = cursor.fetchone()[0]
        if not taken:
            continue
        try:
            yield slot
        finally:
            with contextlib.suppress(Exception), connection.cursor() as cursor:  # a lost connection released it
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        return
    yield None
