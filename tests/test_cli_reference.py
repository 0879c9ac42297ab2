"""docs/cli.md is the commands' own help: regenerate it with `make docs` when a command changes."""

from pathlib import Path

from journey.cli import main
from journey.cli._reference import command_reference

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_the_command_reference_is_up_to_date():
    assert DOC.read_text() == command_reference(main), "run `make docs` to regenerate docs/cli.md"


def test_every_top_level_command_is_in_the_reference():
    text = DOC.read_text()
    for name in main.commands:
        assert f"## `journey {name}`" in text
