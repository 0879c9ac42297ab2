"""``journey worker``: run the queued background work (reports, loads, warm-ups)."""

from __future__ import annotations

import logging

import click

from journey.cli._django import setup_django


@click.command("worker")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.05, 60),
              help="Seconds to wait before looking again when the queue is empty.")
@click.option("--batch", is_flag=True, help="Run what is queued now, then stop.")
@click.option("--max-tasks", type=click.IntRange(1), help="Stop after this many tasks.")
@click.option("--migrate/--no-migrate", default=False, show_default=True,
              help="Bring the database up to date first (journey serve does it by default).")
def worker(interval: float, batch: bool, max_tasks: int | None, migrate: bool) -> None:
    """Run background tasks from the database queue until stopped (SIGTERM finishes the
    current task first). Run as many as the machine allows, on any number of machines."""
    setup_django()
    if migrate:
        from journey.cli.web import _migrate

        _migrate()
    for name in ("journey", "django_tasks", "django_tasks_db"):
        logging.getLogger(name).setLevel(logging.INFO)
    from journey.web.background.worker import Worker

    runner = Worker(interval=interval, batch=batch, max_tasks=max_tasks)
    runner.configure_signals()
    click.echo(f"journey worker {runner.worker_id}: waiting for tasks (Ctrl+C to stop)", err=True)
    runner.run()


def register(main: click.Group) -> None:
    main.add_command(worker)
