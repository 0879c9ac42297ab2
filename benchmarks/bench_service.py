"""The service under load: two web servers and one worker on PostgreSQL, 20 users for five
minutes, while a data load and two report builds run.

    python benchmarks/bench_service.py [--users 20] [--seconds 300] [--pg URL]

What it does, in order:

1. a throwaway PostgreSQL database (dropped at the end) and data directory;
   ``journey migrate``; ``examples/plan.yaml`` with 36 months of synthetic figures; one
   user per simulated person (data team, directors, service leads, board members);
   a synthetic extract (``journey synth``, 20,000 children) to load;
2. starts two ``journey serve --workers 0`` (ports A and B) and one ``journey worker``,
   as the systemd units do (docs/deploy.md);
3. runs ``--users`` people for ``--seconds``, each request sent to A or B at random as a
   proxy would (sessions are in the database). Everyone reads dashboards and measure pages
   (and their charts); the data team and directors also update actions (each update
   carries the version it started from, so two people updating one action at once get a
   409 for the second: refused and said, not lost). Meanwhile one data-team user uploads
   the extract, waits for its check, accepts it and waits for the load and computation;
   two others ask for a monthly PDF and a quarterly Word report and wait for them. People
   arrive (sign in) over the first 30 seconds;
4. afterwards counts **errors** (any answer other than 200/302, or 409 to an update, any
   request unanswered after 120 s, and any load or build that failed) and **lost updates** (an update answered as saved
   that is not in the action's history), and writes ``benchmarks/results/service.json``.

Exit status 1 when there were errors or lost updates.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from load_web import PLAN, RESULTS, Client, free_port, percentiles, synthetic_observations

DEFAULT_ARGS = ["--users", "20", "--seconds", "300"]
JOURNEY = [sys.executable, "-m", "journey"]
LAST_MONTH = "2024-06"
ROLES = ["data_team", "director", "board_member", "service_lead"]
TIMEOUT = 120
"""Seconds before a request counts as failed (a browser waits longer still)."""


class Person(Client):
    """A signed-in browser: GETs, form POSTs with the page's CSRF token, uploads."""

    def __init__(self, bases: list[str], rng: random.Random) -> None:
        super().__init__(bases[0])
        self.bases = bases
        self.rng = rng

    def get(self, path: str) -> tuple[int, bytes, float]:
        """A page, from either server (as the proxy would pick); a browser's patience: a
        request counts as failed only after ``TIMEOUT`` seconds."""
        self.base = self.rng.choice(self.bases)
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=TIMEOUT) as response:
                body, status = response.read(), response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        return status, body, time.perf_counter() - started

    def _send(self, path: str, body: bytes, content_type: str) -> tuple[int, str, float]:
        self.base = self.rng.choice(self.bases)
        request = urllib.request.Request(
            self.base + path, data=body,
            headers={"Content-Type": content_type, "Referer": self.base + path},
        )
        started = time.perf_counter()

        class Stay(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), Stay)
        try:
            with opener.open(request, timeout=TIMEOUT) as response:
                return response.status, "", time.perf_counter() - started
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), time.perf_counter() - started

    def sign_in(self, username: str, password: str) -> None:
        """The login form (hashing the password is deliberately slow: 60 s allowed)."""
        token, _ = self.token("/accounts/login/")
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/"}
        ).encode()
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=data, headers={"Referer": self.base + "/accounts/login/"}
        )
        with self.opener.open(request, timeout=TIMEOUT) as response:
            if "/accounts/login" in response.url:
                raise RuntimeError("sign-in failed")

    def token(self, path: str) -> tuple[str, bytes]:
        status, body, _ = self.get(path)
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or found is None:
            raise RuntimeError(f"{path}: HTTP {status}, no form")
        return found.group(1).decode(), body

    def post(self, path: str, fields: dict[str, str], form_page: str | None = None) -> tuple[int, str, float]:
        token, _ = self.token(form_page or path)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        return self._send(path, data, "application/x-www-form-urlencoded")

    def upload(self, path: str, form_page: str, field: str, files: list[Path]) -> tuple[int, str, float]:
        token, _ = self.token(form_page)
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'.encode()]
        for file in files:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{file.name}"\r\n'
                "Content-Type: text/csv\r\n\r\n".encode() + file.read_bytes() + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self._send(path, b"".join(parts), f"multipart/form-data; boundary={boundary}")


def snippet(env: dict[str, str], code: str) -> object:
    script = "import django, json\ndjango.setup()\nresult = None\n" + code + "\nprint('RESULT=' + json.dumps(result, default=str))\n"
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    return json.loads([x for x in done.stdout.splitlines() if x.startswith("RESULT=")][-1][7:])


def wait_until_up(base: str, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/accounts/login/", timeout=2).read()  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{base} did not answer")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between requests (s)")
    parser.add_argument("--population", type=int, default=20_000, help="children in the extract loaded")
    parser.add_argument("--pg", default=os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    import psycopg

    db_name = f"journey_service_{int(time.time())}_{os.getpid()}"
    admin = psycopg.connect(f"{args.pg}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{db_name}"')
    folder = Path(tempfile.mkdtemp(prefix="journey-service-"))
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = dict(os.environ, JOURNEY_ENV="development", JOURNEY_DATA_DIR=str(folder / "data"),
               DATABASE_URL=f"{args.pg}/{db_name}", JOURNEY_LOG_LEVEL="WARNING",
               DJANGO_SETTINGS_MODULE="journey.web.settings",
               PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        started = time.perf_counter()
        subprocess.run([*JOURNEY, "migrate"], env=env, check=True, capture_output=True)
        observations = folder / "observations.csv"
        rows = synthetic_observations(observations, LAST_MONTH)
        subprocess.run([*JOURNEY, "observations", "import", str(observations), "--plan", str(PLAN)],
                       env=env, check=True, capture_output=True)
        password = secrets.token_urlsafe(16)
        for i in range(args.users):
            subprocess.run(
                [*JOURNEY, "users", "create", "--username", f"person{i}", "--role", ROLES[i % len(ROLES)],
                 "--password-env", "BENCH_PASSWORD"],
                env={**env, "BENCH_PASSWORD": password}, check=True, capture_output=True,
            )
        extract = folder / "extract"
        subprocess.run([*JOURNEY, "synth", "--population", str(args.population), "--from", "2022-04",
                        "--to", LAST_MONTH, "--out", str(extract)], env=env, check=True, capture_output=True)
        actions = snippet(env, "from journey.web.actions.services import ensure_synced, all_actions\n"
                               "ensure_synced()\nresult = [a.number for a in all_actions()][:6]")
        assert isinstance(actions, list) and actions, "the example plan has actions"
        setup_seconds = time.perf_counter() - started

        logs = folder / "logs"
        logs.mkdir()
        ports = [free_port(), free_port()]
        for port in ports:
            processes.append(subprocess.Popen(  # noqa: S603
                [*JOURNEY, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "0", "--no-migrate"],
                env=env, stdout=subprocess.DEVNULL, stderr=(logs / f"web{port}.log").open("wb")))
        processes.append(subprocess.Popen([*JOURNEY, "worker"], env=env, stdout=subprocess.DEVNULL,  # noqa: S603
                                          stderr=(logs / "worker.log").open("wb")))
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base in bases:
            wait_until_up(base)

        measure_ids = snippet(env, "from journey.web.plans.services import active_plan\n"
                                   "result = [m.id for m in active_plan().measures]")
        assert isinstance(measure_ids, list)
        months = [f"{LAST_MONTH[:4]}-{m:02d}" for m in range(1, 7)]
        lock = threading.Lock()
        timings: dict[str, list[float]] = {}
        errors: list[str] = []
        saved: list[str] = []
        conflicts = [0]
        background: dict[str, float | str] = {}
        deadline = time.perf_counter() + args.seconds

        def record(kind: str, status: int, seconds: float, what: str, ok: tuple[int, ...] = (200,)) -> None:
            with lock:
                timings.setdefault(kind, []).append(seconds)
                if status not in ok:
                    errors.append(f"{what}: HTTP {status}")

        def person(i: int) -> None:
            rng = random.Random(i)
            me = Person(bases, rng)
            time.sleep(rng.uniform(0, 30))  # people arrive over the first half minute
            try:
                me.sign_in(f"person{i}", password)
            except Exception as error:  # noqa: BLE001 - counted
                with lock:
                    errors.append(f"person{i}: sign in: {error}")
                return
            writer = ROLES[i % len(ROLES)] in {"data_team", "director"}
            n = 0
            while time.perf_counter() < deadline:
                time.sleep(rng.uniform(0.5, 1.5) * args.think)
                roll = rng.random()
                try:
                    if writer and roll < 0.25:
                        number = rng.choice(actions)
                        _token, page = me.token(f"/actions/{number}/update/")
                        version = re.search(rb'name="version" value="(\d+)"', page)
                        note = f"person{i} update {n}"
                        n += 1
                        status, _loc, seconds = me.post(
                            f"/actions/{number}/update/",
                            {"status": "in_progress", "percent_complete": str(rng.randint(1, 99)),
                             "note": note, "version": version.group(1).decode() if version else "0"},
                        )
                        record("action update", status, seconds, f"update {number}", ok=(302, 409))
                        with lock:
                            if status == 302:
                                saved.append(note)
                            elif status == 409:
                                conflicts[0] += 1
                    elif roll < 0.55:
                        status, _b, seconds = me.get(f"/?month={rng.choice(months)}")
                        record("dashboard", status, seconds, "dashboard")
                    else:
                        measure = rng.choice(measure_ids)
                        month = rng.choice(months)
                        status, _b, seconds = me.get(f"/measures/{measure}/?month={month}")
                        record("measure page", status, seconds, f"measure {measure}")
                        status, _b, seconds = me.get(f"/measures/{measure}/chart.svg?month={month}")
                        record("measure chart", status, seconds, f"chart {measure}", ok=(200, 404))
                except Exception as error:  # noqa: BLE001 - counted
                    with lock:
                        errors.append(f"person{i}: {type(error).__name__}: {error}")

        def wait_for(me: Person, path: str, done: bytes, failed: bytes, limit: float) -> str:
            end = time.perf_counter() + limit
            while time.perf_counter() < end:
                status, body, _ = me.get(path)
                if status == 200 and done in body:
                    return "done"
                if status == 200 and failed in body:
                    return "failed"
                time.sleep(2)  # the page refreshes itself every 2 seconds
            return "timed out"

        def load_extract() -> None:
            me = Person(bases, random.Random(1000))
            me.sign_in("person0", password)  # data team
            began = time.perf_counter()
            status, location, _ = me.upload("/data/upload/", "/data/", "extract", sorted(extract.glob("*.csv")))
            if status != 302:
                errors.append(f"upload: HTTP {status}")
                return
            job = urllib.parse.urlparse(location).path
            checked = wait_for(me, job, b"Ready to accept", b"Rejected", 600)
            background["extract checked"] = checked
            if checked != "done":
                errors.append(f"extract check: {checked}")
                return
            status, _loc, _ = me.post(job + "accept/", {}, form_page=job)
            loaded = wait_for(me, job, b"Loaded.", b"The load failed", 900)
            background["extract loaded"] = loaded
            background["load seconds"] = round(time.perf_counter() - began, 1)
            if status != 302 or loaded != "done":
                errors.append(f"load: accept HTTP {status}, {loaded}")

        def build(user: int, kind: str, fmt: str) -> None:
            me = Person(bases, random.Random(2000 + user))
            me.sign_in(f"person{user}", password)
            began = time.perf_counter()
            status, location, _ = me.post("/reports/", {"kind": kind, "period": LAST_MONTH, "format": fmt})
            if status != 302:
                errors.append(f"report {kind}: HTTP {status}")
                return
            outcome = wait_for(me, urllib.parse.urlparse(location).path, b"Download ", b"was not built", 900)
            background[f"{kind} {fmt}"] = outcome
            background[f"{kind} {fmt} seconds"] = round(time.perf_counter() - began, 1)
            if outcome != "done":
                errors.append(f"report {kind} {fmt}: {outcome}")

        def counted(work: Callable[..., None], *args: object) -> Callable[[], None]:
            """Run ``work``; anything it raises is an error of the run, not lost."""

            def run() -> None:
                try:
                    work(*args)
                except Exception as error:  # noqa: BLE001 - counted
                    traceback.print_exc()
                    with lock:
                        errors.append(f"{work.__name__}{args}: {type(error).__name__}: {error}")

            return run

        threads = [threading.Thread(target=person, args=(i,)) for i in range(args.users)]
        threads += [threading.Thread(target=counted(load_extract)),
                    threading.Thread(target=counted(build, 1, "monthly", "pdf")),
                    threading.Thread(target=counted(build, 5, "quarterly", "docx"))]
        load_at_start = [round(x, 2) for x in os.getloadavg()]
        run_started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - run_started

        history = snippet(env, "from journey.web.actions.models import ActionUpdate\n"
                               "result = list(ActionUpdate.objects.values_list('note', flat=True))")
        assert isinstance(history, list)
        lost = sorted(set(saved) - set(history))
        all_times = [s for values in timings.values() for s in values]
        result = {
            "what": "two web servers and one worker on PostgreSQL under simulated users, with a load and two report builds",
            "database": "postgresql",
            "web_servers": 2,
            "workers": 1,
            "users": args.users,
            "seconds": args.seconds,
            "think_time_mean_seconds": args.think,
            "observation_rows": rows,
            "extract_population": args.population,
            "setup_seconds": round(setup_seconds, 1),
            "elapsed_seconds": round(elapsed, 1),
            "requests": len(all_times),
            "errors": len(errors),
            "error_examples": errors[:10],
            "updates_saved": len(saved),
            "updates_refused_409": conflicts[0],
            "lost_updates": len(lost),
            "lost_examples": lost[:10],
            "background": background,
            "by_kind": {kind: percentiles(values) for kind, values in sorted(timings.items())},
            "load_average_at_start": load_at_start,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "title": "The service under load (two web servers, one worker)",
        }
        result["markdown"] = markdown(result)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "service.json").write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        return 0 if not errors and not lost else 1
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.close()
        shutil.rmtree(folder, ignore_errors=True)


def markdown(result: dict) -> str:
    rows = [
        f"{result['users']} people for {result['seconds']:.0f} s (the run, with the load and builds, "
        f"{result['elapsed_seconds']:.0f} s) against two web servers and one "
        f"worker on PostgreSQL, {result['cpus']} CPUs (load average at start "
        f"{result['load_average_at_start'][0]}): **{result['errors']} errors, {result['lost_updates']} lost "
        f"updates** ({result['updates_saved']} action updates saved, {result['updates_refused_409']} "
        "refused with 409 because someone else had saved first).",
        "",
        "| work in the background | outcome |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in result["background"].items()),
        "",
        "| request | count | p50 | p90 | p95 | max |",
        "|---|---|---|---|---|---|",
    ]
    for kind, stats in result["by_kind"].items():
        rows.append(f"| {kind} | {stats['count']} | {stats['p50_ms']} ms | {stats['p90_ms']} ms | "
                    f"{stats['p95_ms']} ms | {stats['max_ms']} ms |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
