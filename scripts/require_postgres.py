"""PostgreSQL for the test suite: fail loudly when it cannot be reached, and clean up after.

    python scripts/require_postgres.py URL                 # exit 1 unless the server answers
    python scripts/require_postgres.py URL --drop NAME     # drop a test database left behind

The PostgreSQL leg must never pass silently, and a run must not leave its database behind
(pytest-django cannot drop it while a background thread still holds a connection).
"""

import sys

import psycopg
from psycopg import sql


def main() -> int:
    url = sys.argv[1]
    drop = sys.argv[3] if len(sys.argv) == 4 and sys.argv[2] == "--drop" else None
    try:
        with psycopg.connect(url, connect_timeout=5, autocommit=True) as connection:
            version = connection.execute("select version()").fetchone()
            if drop is not None:
                connection.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
                    (drop,),
                )
                connection.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(drop)))
                return 0
    except psycopg.Error as exc:
        print(f"PostgreSQL is not reachable at {url}: {exc}", file=sys.stderr)
        print("The PostgreSQL test leg cannot run; set PG_URL or start PostgreSQL.", file=sys.stderr)
        return 1
    print(f"PostgreSQL reachable: {version[0] if version else 'unknown version'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
