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
