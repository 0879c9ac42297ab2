"""The ``journey`` command: everything an analyst does without a browser.

Each module in this package adds its own commands through ``register(main)``, so a new
group of commands is one new module.
"""

from __future__ import annotations

import importlib
import pkgutil

import click

from journey import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="journey")
def main() -> None:
    """Improvement Journey: children's services improvement plans from case data to board pack.

    Load and check extracts, compute measures, evaluate them against the plan, build
    reports and run the web application.
    """


def _register_commands() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        importlib.import_module(f"{__name__}.{module.name}").register(main)


_register_commands()
