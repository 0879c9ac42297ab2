"""A PostgreSQL database made for a test and dropped after it, for the SSD's tables.

The server is ``$JOURNEY_TEST_POSTGRES`` (default: the local one); without a server the
test is skipped, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

SERVER = os.environ.get("JOURNEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


@contextmanager
def ssd_database() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped afterwards."""
    name = f"ssd_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{SERVER}/postgres".replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as err:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server at {SERVER}: {err.orig}")
    try:
        yield f"{SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
