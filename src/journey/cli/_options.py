"""Checks shared by the commands' options, so every command words a bad value the same way."""

from __future__ import annotations

from datetime import date

import click

from journey.engine.periods import is_month


def month_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A ``YYYY-MM`` option (absent stays absent)."""
    if value is not None and not is_month(value):
        raise click.BadParameter(f"{value!r} is not a month in the form YYYY-MM (e.g. 2023-09)")
    return value


def date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` option (absent stays absent)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date as YYYY-MM-DD") from None


COLLECTION_YEAR_HELP = (
    "SSDA903: the collection year (ending 31 March, e.g. 2024 for 2023-24) of files whose "
    "names and folders carry none (header.csv, episodes.csv)."
)


def collection_year_option(f):
    """``--collection-year YYYY``, the same on every command that reads an extract."""
    return click.option(
        "--collection-year",
        "collection_year",
        type=click.IntRange(2000, 2100),
        metavar="YYYY",
        help=COLLECTION_YEAR_HELP,
    )(f)
