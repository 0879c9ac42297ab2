"""The command reference (docs/cli.md), generated from the commands themselves."""

from __future__ import annotations

import click


def _help_texts(command: click.Command, name: str, parent: click.Context | None) -> list[tuple[str, str]]:
    # A context made as click makes it for a real call (settings inherited from the parent,
    # a fixed width), so the text is the same whatever ran before and whatever the terminal.
    with command.make_context(
        name, [], parent=parent, resilient_parsing=True, terminal_width=100, max_content_width=100
    ) as ctx:
        found = [(ctx.command_path, command.get_help(ctx))]
        if isinstance(command, click.Group):
            for sub in sorted(command.commands):
                if not command.commands[sub].hidden:
                    found += _help_texts(command.commands[sub], sub, ctx)
    return found


def command_reference(main: click.Group) -> str:
    """Markdown with the help text of every ``journey`` command, as ``--help`` prints it."""
    lines = [
        "# The `journey` command",
        "",
        "Generated from the commands' own help by `make docs`; a test fails when it is stale.",
        "",
    ]
    for path, text in _help_texts(main, "journey", None):
        lines += [f"## `{path}`", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(lines)
