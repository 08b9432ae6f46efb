"""Writes ``lnctl/cli/fast_table.py``, the fast path's table of options, from the Typer
declarations of the commands it shortcuts: ``python -m lnctl.cli.fast_gen``. Each option is
declared once, in its Typer command; tests/cli/test_fast_path.py fails when the written table
and the declarations differ. An option whose type the fast path does not parse (a file path,
say) is left out, and a call that uses it goes to Typer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# every command a script calls, each with its body in lnctl.cli.actions (``<name>_action``);
# left to Typer: ``demo`` (a show for people), ``serve-metrics`` (a server) and ``--help``
FAST = (
    "decode",
    "invoice",
    "invoice wait",
    "pay",
    "info",
    "payments",
    "invoices",
    "lookup",
    "channel list",
    "channel balance",
    "channel open",
    "channel close",
    "metrics",
    "simulate invoice",
    "simulate pay",
    "memo show",
    "memo verify",
    "memo rotate-key",
    "config show",
)
TARGET = Path(__file__).with_name("fast_table.py")
Entry = tuple[str, str, object, tuple[object, ...]]
Table = dict[str, dict[str, Entry]]


def table() -> tuple[Table, dict[str, list[tuple[str, bool]]], dict[str, list[str]]]:
    """(command -> option -> (parameter, kind, default, bounds or choices), command -> its
    arguments as (parameter, required), command -> its required options' parameters)."""
    import click

    from lnctl.cli.app import get_command

    root = get_command([])
    options: Table = {}
    arguments: dict[str, list[tuple[str, bool]]] = {}
    required: dict[str, list[str]] = {}
    for name in FAST:
        command = root
        for word in name.split():
            command = command.commands[word]
        spec: dict[str, Entry] = {}
        arguments[name] = [
            (str(p.name), bool(p.required)) for p in command.params if isinstance(p, click.Argument)
        ]
        required[name] = sorted(
            str(p.name) for p in command.params if isinstance(p, click.Option) and p.required
        )
        for param in command.params:
            if not isinstance(param, click.Option) or len(param.opts) != 1 or param.secondary_opts:
                continue
            kind = _kind(param)
            if kind is None or param.name is None:
                continue
            default = param.default
            default = getattr(default, "value", default)  # an enum's value, as Typer passes it on
            spec[param.opts[0]] = (param.name, kind[0], default, kind[1])
        options[name] = dict(sorted(spec.items()))
    return options, arguments, required


def _kind(param: Any) -> tuple[str, tuple[object, ...]] | None:
    """How the fast path reads this option's value, or None to leave it to Typer."""
    import click

    kind = param.type
    if param.is_flag and isinstance(kind, click.types.BoolParamType):
        return "flag", ()
    if param.is_flag or param.multiple or param.nargs != 1:
        return None
    if isinstance(kind, click.IntRange):
        if kind.min_open or kind.max_open or kind.clamp:
            return None
        return "int", (kind.min, kind.max)
    if isinstance(kind, click.types.IntParamType):
        return "int", (None, None)
    if isinstance(kind, click.FloatRange):
        if kind.min_open or kind.max_open or kind.clamp:
            return None
        return "float", (kind.min, kind.max)
    if isinstance(kind, click.types.StringParamType):
        return "str", ()
    if isinstance(kind, click.Choice):
        return "choice", tuple(str(c) for c in kind.choices)
    return None


def _literal(value: object) -> str:
    """Python source of a str, int, bool or None (double quotes, as the formatter writes)."""
    import json

    return json.dumps(value) if isinstance(value, str) else repr(value)


def render() -> str:
    options, arguments, required = table()
    lines = [
        '"""The fast path\'s options (lnctl.cli.fast), written from the Typer declarations by',
        "``python -m lnctl.cli.fast_gen``: do not edit by hand (tests/cli/test_fast_path.py",
        'checks that it matches them)."""',
        "",
        "# command -> option -> (parameter, kind, default, (min, max) or choices)",
        "COMMANDS: dict[str, dict[str, tuple[str, str, object, tuple[object, ...]]]] = {",
    ]
    for command, spec in options.items():
        lines.append(f"    {_literal(command)}: {{")
        for option, (param, kind, default, extra) in spec.items():
            inner = ", ".join(_literal(v) for v in extra)
            inner = f"({inner},)" if len(extra) == 1 else f"({inner})"
            values = ", ".join(_literal(v) for v in (param, kind, default))
            lines.append(f"        {_literal(option)}: ({values}, {inner}),")
        lines.append("    },")
    lines += [
        "}",
        "# command -> its arguments, in order: (parameter, required)",
        "ARGUMENTS: dict[str, list[tuple[str, bool]]] = {",
    ]
    for command, args in arguments.items():
        inner = ", ".join(f"({_literal(n)}, {r!r})" for n, r in args)
        lines.append(f"    {_literal(command)}: [{inner}],")
    lines += [
        "}",
        "# command -> the parameters of its required options (missing: left to Typer)",
        "REQUIRED: dict[str, list[str]] = {",
    ]
    for command, params in required.items():
        lines.append(f"    {_literal(command)}: [{', '.join(_literal(p) for p in params)}],")
    lines += ["}", ""]
    return "\n".join(lines)


def main() -> None:
    import shutil
    import subprocess

    TARGET.write_text(render())
    import os
    import sys

    ruff = shutil.which("ruff") or shutil.which("ruff", path=os.path.dirname(sys.executable))
    if ruff:  # the project's formatter; the test compares the table's values, not its layout
        subprocess.run([ruff, "format", "--quiet", str(TARGET)], check=False)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
