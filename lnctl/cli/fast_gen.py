"""Writes ``lnctl/cli/fast_table.py``, the fast path's table of options, from the Typer
declarations of the commands it shortcuts: ``python -m lnctl.cli.fast_gen``. Each option is
declared once, in its Typer command; tests/cli/test_fast_path.py fails when the written table
and the declarations differ. An option whose type the fast path does not parse (a file path,
say) is left out, and a call that uses it goes to Typer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FAST = ("decode", "invoice")  # the commands shell scripts call thousands of times
TARGET = Path(__file__).with_name("fast_table.py")
Table = dict[str, dict[str, tuple[str, str, object]]]


def table() -> tuple[Table, dict[str, int]]:
    """(command -> option -> (parameter, kind, default), command -> number of arguments)."""
    import click

    from lnctl.cli.app import get_command

    root = get_command([])
    options: Table = {}
    arguments: dict[str, int] = {}
    for name in FAST:
        command = root.commands[name]
        spec: dict[str, tuple[str, str, object]] = {}
        arguments[name] = sum(isinstance(p, click.Argument) for p in command.params)
        for param in command.params:
            if not isinstance(param, click.Option) or len(param.opts) != 1 or param.secondary_opts:
                continue
            kind = _kind(param)
            if kind is not None and param.name is not None:
                spec[param.opts[0]] = (param.name, kind, param.default)
        options[name] = dict(sorted(spec.items()))
    return options, arguments


def _kind(param: Any) -> str | None:
    import click

    from lnctl.config import NETWORKS

    kind = param.type
    if param.is_flag and isinstance(kind, click.types.BoolParamType):
        return "flag"
    if isinstance(kind, click.IntRange) and kind.min == 1 and not kind.min_open:
        return "int" if kind.max is None else None
    if isinstance(kind, click.types.StringParamType):
        return "str"
    if isinstance(kind, click.Choice) and sorted(map(str, kind.choices)) == sorted(NETWORKS):
        return "network"
    return None  # left to Typer


def _literal(value: object) -> str:
    """Python source of a str, int, bool or None (double quotes, as the formatter writes)."""
    import json

    return json.dumps(value) if isinstance(value, str) else repr(value)


def render() -> str:
    options, arguments = table()
    lines = [
        '"""The fast path\'s options (lnctl.cli.fast), written from the Typer declarations by',
        "``python -m lnctl.cli.fast_gen``: do not edit by hand (tests/cli/test_fast_path.py",
        'checks that it matches them)."""',
        "",
        "# command -> option -> (parameter, kind, default); kinds: flag, int (>= 1), str, network",
        "COMMANDS: dict[str, dict[str, tuple[str, str, object]]] = {",
    ]
    for command, spec in options.items():
        if not spec:
            lines.append(f"    {_literal(command)}: {{}},")
            continue
        lines.append(f"    {_literal(command)}: {{")
        for option, entry in spec.items():
            inner = ", ".join(_literal(v) for v in entry)
            lines.append(f"        {_literal(option)}: ({inner}),")
        lines.append("    },")
    counts = ", ".join(f"{_literal(k)}: {v}" for k, v in arguments.items())
    lines += ["}", "# command -> how many arguments it takes", f"ARGUMENTS = {{{counts}}}", ""]
    return "\n".join(lines)


def main() -> None:
    TARGET.write_text(render())
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
