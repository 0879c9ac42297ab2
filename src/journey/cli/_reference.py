"""The command reference (docs/cli.md), generated from the commands themselves."""

from __future__ import annotations

import click


def _walk(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found += _walk(command.commands[name], [*path, name])
    return found


def command_reference(main: click.Group) -> str:
    """Markdown with the help text of every ``journey`` command, as ``--help`` prints it."""
    lines = [
        "# The `journey` command",
        "",
        "Generated from the commands' own help by `make docs`; a test fails when it is stale.",
        "",
    ]
    for path, command in _walk(main, ["journey"]):
        if command.hidden:
            continue
        name = " ".join(path)
        with click.Context(command, info_name=name, terminal_width=100) as ctx:
            text = command.get_help(ctx)
        lines += [f"## `{name}`", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(lines)
