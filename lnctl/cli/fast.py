"""The fast path for the commands shell scripts call thousands of times: ``decode`` and
``invoice``. Building the Typer application costs several times Python's own start-up, so a
well-formed call of these commands is parsed here and runs the same code as the Typer command
(``lnctl.cli.actions``). Anything this parser does not fully understand (``--help``, an unknown or
repeated option, a value that is not valid, ``--qr``) returns None, and the call goes to Typer,
which gives the canonical behaviour and error messages.
"""

from __future__ import annotations

from lnctl.config import NETWORKS

GLOBAL_VALUES = ("--home", "--backend", "--network")

# option -> kind, per command ("flag", "int" (>= 1), "str", "network")
COMMANDS: dict[str, dict[str, str]] = {
    "decode": {"--json": "flag"},
    "invoice": {
        "--json": "flag",
        "--amount": "int",
        "--amount-msat": "int",
        "--expiry": "int",
        "--description": "str",
        "--memo": "str",
        "--network": "network",
    },
}


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
        kind = spec.get(name)
        if kind is None or name in options:
            return None
        if kind == "flag":
            if value is not None:
                return None
            options[name] = True
            continue
        if value is None:
            if i >= len(args) or args[i].startswith("-"):
                return None
            value, i = args[i], i + 1
        if kind == "int":
            if not value.isdigit() or not value.isascii() or int(value) < 1:
                return None
            options[name] = int(value)
        elif kind == "network":
            if value not in NETWORKS:
                return None
            options[name] = value
        else:
            options[name] = value
    if len(positionals) > (1 if command == "decode" else 0):
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
    if command == "decode":
        from lnctl.cli.actions import decode_action

        decode_action(positionals[0] if positionals else None, bool(options.get("--json")))
        return 0
    from lnctl.bolt11 import DEFAULT_EXPIRY
    from lnctl.cli.actions import invoice_action

    def number(name: str) -> int | None:
        value = options.get(name)
        return value if isinstance(value, int) else None

    def string(name: str) -> str | None:
        value = options.get(name)
        return value if isinstance(value, str) else None

    invoice_action(
        state,
        amount=number("--amount"),
        amount_msat_=number("--amount-msat"),
        description=string("--description"),
        memo=string("--memo"),
        expiry=number("--expiry") or DEFAULT_EXPIRY,
        network=string("--network"),
        qr=False,
        as_json=options.get("--json") is True,
    )
    return 0
