"""The fast path for every command shell scripts call (thousands of times): ``decode``,
``invoice``, ``pay``, the listings, ``channel ...``, ``simulate ...``, ``memo ...``. Building the
Typer application costs several times Python's own start-up, so a well-formed call of these
commands is parsed here and runs the same code as the Typer command (``lnctl.cli.actions``). Its
options are not written here: ``fast_table.py`` is generated from the Typer declarations
(``python -m lnctl.cli.fast_gen``; a test checks that the two agree). Anything this parser does
not fully understand (``--help``, an unknown or repeated option, a missing required option, a
value that is not valid) returns None, and the call goes to Typer, which gives the canonical
behaviour and error messages.
"""

from __future__ import annotations

from lnctl.cli.fast_table import ARGUMENTS, COMMANDS, REQUIRED

GLOBAL_VALUES = ("--home", "--backend", "--network")


def _split(args: list[str], i: int) -> tuple[str, str | None, int]:
    """(name, inline value or None, next index) of the option at ``args[i]``."""
    name, eq, value = args[i].partition("=")
    return name, (value if eq else None), i + 1


def _within(number: float, low: object, high: object) -> bool:
    """Inside the declared bounds (None: unbounded), as click's ranges check them."""
    if isinstance(low, int | float) and number < low:
        return False
    return not (isinstance(high, int | float) and number > high)


def parse(
    args: list[str],
) -> tuple[dict[str, str | None], str, dict[str, object], list[str]] | None:
    """(global options, command, options by parameter name, arguments), or None to leave the
    call to Typer."""
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
    if i >= len(args):
        return None
    command = args[i]
    if i + 1 < len(args) and f"{args[i]} {args[i + 1]}" in COMMANDS:
        command = f"{args[i]} {args[i + 1]}"  # a command of a group: ``channel list``
        i += 1
    if command not in COMMANDS:
        return None
    spec = COMMANDS[command]
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
        param, kind, _, extra = entry
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
            low, high = extra
            if not value.isdigit() or not value.isascii() or len(value) > 4000:
                return None  # beyond what int() converts (4,300 digits): Typer says USAGE
            number = int(value)
            if not _within(number, low, high):
                return None
            options[param] = number
        elif kind == "float":
            low, high = extra
            whole, dot, fraction = value.partition(".")
            if not (whole + fraction).isdigit() or not value.isascii() or not whole:
                return None
            real = float(value)
            if not _within(real, low, high):
                return None
            options[param] = real
        elif kind == "choice":
            if value not in extra:
                return None
            options[param] = value
        else:
            options[param] = value
    arguments = ARGUMENTS[command]
    if len(positionals) > len(arguments) or len(positionals) < sum(r for _, r in arguments):
        return None
    if any(param not in options for param in REQUIRED[command]):
        return None
    return glob, command, options, positionals


def run(args: list[str]) -> int | None:
    """Run a fast-path call and return its exit code, or None when Typer must handle it."""
    parsed = parse(args)
    if parsed is None:
        return None
    glob, command, options, positionals = parsed
    from lnctl.cli import actions
    from lnctl.cli.state import State

    state = State.build(
        home=glob.get("--home"),
        backend=glob.get("--backend"),
        network=glob.get("--network"),
        verbose=0,
        quiet=False,
        log_format="text",
    )
    # every argument and option of the command, as its Typer declaration defaults them, then as
    # given: the same call the Typer command makes
    values = {param: default for param, _, default, _ in COMMANDS[command].values()}
    values.update({name: None for name, _ in ARGUMENTS[command]})
    values.update(zip((name for name, _ in ARGUMENTS[command]), positionals, strict=False))
    values.update(options)
    action = getattr(actions, command.replace(" ", "_").replace("-", "_") + "_action")
    action(state, **values)
    return 0
