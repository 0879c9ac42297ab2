"""A separate Improvement Journey instance for tests that run real processes.

Each instance has its own data directory and database: a SQLite file, or (when the suite
runs on PostgreSQL, ``DATABASE_URL=postgres…``) a fresh PostgreSQL database dropped
afterwards. Commands run as ``python -m journey …`` with the instance's environment and
the production settings module, exactly as a server would run them.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _postgres_base() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return url.rsplit("/", 1)[0]


@dataclass
class Instance:
    root: Path
    env: dict[str, str]
    database: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return Path(self.env["JOURNEY_DATA_DIR"])

    def journey(self, *args: str, check: bool = True, timeout: float = 600,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "journey", *args], env={**self.env, **(env or {})},
            capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"journey {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start(self, *args: str, env: dict[str, str] | None = None, log: str | None = None) -> subprocess.Popen[bytes]:
        out = open(self.root / (log or f"process-{len(self.processes)}.log"), "wb")  # noqa: SIM115
        process = subprocess.Popen(  # noqa: S603
            list(args), env={**self.env, **(env or {})}, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def start_journey(self, *args: str, **options: Any) -> subprocess.Popen[bytes]:
        return self.start(sys.executable, "-m", "journey", *args, **options)

    def python(self, code: str, timeout: float = 300) -> Any:
        """Run ``code`` with Django set up for this instance; it sets ``result`` (JSON)."""
        script = "import django, json\ndjango.setup()\nresult = None\n" + textwrap.dedent(code) + (
            "\nprint('RESULT=' + json.dumps(result, default=str))\n"
        )
        completed = subprocess.run(  # noqa: S603
            [sys.executable, "-c", script], env=self.env, capture_output=True, text=True,
            timeout=timeout, cwd=ROOT,
        )
        if completed.returncode != 0:
            raise AssertionError(f"snippet failed:\n{completed.stdout}\n{completed.stderr}")
        line = [x for x in completed.stdout.splitlines() if x.startswith("RESULT=")][-1]
        return json.loads(line[len("RESULT="):])

    def wait_for(self, code: str, timeout: float = 60, every: float = 0.3) -> Any:
        """Run the snippet until its ``result`` is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.python(code)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(every)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def log(self, name: str) -> str:
        return (self.root / name).read_text(errors="replace")


def new_instance(root: Path) -> Instance:
    root.mkdir(parents=True, exist_ok=True)
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "JOURNEY_", "DATABASE_URL", "PYTEST"))
    }
    env.update({
        "DJANGO_SETTINGS_MODULE": "journey.web.settings",
        "JOURNEY_ENV": "development",
        "JOURNEY_DATA_DIR": str(root / "data"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    })
    database = ""
    base = _postgres_base()
    if base is not None:
        import psycopg
        from psycopg import sql

        database = f"journey_ops_{secrets.token_hex(4)}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
        env["DATABASE_URL"] = f"{base}/{database}"
    return Instance(root=root, env=env, database=database)


def drop_instance(instance: Instance) -> None:
    instance.stop()
    base = _postgres_base()
    if instance.database and base is not None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
                (instance.database,),
            )
            connection.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(instance.database)))
