"""``python -m journey``: the ``journey`` command (how ``journey serve`` starts its workers)."""

from journey.cli import main

main()
