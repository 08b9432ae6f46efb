"""The fast path for the commands shell scripts call thousands of times: ``decode`` and
``invoice``. Building the Typer application costs several times Python's own start-up, so a
well-formed call of these commands is parsed here and runs the same code as the Typer command
(``lnctl.cli.actions``). Its options are not written here: ``fast_table.py`` is generated from
the Typer declarations (``python -m lnctl.cli.fast_gen``; a test checks that the two agree).
Anything this parser does not fully understand (``--help``, an unknown or repeated option, a
value that is not valid) returns None, and the call goes to Typer, which gives the canonical
behaviour and error messages.
"""

from __future__ import annotations

from lnctl.cli.fast_table import ARGUMENTS, COMMANDS
from lnctl.config import NETWORKS

GLOBAL_VALUES = ("--home", "--backend", "--network")


def _split(args: list[str], i: int) -> tuple[str, str | None, int]:
    """(name, inline value or None, next index) of the option at ``args[i]``."""
    name, eq, value = args[i].partition("=")
    return name, (value if eq else None), i + 1


def parse(
    args: list[str],
) -> tuple[dict[str, str | None], str, dict[str, object], list[str]] | None:
    """(global options, command, options, positionals), or None to leave the call to Typer."""
    glob: dict[str, str | None] = {}
    i = 0
    while i < len(args) and args[i].startswith("-"):
        name, value, i = _split(args, i)
        if name == "--traceback" and value is None:
            glob[name] = None
            continue
        if name not in GLOBAL_VALUES or name in glob:
            return None
        if value is None:
            if i >= len(args) or args[i].startswith("-"):
                return None
            value, i = args[i], i + 1
        glob[name] = value
    if i >= len(args) or args[i] not in COMMANDS:
        return None
    command, spec = args[i], COMMANDS[args[i]]
    i += 1
    options: dict[str, object] = {}
    positionals: list[str] = []
    while i < len(args):
        token = args[i]
        if not token.startswith("-") or token == "-":
            positionals.append(token)
            i += 1
            continue
        name, value, i = _split(args, i)
        entry = spec.get(name)
        if entry is None or entry[0] in options:
            return None
        param, kind = entry[0], entry[1]
        if kind == "flag":
            if value is not None:
                return None
            options[param] = True
            continue
        if value is None:
            if i >= len(args) or args[i].startswith("-"):
                return None
            value, i = args[i], i + 1
        if kind == "int":
            if not value.isdigit() or not value.isascii() or int(value) < 1:
                return None
            options[param] = int(value)
        elif kind == "network":
            if value not in NETWORKS:
                return None
            options[param] = value
        else:
            options[param] = value
    if len(positionals) > ARGUMENTS[command]:
        return None
    return glob, command, options, positionals


def run(args: list[str]) -> int | None:
    """Run a fast-path call and return its exit code, or None when Typer must handle it."""
    parsed = parse(args)
    if parsed is None:
        return None
    glob, command, options, positionals = parsed
    from lnctl.cli.state import State

    state = State.build(
        home=glob.get("--home"),
        backend=glob.get("--backend"),
        network=glob.get("--network"),
        verbose=0,
        quiet=False,
        log_format="text",
    )
    # every option of the command, as its Typer declaration defaults it, then as given
    values = {param: default for param, _, default in COMMANDS[command].values()}
    values.update(options)
    if command == "decode":
        from lnctl.cli.actions import decode_action

        decode_action(positionals[0] if positionals else None, **values)  # type: ignore[arg-type]
        return 0
    from lnctl.cli.actions import invoice_action, memo_text

    # as the Typer command does: the memo from --memo or --memo-file
    memo_file = values.pop("memo_file")
    values["memo"] = memo_text(
        values["memo"] if isinstance(values["memo"], str) else None,
        memo_file if isinstance(memo_file, str) else None,
    )
    invoice_action(state, **values)  # type: ignore[arg-type]
    return 0
