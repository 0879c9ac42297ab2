"""Fail loudly when PostgreSQL cannot be reached: the PostgreSQL leg must never pass silently."""

import sys

import psycopg


def main() -> int:
    url = sys.argv[1]
    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            version = connection.execute("select version()").fetchone()
    except psycopg.Error as exc:
        print(f"PostgreSQL is not reachable at {url}: {exc}", file=sys.stderr)
        print("The PostgreSQL test leg cannot run; set PG_URL or start PostgreSQL.", file=sys.stderr)
        return 1
    print(f"PostgreSQL reachable: {version[0] if version else 'unknown version'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
