"""Load test of the web application: concurrent users on PostgreSQL, demo-sized data.

    python benchmarks/load_web.py [--users 20] [--requests 60] [--seconds 120]
                                  [--pg postgres://postgres@127.0.0.1:5432]

What it does, in order:

1. creates a throwaway PostgreSQL database (dropped at the end) and a temporary data
   directory;
2. loads ``examples/plan.yaml`` and synthetic figures for every measure: 36 months of
   monthly figures, financial-year-to-date and "latest" figures, and a team breakdown
   (5 teams) for every computed measure, through ``journey observations import``;
3. starts ``journey serve`` (waitress, 8 threads) on a free port on 127.0.0.1 and waits
   until it reports its warm-up done (the last 12 months evaluated and their charts drawn);
4. measures ``--single`` requests by one user alone, then runs ``--users`` client threads (stdlib ``urllib`` with a cookie jar). Each signs in
   through the login form, then requests at most ``--requests`` pages, choosing among
   the dashboard (latest month, an earlier month, with filters) and measure pages, until
   ``--seconds`` have passed;
5. writes latency percentiles per kind of page, throughput and errors to
   ``benchmarks/results/web.json``.

It is a measurement, not a test: nothing fails on a slow number.
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import json
import os
import platform
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
JOURNEY = [str(Path(sys.executable).parent / "journey")]
PLAN = ROOT / "examples" / "plan.yaml"
TEAMS = ["North", "South", "East", "West", "Disabled children"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_months(month: str, n: int) -> str:
    year, mon = int(month[:4]), int(month[5:])
    index = year * 12 + mon - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def synthetic_observations(path: Path, last_month: str, months: int = 36) -> int:
    """Plausible figures for every measure of the example plan (deterministic)."""
    sys.path.insert(0, str(ROOT / "src"))
    from journey.engine.plan import load_plan

    plan = load_plan(PLAN)
    rng = random.Random(7)
    ranges = {
        "percent": (55, 97), "rate_per_10k": (30, 650), "count": (5, 400),
        "currency": (3000, 6500), "number": (12, 24), "score": (1, 4), "days": (10, 60),
    }
    rows = 0
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(
            ["measure_id", "period", "period_type", "breakdown", "breakdown_value", "value", "as_at"]
        )
        for measure in plan.measures:
            low, high = ranges.get(measure.unit.value, (0, 100))
            level = rng.uniform(low, high)
            total = 0.0
            for i in range(months):
                month = add_months(last_month, i - months + 1)
                level = min(high, max(low, level + rng.uniform(-0.04, 0.04) * (high - low)))
                value = round(level) if measure.unit.value == "count" else round(level, 1)
                out.writerow([measure.id, month, "month", "", "", value, ""])
                rows += 1
                total = value if month.endswith("-04") else total + value
                if measure.cumulative_in_year:
                    out.writerow([measure.id, month, "fytd", "", "", total, ""])
                    rows += 1
                if measure.source.kind == "computed":
                    for team in TEAMS:
                        share = value * rng.uniform(0.85, 1.15)
                        out.writerow([measure.id, month, "month", "team", team, round(share, 1), ""])
                        rows += 1
            latest = add_months(last_month, 1)
            out.writerow([measure.id, latest, "latest", "", "", value, f"{latest}-15"])
            rows += 1
    return rows


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        return status, body, time.perf_counter() - started

    def sign_in(self, username: str, password: str) -> None:
        status, body, _ = self.get("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or token is None:
            raise RuntimeError(f"login page: {status}")
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1).decode(), "username": username,
             "password": password, "next": "/"}
        ).encode()
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=data, headers={"Referer": self.base + "/accounts/login/"}
        )
        with self.opener.open(request, timeout=30) as response:
            if "/accounts/login" in response.url:
                raise RuntimeError("sign-in failed")


def wait_for_warm_up(server: subprocess.Popen, limit: float) -> tuple[float | None, float | None]:
    """Seconds until the server reported its warm-up of the latest month done, and until
    the worker finished the earlier months it then queued (None: not within ``limit``), so
    the run measures pages, not the background drawing of charts beside them."""
    started = time.perf_counter()
    latest = threading.Event()
    earlier = threading.Event()
    times: dict[str, float] = {}

    def read() -> None:
        assert server.stderr is not None
        queued: int | None = None
        finished = 0
        for line in iter(server.stderr.readline, b""):
            if b"warm-up done" in line:
                times["latest"] = time.perf_counter() - started
                found = re.search(rb"(\d+) earlier months queued", line)
                queued = int(found.group(1)) if found else 0
                latest.set()
            elif b"warm_up_month" in line and b"SUCCESSFUL" in line:
                finished += 1
            if queued is not None and finished >= queued and not earlier.is_set():
                times["earlier"] = time.perf_counter() - started
                earlier.set()
        # keep draining so the server never blocks on a full pipe

    threading.Thread(target=read, daemon=True).start()
    if not latest.wait(limit):
        return None, None
    if not earlier.wait(max(limit - (time.perf_counter() - started), 0)):
        return round(times["latest"], 1), None
    return round(times["latest"], 1), round(times["earlier"], 1)


PAGE_NAMES = {
    "dashboard": "dashboard (latest month)",
    "dashboard_month": "dashboard, earlier month",
    "dashboard_filtered": "dashboard with filters",
    "measure": "measure page",
    "measure_chart_svg": "measure chart (SVG image)",
}


def summary_markdown(result: dict) -> str:
    """The table docs/performance.md shows (benchmarks/run.py takes a result's ``markdown``)."""
    rows = [
        "| page | alone, p50 | 20 users, p50 | p90 | p95 |",
        "|---|---|---|---|---|",
    ]
    alone = result.get("single_user_by_page", {})
    for kind, name in PAGE_NAMES.items():
        crowd = result["by_page"].get(kind)
        if crowd is None:
            continue
        solo = alone.get(kind, {}).get("p50_ms", "–")
        rows.append(
            f"| {name} | {solo} ms | {crowd['p50_ms']} ms | {crowd['p90_ms']} ms | {crowd['p95_ms']} ms |"
        )
    overall = result["overall"]
    rows += [
        "",
        f"{result['users']} users on PostgreSQL against `journey serve` (waitress, 8 threads), "
        f"{result['measures']} measures and {result['observation_rows']:,} figures; "
        f"{result['requests']} requests, {result['requests_per_second']} a second, "
        f"{result['errors']} errors; overall p95 {overall['p95_ms']} ms. Warm-up took "
        f"{result.get('warm_up_seconds')} s (the latest month), "
        f"{result.get('earlier_months_warm_up_seconds')} s (the earlier months, drawn before the run); load average {result['load_average_at_start']} at the "
        f"start on {result['cpus']} CPUs; measured {result['measured_at']}. See docs/web.md (Speed).",
    ]
    return "\n".join(rows)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {
        "count": len(ordered),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
        "p50_ms": pick(0.50),
        "p90_ms": pick(0.90),
        "p95_ms": pick(0.95),
        "p99_ms": pick(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=60, help="most requests per user")
    parser.add_argument("--seconds", type=float, default=120.0, help="stop after this long")
    parser.add_argument(
        "--think", type=float, default=1.0,
        help="mean pause between a user's requests in seconds (0 for back-to-back requests)",
    )
    parser.add_argument("--single", type=int, default=60,
                        help="requests made by one user alone before the concurrent run")
    parser.add_argument("--warm-up", type=float, default=120.0,
                        help="most seconds to wait for the server's warm-up after it answers")
    parser.add_argument("--pg", default=os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    import psycopg

    db_name = f"journey_bench_{int(time.time())}_{os.getpid()}"
    admin = psycopg.connect(f"{args.pg}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{db_name}"')
    data_dir = Path(tempfile.mkdtemp(prefix="journey-bench-"))
    env = dict(os.environ, JOURNEY_ENV="development", JOURNEY_DATA_DIR=str(data_dir),
               DATABASE_URL=f"{args.pg}/{db_name}", JOURNEY_LOG_LEVEL="ERROR")
    server = None
    try:
        last_month = "2024-06"
        observations = data_dir / "observations.csv"
        rows = synthetic_observations(observations, last_month)
        started = time.perf_counter()
        subprocess.run([*JOURNEY, "observations", "import", str(observations), "--plan", str(PLAN)],
                       env=env, check=True, capture_output=True)
        import_seconds = time.perf_counter() - started
        password = secrets.token_urlsafe(16)
        for i in range(args.users):
            role = ["board_member", "data_team", "service_lead", "director"][i % 4]
            subprocess.run(
                [*JOURNEY, "users", "create", "--username", f"bench{i}", "--role", role,
                 "--password-env", "BENCH_PASSWORD"],
                env={**env, "BENCH_PASSWORD": password}, check=True, capture_output=True,
            )
        port = free_port()
        server = subprocess.Popen(
            [*JOURNEY, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        # The server evaluates the last 12 months and draws the latest month's charts in the
        # background, says "warm-up done" on stderr, then draws the earlier months' charts as
        # low-priority tasks: wait for both (at most --warm-up seconds).
        warm_up_seconds, earlier_months_seconds = wait_for_warm_up(server, args.warm_up)

        sys.path.insert(0, str(ROOT / "src"))
        from journey.engine.plan import load_plan

        measure_ids = [m.id for m in load_plan(PLAN).measures]
        months = [add_months(last_month, -i) for i in range(12)]
        timings: dict[str, list[float]] = {}
        errors: list[str] = []
        lock = threading.Lock()
        deadline = time.perf_counter() + args.seconds

        def pages(rng: random.Random) -> tuple[str, str]:
            roll = rng.random()
            if roll < 0.30:
                return "dashboard", "/"
            if roll < 0.45:
                return "dashboard_month", f"/?month={rng.choice(months)}"
            if roll < 0.55:
                return "dashboard_filtered", f"/?month={rng.choice(months)}&red=1&worsening=1"
            return "measure", f"/measures/{rng.choice(measure_ids)}/?month={rng.choice(months)}"

        def user(i: int) -> None:
            rng = random.Random(i)
            client = Client(base)
            try:
                client.sign_in(f"bench{i}", password)
            except Exception as error:  # noqa: BLE001 - recorded in the results
                with lock:
                    errors.append(f"user {i}: sign in: {error}")
                return
            for _ in range(args.requests):
                if args.think:
                    time.sleep(rng.uniform(0.5, 1.5) * args.think)
                if time.perf_counter() > deadline:
                    break
                kind, path = pages(rng)
                try:
                    status, _body, seconds = client.get(path)
                except Exception as error:  # noqa: BLE001 - recorded in the results
                    with lock:
                        errors.append(f"{path}: {error}")
                    continue
                with lock:
                    if status != 200:
                        errors.append(f"{path}: HTTP {status}")
                    timings.setdefault(kind, []).append(seconds)
                if kind == "measure":  # the browser then fetches the chart image
                    chart_path = path.replace("/?month=", "/chart.svg?month=")
                    status, _body, seconds = client.get(chart_path)
                    with lock:
                        if status != 200:
                            errors.append(f"{chart_path}: HTTP {status}")
                        timings.setdefault("measure_chart_svg", []).append(seconds)

        # One user alone first: the latency of a page when nobody else is waiting.
        single: dict[str, list[float]] = {}
        solo = Client(base)
        solo.sign_in("bench0", password)
        solo_rng = random.Random(99)
        for _ in range(args.single):
            kind, path = pages(solo_rng)
            status, _body, seconds = solo.get(path)
            if status == 200:
                single.setdefault(kind, []).append(seconds)
            if kind == "measure":
                status, _body, seconds = solo.get(path.replace("/?month=", "/chart.svg?month="))
                if status == 200:
                    single.setdefault("measure_chart_svg", []).append(seconds)

        load_at_start = [round(x, 2) for x in os.getloadavg()]
        run_started = time.perf_counter()
        threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - run_started
        all_times = [s for values in timings.values() for s in values]
        result = {
            "what": "web pages under concurrent load (client-side latency, waitress 8 threads)",
            "database": "postgresql",
            "users": args.users,
            "max_requests_per_user": args.requests,
            "time_limit_seconds": args.seconds,
            "think_time_mean_seconds": args.think,
            "warm_up_limit_seconds": args.warm_up,
            "warm_up_seconds": warm_up_seconds,
            "earlier_months_warm_up_seconds": earlier_months_seconds,
            "plan": "examples/plan.yaml",
            "measures": len(measure_ids),
            "observation_rows": rows,
            "observations_import_seconds": round(import_seconds, 2),
            "elapsed_seconds": round(elapsed, 2),
            "requests": len(all_times),
            "requests_per_second": round(len(all_times) / elapsed, 1) if elapsed else 0,
            "errors": len(errors),
            "error_examples": errors[:10],
            "overall": percentiles(all_times),
            "by_page": {kind: percentiles(values) for kind, values in sorted(timings.items())},
            "single_user_by_page": {
                kind: percentiles(values) for kind, values in sorted(single.items())
            },
            "note": (
                "A measure page's chart is a separate SVG request (fetched after the page, as a "
                "browser does); the first request for each chart renders it with vl-convert, "
                "later ones from the copy kept on disk. At start the server evaluates the last 12 "
                "months and draws the latest month's charts in the background (warm_up_seconds), "
                "then the earlier months' as low-priority tasks (earlier_months_warm_up_seconds); "
                "the run starts when both are done. Latencies include queueing on a shared host: "
                "see load_average_at_start."
            ),
            "load_average_at_start": load_at_start,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        result["title"] = "Web pages under load"
        result["markdown"] = summary_markdown(result)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "web.json").write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        return 0 if not errors else 1
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
