"""The fast path for every command shell scripts call (thousands of times): building the Typer
application costs several times Python's own start-up, so a well-formed call is parsed here,
straight from the commands' declarations (``lnctl.cli.commands``), into the very record the
Typer command builds, and the same action runs.

Invariants:
- Typer and click are never imported here.
- Anything this parser does not fully understand returns None, and the call goes to Typer,
  which gives the canonical behaviour and error messages: ``--help``, an unknown or repeated
  option, a missing required option or argument, a value that is not valid or that starts
  with ``-``, ``--``, a count (``-v``), an eager option (``--version``), an option given
  without its optional value (``--induce-failure``), a command declared ``fast=False``.
- What is accepted is accepted by Typer too, with the same values: integers are ASCII digits
  (no sign, at most 4,000 of them), decimals ``DIGITS[.DIGITS]``, choices exactly as declared,
  each inside its declared bounds.
"""

from __future__ import annotations

from lnctl.cli.commands import NAMES, GlobalOptions, declared
from lnctl.cli.declare import CHOICE, FLAG, FLOAT, INT, Command, Param, params
from lnctl.records import record

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any


@record(frozen=True, slots=True)
class Call:
    """A command line the fast path fully understood."""

    start: GlobalOptions  # the global options
    command: Command
    options: object  # the command's options record (``command.options``)


_INVALID = object()  # a value the fast path leaves to Typer


def parse(args: list[str]) -> Call | None:
    """The call ``args`` make, or None to leave it to Typer."""
    top = _by_flag(params(GlobalOptions))
    start: dict[str, Any] = {}
    i = 0
    while 0 <= i < len(args) and args[i].startswith("-"):
        i = _option(args, i, top, start)
    if i < 0 or i >= len(args) or args[i] not in NAMES:
        return None
    command = declared(args[i])
    i += 1
    if i < len(args):
        sub = command.subcommand(args[i])
        if sub is not None:  # a command of a group: ``channel list``
            command, i = sub, i + 1
    if command.options is None or not command.fast:
        return None
    by_flag = _by_flag(command.params)
    values: dict[str, Any] = {}
    positionals: list[str] = []
    while 0 <= i < len(args):
        if not args[i].startswith("-") or args[i] == "-":
            positionals.append(args[i])
            i += 1
        else:
            i = _option(args, i, by_flag, values)
    arguments = [p for p in command.params if p.is_argument]
    if i < 0 or len(positionals) > len(arguments):
        return None
    for param, text in zip(arguments, positionals, strict=False):
        value = _value(param, text)
        if value is _INVALID:
            return None
        values[param.name] = value
    if any(p.required and p.name not in values for p in command.params):
        return None
    return Call(GlobalOptions(**start), command, command.options(**values))


def _by_flag(declared: tuple[Param, ...]) -> dict[str, Param]:
    return {flag: p for p in declared for flag in p.flags}


def _option(args: list[str], i: int, by_flag: dict[str, Param], values: dict[str, Any]) -> int:
    """Read the option at ``args[i]`` (``--name``, ``--name VALUE``, ``--name=VALUE``) into
    ``values``: the index after it, or -1 to leave the call to Typer."""
    name, eq, inline = args[i].partition("=")
    param = by_flag.get(name)
    if param is None or param.name in values or param.count or param.eager:
        return -1
    i += 1
    if param.kind == FLAG:
        if eq:
            return -1
        values[param.name] = True
        return i
    if eq:
        text = inline
    elif i < len(args) and not args[i].startswith("-"):
        text, i = args[i], i + 1
    else:
        return -1
    value = _value(param, text)
    if value is _INVALID:
        return -1
    values[param.name] = value
    return i


def _value(param: Param, text: str) -> object:
    """``text`` read as the value of ``param``, or _INVALID."""
    if param.kind == INT:
        if not text.isdigit() or not text.isascii() or len(text) > 4000:
            return _INVALID  # beyond what int() converts (4,300 digits): Typer says USAGE
        number: int | float = int(text)
    elif param.kind == FLOAT:
        whole, _, fraction = text.partition(".")
        if not (whole + fraction).isdigit() or not text.isascii() or not whole:
            return _INVALID
        number = float(text)
    elif param.kind == CHOICE:
        return text if text in param.choices else _INVALID
    else:
        return text
    if param.min is not None and number < param.min:
        return _INVALID
    if param.max is not None and number > param.max:
        return _INVALID
    return number


def run(call: Call) -> int:
    """Run a call the fast path understood; its exit code."""
    from lnctl.cli.state import State

    action = call.command.action
    if action is None:  # parse() returns only commands with an action
        raise TypeError(f"{call.command.name} has no action")
    action(State.build(call.start), call.options)
    return 0
