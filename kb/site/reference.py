"""The CLI reference page of the site, rendered from a click command tree (kb's typer app, handed in by the
mkdocs entry point), so it cannot drift from `kb COMMAND --help`. Click objects are read by duck typing: typer
may carry its own copy of click."""

from __future__ import annotations


def cli_reference(group) -> str:
    """Markdown reference of every command and option of `group` (the click command of the `kb` app)."""
    lines = [
        "# Command line reference",
        "",
        "Generated from the `kb` command itself (`kb COMMAND --help` prints the same).",
        "",
        "```text",
        "kb [--version] COMMAND [ARGS]...",
        "```",
        "",
    ]
    for name, command in group.commands.items():
        if not command.hidden:
            lines += _command_reference(f"kb {name}", command)
    return "\n".join(lines)


def _command_reference(path: str, command) -> list[str]:
    params = [p for p in command.params if not getattr(p, "hidden", False)]
    pieces = ["[OPTIONS]"] if any(p.param_type_name == "option" for p in params) else []
    for param in params:
        if param.param_type_name == "argument":
            name = param.name.upper() + ("..." if param.nargs == -1 else "")
            pieces.append(name if param.required else f"[{name}]")
    subcommands = getattr(command, "commands", None)
    if subcommands:
        pieces.append("COMMAND [ARGS]...")
    lines = [
        f"## `{path}`",
        "",
        (command.help or "").strip().split("\n\n")[0],
        "",
        "```text",
        f"{path} {' '.join(pieces)}".rstrip(),
        "```",
        "",
    ]
    rows = []
    for param in params:
        if param.param_type_name == "argument":
            name = f"`{param.name.upper()}`"
        else:
            name = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        help_text = " ".join((getattr(param, "help", None) or "").split())
        default = getattr(param.default, "value", param.default)
        if (
            param.param_type_name == "option"
            and not param.is_flag
            and default not in (None, (), [], False)
            and "default" not in help_text
        ):
            help_text += f" (default: `{default}`)"
        rows.append(f"| {name} | {help_text.replace('|', '&#124;')} |")
    if rows:
        lines += ["| argument / option | meaning |", "| --- | --- |", *rows, ""]
    for name, sub in (subcommands or {}).items():
        lines += _command_reference(f"{path} {name}", sub)
    return lines
