"""Commands for the web application: serve it, manage its users, import figures into it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import click

from journey.cli._django import setup_django


def _migrate() -> None:
    from django.conf import settings
    from django.core.management import call_command

    Path(settings.DATA_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)  # only when JOURNEY_CACHE=database


def _queue_warm_up() -> None:
    """Ask a worker to evaluate the last 12 months and draw their charts, so the first
    visitors after a start do not wait (once per data version, whoever asks)."""
    from journey.web.plans import tasks

    if tasks.warm_up_once():
        click.echo("Warm-up of the last 12 months queued for the worker.", err=True)


def start_workers(count: int) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` ``journey worker`` processes beside the web server."""
    return [
        subprocess.Popen([sys.executable, "-m", "journey", "worker"])  # noqa: S603 - our own command
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]], wait: float = 30.0) -> None:
    """SIGTERM: each finishes its current task and stops (killed after ``wait`` seconds)."""
    for process in workers:
        if process.poll() is None:
            process.terminate()
    for process in workers:
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(0),
              help="Background workers to start beside the server (0 when they run as their own "
              "service, see docs/deploy.md).")
@click.option("--no-migrate", is_flag=True, help="Do not bring the database up to date first.")
def serve(host: str, port: int, threads: int, workers: int, no_migrate: bool) -> None:
    """Run the web application with waitress (static files are served by whitenoise), and
    background workers beside it."""
    setup_django()
    if not no_migrate:
        _migrate()
    from waitress import serve as waitress_serve

    from journey.web.casedata.middleware import body_limit
    from journey.web.wsgi import application

    _queue_warm_up()
    started = start_workers(workers)
    click.echo(f"Improvement Journey on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        waitress_serve(
            application, host=host, port=port, threads=threads, ident="journey",
            max_request_body_size=body_limit(), **proxy_options(),
        )
    finally:
        stop_workers(started)


WAITRESS_PROXY_HEADERS = {"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
                          "x-forwarded-port", "x-forwarded-by", "forwarded"}


def proxy_options() -> dict[str, object]:
    """Behind a reverse proxy (``JOURNEY_PROXY_SSL_HEADER`` or ``JOURNEY_PROXY_COUNT`` set),
    trust its headers when they come from ``JOURNEY_TRUSTED_PROXY`` (127.0.0.1): waitress
    otherwise strips them, and Django would never see that the request came over HTTPS."""
    from django.conf import settings

    from journey.web.env import env_str

    names = set()
    ssl_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if ssl_header:
        names.add(ssl_header[0].removeprefix("HTTP_").replace("_", "-").lower())
    count = int(getattr(settings, "PROXY_COUNT", 0))
    if count:
        names.add("x-forwarded-for")
    names &= WAITRESS_PROXY_HEADERS
    if not names:
        return {}
    return {
        "trusted_proxy": env_str("JOURNEY_TRUSTED_PROXY", "127.0.0.1"),
        "trusted_proxy_count": max(count, 1),
        "trusted_proxy_headers": names,
    }


@click.group("users")
def users() -> None:
    """Create users of the web application."""


def _role_choice() -> click.Choice:
    from journey.web.accounts.roles import Role

    return click.Choice([role.value for role in Role])


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=_role_choice(), help="The user's one role.")
@click.option(
    "--password-env",
    required=True,
    metavar="VAR",
    help="Name of the environment variable holding the password (never on the command line).",
)
@click.option("--name", "display_name", default="", help="Full name shown in the application.")
def users_create(username: str, role: str, password_env: str, display_name: str) -> None:
    """Create a user with ROLE, taking the password from an environment variable."""
    password = os.environ.get(password_env, "")
    if not password:
        raise click.UsageError(f"The environment variable {password_env} is empty or not set.")
    setup_django()
    _migrate()
    from journey.web.accounts import services

    try:
        user = services.create_user(
            None, username=username, role=role, password=password, display_name=display_name
        )
    except services.UserChangeRefused as refused:
        for message in refused.problems.errors.values():
            click.echo(f"error: {message}", err=True)
        sys.exit(1)
    click.echo(f"Created {user.username} ({user.role_label}).")


@users.command("demo")
def users_demo() -> None:
    """Create one demo user per role with random passwords, printed once (demo only)."""
    setup_django()
    from django.conf import settings

    if not settings.DEVELOPMENT:
        raise click.UsageError(
            "journey users demo runs only with JOURNEY_ENV=development: it creates (or resets) "
            "one user per role and prints their passwords."
        )
    _migrate()
    from journey.web.accounts import audit
    from journey.web.accounts.models import User
    from journey.web.accounts.roles import Role

    click.echo("Demo sign-ins (passwords are random, shown once):")
    for role in Role:
        username = f"demo-{role.value.replace('_', '-')}"
        password = secrets.token_urlsafe(12)
        user, created = User.objects.get_or_create(username=username, defaults={"role": role})
        user.role = role.value
        user.is_active = True
        user.display_name = user.display_name or f"Demo {role.label.split(' /')[0].lower()}"
        user.set_password(password)
        user.save()
        audit.record(None, "created_user" if created else "reset_demo_user", username, role=role.value)
        click.echo(f"  {username:<24} {password:<20} {role.label}")
    teams = _demo_teams()
    if teams:
        click.echo(f"Demo teams (owners named in the plan): {teams}.")


#: Which demo account holds the posts the example plan names as owners: directors the
#: director's, the front door the team manager's, every other head of service the service lead's.
def _demo_holder(owner: str) -> str:
    if "Director" in owner:
        return "demo-director"
    if "Front Door" in owner:
        return "demo-team-manager"
    return "demo-service-lead"


def _demo_teams() -> int:
    """A team for each owner the active plan names that is no account yet, with the demo
    account that holds that post, so "My measures" and narrative work in the demo."""
    from journey.web.accounts.models import Team, User
    from journey.web.accounts.ownership import resolve_owners
    from journey.web.plans.services import active_plan

    plan = active_plan()
    if plan is None:
        return 0
    texts = {m.owner for m in plan.measures if m.owner} | {a.owner for a in plan.actions if a.owner}
    made = 0
    for text, owner in sorted(resolve_owners(texts).items()):
        if owner.matched:
            continue
        team, _ = Team.objects.get_or_create(name=text.strip())
        team.members.add(*User.objects.filter(username=_demo_holder(text)))
        made += 1
    return made


@click.group("observations")
def observations() -> None:
    """Figures for the measures: import them into the web application."""


@observations.command("import")
@click.argument("csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Load this plan file as the active plan first.",
)
def observations_import(csv_path: Path, plan_path: Path | None) -> None:
    """Import an observations CSV (all or nothing), optionally with the plan it belongs to."""
    setup_django()
    _migrate()
    from journey.web.plans import services

    if plan_path is not None:
        try:
            version, created = services.save_plan_version(
                plan_path.read_text(encoding="utf-8"),
                filename=plan_path.name,
                user=None,
                origin="command",
            )
        except services.PlanRejected as rejected:
            click.echo(f"The plan {plan_path} was not loaded:", err=True)
            for problem in rejected.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        plan = services.parse_plan_text(version.text, version.filename)
        verb = "Loaded" if created else "Already active:"
        click.echo(
            f"{verb} plan {plan_path.name} ({version.sha256[:12]}): "
            f"{len(plan.priorities)} priorities, {len(plan.measures)} measures."
        )
    try:
        result = services.import_observations(csv_path, user=None)
    except services.ImportRejected as rejected:
        click.echo(f"Nothing imported from {csv_path}:", err=True)
        for message in rejected.problems[:50]:
            click.echo(f"  {message}", err=True)
        if len(rejected.problems) > 50:
            click.echo(f"  … and {len(rejected.problems) - 50} more", err=True)
        sys.exit(1)
    click.echo(
        f"Imported {result.rows} rows from {csv_path.name}: {result.created} new, "
        f"{result.changed} changed, {result.unchanged} unchanged."
    )
    months = services.months_available()
    if months:
        click.echo(f"Months with figures: {months[0]} to {months[-1]} ({len(months)}).")
    for change in result.changes[:20]:
        click.echo(f"  changed {change['key']}: {change['old']} → {change['new']}")


def register(main: click.Group) -> None:
    main.add_command(serve)
    main.add_command(users)
    main.add_command(observations)
