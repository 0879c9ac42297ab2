"""Read the Standard Safeguarding Dataset straight from the council's database.

PostgreSQL and SQL Server get the same ``SELECT`` per SSD table (built with SQLAlchemy),
naming only the columns the measures need (never a name, address or comment column; see
:data:`journey.engine.casedata.formats.ssd.SSD_TABLES`), all run in **one read-only
transaction** that is rolled back at the end (PostgreSQL: ``READ ONLY``, ``REPEATABLE
READ``, so every table is read as at the same moment; SQL Server: use a login with read
access only, as docs/ssd.md says).

PostgreSQL is read through ADBC: each SELECT turns the values into the text an export
holds, and the rows arrive by PostgreSQL's binary COPY as Arrow columns that Polars writes
as CSV, so no row passes through Python. SQL Server's rows are fetched through SQLAlchemy
in batches. Either way the rows come back as the SSD CSV files (``ssd_person.csv``, ...)
plus ``database.json`` saying where they were read from and which tables were missing;
those files are what the loader checks and the snapshot store keeps, so a load from a
database is read by the same reader as an exported folder and recomputes from its stored
files exactly.

A password never appears in a message: URLs are shown with it hidden. Give it in the
URL, or (better) in the environment: ``--from-db env:NAME`` reads the URL from the
variable NAME, and PostgreSQL's own ``PGPASSWORD`` works too.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from journey.engine.casedata.formats.ssd import SSD_TABLES, SsdTable, ssd_tables
from journey.engine.casedata.problems import ERROR, WARNING, Problem
from journey.engine.casedata.schema import Extract

if TYPE_CHECKING:
    from adbc_driver_manager.dbapi import Cursor as AdbcCursor

#: The database products the SSD is published for that this reader has been built for.
DIALECTS = ("postgresql", "mssql")
#: The file saying where a database extract came from (read by the SSD reader).
DATABASE_FILE = "database.json"
BATCH_ROWS = 100_000

Progress = Callable[[float, str], None]


class SsdDatabaseError(Exception):
    """The database could not be read at all (connection, permissions, wrong product)."""


@dataclass
class DatabaseRead:
    """What a read gave: the SSD tables as CSV files, and the problems met."""

    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def resolve_url(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``env:NAME`` → the URL in the environment variable NAME; anything else as given."""
    environ = os.environ if environ is None else environ
    if text.startswith("env:"):
        name = text[4:]
        value = environ.get(name)
        if not value:
            raise SsdDatabaseError(f"the environment variable {name} is not set (it should hold the database URL)")
        return value
    return text


def database_url(text: str) -> URL:
    """The SQLAlchemy URL, PostgreSQL through psycopg (the driver the product already has)."""
    try:
        url = make_url(text)
    except sa.exc.ArgumentError:
        raise SsdDatabaseError(
            "the database URL is not a URL (expected postgresql://user@host/database or "
            "mssql+pyodbc://user@host/database?driver=...)"
        ) from None
    if url.get_backend_name() not in DIALECTS:
        raise SsdDatabaseError(
            f"{url.get_backend_name()!r} databases are not read: the SSD is read from "
            "PostgreSQL (postgresql://) or SQL Server (mssql+pyodbc:// or mssql+pymssql://)"
        )
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def shown(url: URL | str) -> str:
    """The URL for messages, without its password."""
    u = make_url(url) if isinstance(url, str) else url
    return u.render_as_string(hide_password=True)


def make_engine(url: URL | str) -> Engine:
    u = database_url(url) if isinstance(url, str) else url
    try:
        return sa.create_engine(u, poolclass=NullPool)
    except ModuleNotFoundError as missing:
        raise SsdDatabaseError(
            f"the database driver for {u.drivername} is not installed ({missing.name}); for SQL "
            "Server install the 'sqlserver' extra (pip install 'improvement-journey[sqlserver]')"
        ) from None


def _chosen(spec: SsdTable, present: Mapping[str, str]) -> list[tuple[str, str]]:
    """The fields read from the table: (SSD name as the reader knows it, actual column)."""
    chosen: list[tuple[str, str]] = []
    for f in spec.fields:
        alias = next((a for a in f.ssd if a in present), None)
        if alias is not None:
            chosen.append((alias, present[alias]))
    return chosen


def select_for(
    spec: SsdTable,
    present: Mapping[str, str],
    schema: str | None,
    types: Mapping[str, str] | None = None,
) -> tuple[sa.Select, list[str]] | None:
    """The SELECT reading only the fields the reader uses (by their SSD names as found in
    the database, ``present`` lower-case → actual); and the header to write. None when not
    even the key is there.

    Given PostgreSQL's ``types`` of the columns (lower-case name → ``data_type``), each
    value is selected as the text a CSV export holds (:func:`_csv_text`) under its SSD name,
    and the rows are left in the database's order (:func:`_in_key_order` sorts them:
    faster than PostgreSQL's sort, which spills to disk at this size); otherwise they are
    ordered by the table's key.
    """
    chosen = _chosen(spec, present)
    if not chosen:
        return None
    table = sa.table(_actual_table(spec, present), *[sa.column(actual) for _, actual in chosen], schema=schema)
    key_alias = next((a for a in spec.field(spec.key).ssd if a in present), None)
    if types is not None:
        stmt = sa.select(*[_csv_text(table.c[actual], types.get(alias, "")).label(alias) for alias, actual in chosen])
        return stmt, [alias for alias, _ in chosen]
    stmt = sa.select(*[table.c[actual] for _, actual in chosen])
    if key_alias is not None:
        stmt = stmt.order_by(table.c[present[key_alias]])
    return stmt, [alias for alias, _ in chosen]


def _in_key_order(frame: pl.DataFrame, spec: SsdTable) -> pl.DataFrame:
    """The rows by the table's key (blank keys last, repeats as the database gave them), so
    reading unchanged tables again gives the same files."""
    key = next((a for a in spec.field(spec.key).ssd if a in frame.columns), None)
    return frame if key is None else frame.sort(key, nulls_last=True, maintain_order=True)


def _csv_text(column: sa.ColumnClause[Any], data_type: str) -> sa.ColumnElement[Any]:
    """A PostgreSQL column as :func:`_as_text` writes SQL Server's: timestamps
    ``YYYY-MM-DD HH:MM:SS`` (with a time zone, in the session's, as the council's system
    shows them), dates ``YYYY-MM-DD``, booleans ``Y``/``N``, anything else as text."""
    if data_type == "boolean":
        return sa.case((column.is_(True), sa.literal("Y")), (column.is_(False), sa.literal("N")))
    if data_type.startswith("timestamp"):
        return sa.func.to_char(column, sa.literal("YYYY-MM-DD HH24:MI:SS"))
    if data_type == "date":
        return sa.func.to_char(column, sa.literal("YYYY-MM-DD"))
    return sa.cast(column, sa.Text())


def _actual_table(spec: SsdTable, present: Mapping[str, str]) -> str:
    return present.get("\0table", spec.name)


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as the text a CSV export would hold (ISO dates, Y/N)."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
            out.append(col.dt.strftime("%Y-%m-%d %H:%M:%S").alias(name))
        elif dtype == pl.Date:
            out.append(col.dt.strftime("%Y-%m-%d").alias(name))
        elif dtype == pl.Boolean:
            out.append(pl.when(col).then(pl.lit("Y")).when(col.not_()).then(pl.lit("N")).alias(name))
        else:
            out.append(col.cast(pl.String).alias(name))
    return frame.select(out)


def _fetch(conn: Connection, stmt: sa.Select, header: list[str]) -> pl.DataFrame:
    result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(stmt)
    frames = [
        _as_text(pl.DataFrame([tuple(r) for r in rows], schema=header, orient="row", infer_schema_length=None))
        for rows in result.partitions()
    ]
    if not frames:
        return pl.DataFrame(schema={h: pl.String for h in header})
    return pl.concat(frames, how="vertical")


def _csv(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def _missing_columns(spec: SsdTable) -> Problem:
    return Problem(ERROR, "missing_column", f"the table has none of the columns read from it "
                   f"({', '.join(f.label for f in spec.fields)})", file=spec.file, table=spec.maps_to)


# PostgreSQL: through ADBC (Arrow Database Connectivity), which reads the rows with
# PostgreSQL's binary COPY straight into Arrow columns, so no row passes through Python
# (psycopg hands every row of a COPY to Python: 5.5 s of the 300,000-child read).

_PG_COLUMNS = (
    "SELECT table_name, column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = {schema} ORDER BY table_name, ordinal_position"
)


def conninfo(u: URL) -> str:
    """The URL as libpq's ``key=value`` connection string (its query's settings included;
    ``PGPASSWORD`` and the rest of libpq's environment apply as usual)."""
    settings: dict[str, object] = {
        "host": u.host, "port": u.port, "dbname": u.database, "user": u.username, "password": u.password,
    }
    for key, value in u.query.items():
        settings[key] = value[-1] if isinstance(value, tuple) else value
    return " ".join(f"{key}={_libpq_quoted(value)}" for key, value in settings.items() if value is not None)


def _libpq_quoted(value: object) -> str:
    r"""A value in single quotes, ``\`` and ``'`` escaped with a backslash, as libpq reads them."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


@contextmanager
def read_only_cursor(url: URL) -> Iterator[AdbcCursor]:
    """A PostgreSQL cursor inside one transaction that cannot write and sees every table as at
    the same moment (``REPEATABLE READ, READ ONLY``), rolled back at the end."""
    from adbc_driver_postgresql import dbapi

    with closing(dbapi.connect(conninfo(url))) as conn, closing(conn.cursor()) as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            yield cursor
        finally:
            conn.rollback()


def _read_postgresql(u: URL, schema: str | None, tell: Progress, out: DatabaseRead) -> list[str]:
    with read_only_cursor(u) as cursor:
        tell(0.0, "Finding the SSD tables")
        if schema is None:
            cursor.execute(_PG_COLUMNS.format(schema="current_schema()"))
        else:
            cursor.execute(_PG_COLUMNS.format(schema="$1"), parameters=(schema,))
        tables: dict[str, dict[str, str]] = {}
        types: dict[str, dict[str, str]] = {}
        for table, column, data_type in cursor.fetchall():
            tables.setdefault(table.lower(), {"\0table": table})[column.lower()] = column
            types.setdefault(table.lower(), {})[column.lower()] = data_type
        for i, spec in enumerate(SSD_TABLES):
            if spec.name not in tables:
                continue
            tell(0.05 + 0.9 * i / len(SSD_TABLES), f"Reading {spec.name}")
            made = select_for(spec, tables[spec.name], schema, types[spec.name])
            if made is None:
                out.problems.append(_missing_columns(spec))
                continue
            stmt, header = made
            cursor.execute(str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})))
            frame = pl.from_arrow(cursor.fetch_arrow_table())
            assert isinstance(frame, pl.DataFrame)
            out.rows[spec.name] = frame.height
            out.files[spec.file] = _csv(_in_key_order(frame, spec))
    return sorted(tables)


def _read_sqlalchemy(u: URL, schema: str | None, tell: Progress, out: DatabaseRead) -> list[str]:
    """SQL Server: the same SELECTs through SQLAlchemy, in one transaction rolled back."""
    engine = make_engine(u)
    with engine.connect() as conn, conn.begin() as transaction:
        tell(0.0, "Finding the SSD tables")
        inspector = sa.inspect(conn)
        names = inspector.get_table_names(schema=schema) + inspector.get_view_names(schema=schema)
        found = {n.lower(): n for n in names}
        for i, spec in enumerate(SSD_TABLES):
            if spec.name not in found:
                continue
            tell(0.05 + 0.9 * i / len(SSD_TABLES), f"Reading {spec.name}")
            columns = {c["name"].lower(): c["name"] for c in inspector.get_columns(found[spec.name], schema=schema)}
            columns["\0table"] = found[spec.name]
            made = select_for(spec, columns, schema)
            if made is None:
                out.problems.append(_missing_columns(spec))
                continue
            stmt, header = made
            frame = _fetch(conn, stmt, header)
            out.rows[spec.name] = frame.height
            out.files[spec.file] = _csv(frame)
        transaction.rollback()
    return sorted(found)


def read_ssd_database(
    url: str,
    *,
    schema: str | None = None,
    progress: Progress | None = None,
    label: str | None = None,
) -> DatabaseRead:
    """Every SSD table the reader uses, read in one read-only transaction, as CSV files.

    Raises :class:`SsdDatabaseError` when the database cannot be reached or read; a
    missing table or column is a problem in the result (the reader then reports it with
    the rest), never a half read. Messages and ``database.json`` name the database by
    ``label`` when given (a scheduled read names the variable holding the URL), else by
    its URL without the password.
    """
    from adbc_driver_manager import Error as AdbcError

    tell = progress or (lambda fraction, message: None)
    u = database_url(resolve_url(url))
    out = DatabaseRead()
    where = label or f"{shown(u)}" + (f", schema {schema}" if schema else "")
    try:
        if u.get_backend_name() == "postgresql":
            found = _read_postgresql(u, schema, tell, out)
        else:
            found = _read_sqlalchemy(u, schema, tell, out)
    except (sa.exc.SQLAlchemyError, AdbcError) as err:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        if u.password:
            reason = reason.replace(str(u.password), "***")
        raise SsdDatabaseError(f"could not read the SSD from {where}: {reason}") from None
    missing = [s.name for s in SSD_TABLES if s.name not in found]
    if "ssd_person" in missing:
        out.problems.append(
            Problem(ERROR, "missing_table", f"the database has no ssd_person table ({where}); "
                    f"tables found: {', '.join(found) or 'none'}", table="children")
        )
    # The tables describe the moment they were read: that is the extract's date.
    out.files["extract.json"] = json.dumps({"as_at": date.today().isoformat()}).encode()
    out.files[DATABASE_FILE] = json.dumps(
        {"database": where, "read_at": datetime.now().isoformat(timespec="seconds"),
         "missing_tables": missing, "rows": out.rows,
         "problems": [p.to_dict() for p in out.problems]},
        indent=1,
    ).encode()
    tell(1.0, "Read")
    return out


def database_notes(data: bytes, file: str) -> list[Problem]:
    """The warnings ``database.json`` carries into the report: tables the database lacked."""
    try:
        info = json.loads(data)
    except ValueError:
        return [Problem(ERROR, "unreadable_file", "the file is not JSON", file=file)]
    found = [Problem.from_dict(p) for p in info.get("problems", [])]
    missing = [t for t in info.get("missing_tables", []) if t != "ssd_person"]
    if missing:
        found.append(
            Problem(WARNING, "missing_table", f"the database ({info.get('database', 'unknown')}) has no "
                    f"{', '.join(missing)}: read as empty", file=file)
        )
    return found


# --------------------------------------------------------------------------- writing


def _sa_type(name: str, dtype: pl.DataType) -> sa.types.TypeEngine:
    if dtype == pl.Date:
        return sa.DateTime()
    if dtype == pl.Float64:
        return sa.Float()
    if dtype.is_integer():
        return sa.Integer()
    if name.endswith("_json"):
        return sa.UnicodeText()
    return sa.Unicode(255)


def write_ssd_database(
    source: Extract | Mapping[str, pl.LazyFrame | pl.DataFrame],
    url: str,
    *,
    schema: str,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write a canonical extract as SSD tables into a PostgreSQL schema (created, its
    SSD tables replaced): the synthetic council as a council's database would hold it."""
    tell = progress or (lambda fraction, message: None)
    u = database_url(resolve_url(url))
    if u.get_backend_name() != "postgresql":
        raise SsdDatabaseError("synthetic SSD databases are written to PostgreSQL only")
    tables = ssd_tables(source)
    engine = make_engine(u)
    meta = sa.MetaData(schema=schema)
    defs = {
        name: sa.Table(name, meta, *[sa.Column(c, _sa_type(c, t)) for c, t in frame.schema.items()])
        for name, frame in tables.items()
    }
    rows = {}
    try:
        with engine.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
            meta.drop_all(conn)
            meta.create_all(conn)
            raw = conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cursor:
                for i, (name, frame) in enumerate(tables.items()):
                    tell(i / len(tables), f"Writing {name}")
                    target = defs[name]
                    quoted = ", ".join(f'"{c}"' for c in frame.columns)
                    data = frame.write_csv(date_format="%Y-%m-%d").encode("utf-8")
                    with cursor.copy(f'COPY "{schema}"."{target.name}" ({quoted}) FROM STDIN WITH (FORMAT csv, HEADER true)') as copy:
                        copy.write(data)
                    rows[name] = frame.height
    except sa.exc.SQLAlchemyError as err:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        raise SsdDatabaseError(f"could not write the SSD to {shown(u)}: {reason}") from None
    tell(1.0, "Written")
    return rows

