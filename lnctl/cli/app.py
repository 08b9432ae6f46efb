"""The Typer application, built from the commands' declarations (``lnctl.cli.commands``): help,
completion and usage errors come from Typer, as users asked; what a command does is its
declared action, which the fast path (``lnctl.cli.fast``) runs too, with the same record.

Only the command being run is built (building every command costs about 35 ms of each start);
help, completion and an unknown command get all of them.
"""

from __future__ import annotations

import inspect
import os
from typing import Any, Literal

import typer
import typer.core

from lnctl.cli.commands import HELP, NAMES, GlobalOptions, declared
from lnctl.cli.declare import CHOICE, FLAG, FLOAT, INT, Command, Param, params
from lnctl.cli.state import State

_SETTINGS = dict(
    name="lnctl",
    help=HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# the global options that take a value: what follows one is not the command
GLOBAL_VALUE_FLAGS = frozenset(f for p in params(GlobalOptions) if p.takes_value for f in p.flags)


def command_word(args: list[str]) -> str | None:
    """The top-level command in ``args`` (after the global options), or None."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return None
        if arg in GLOBAL_VALUE_FLAGS:
            i += 2
            continue
        if not arg.startswith("-"):
            return arg
        i += 1
    return None


def _version(value: bool) -> bool:
    """``--version`` (eager): the version, and the end. The value is returned: click keeps
    what a callback returns as the option's value."""
    if value:
        from lnctl import __version__

        typer.echo(f"lnctl {__version__}")
        raise typer.Exit()
    return value


def _start(ctx: typer.Context, given: GlobalOptions) -> None:
    """The global options: every command's State."""
    ctx.obj = State.build(given)


def _run(command: Command) -> Any:
    """Run ``command``'s action, unless a subcommand of its group was given."""
    action = command.action

    def run(ctx: typer.Context, opts: object) -> None:
        if action is not None and ctx.invoked_subcommand is None:
            action(ctx.obj, opts)

    return run


def _callback(options: type, run: Any, doc: str | None) -> Any:
    """A function Typer reads as it reads a hand-written command: its signature holds the
    declared parameters as Typer options and arguments; called, it builds the options record
    and hands it to ``run(ctx, record)``."""

    def callback(ctx: typer.Context, **values: Any) -> None:
        run(ctx, options(**values))

    signature = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)]
    for param in params(options):
        default, annotation = _typer_param(param)
        signature.append(
            inspect.Parameter(
                param.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
            )
        )
    callback.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    callback.__doc__ = doc
    return callback


def _typer_param(param: Param) -> tuple[Any, Any]:
    """(Typer's declaration, type) of a declared parameter."""
    kinds: dict[str, Any] = {FLAG: bool, INT: int, FLOAT: float}
    kind: Any = Literal[param.choices] if param.kind == CHOICE else kinds.get(param.kind, str)
    if param.optional:
        kind = kind | None
    default = ... if param.required else param.default
    if param.is_argument:
        info = typer.Argument(
            default, help=param.help, metavar=param.metavar, show_default=param.show_default
        )
        return info, kind
    info = typer.Option(
        default,
        *param.flags,
        help=param.help,
        metavar=param.metavar,
        min=param.min,
        max=param.max,
        show_default=param.show_default,
        case_sensitive=param.case_sensitive,
        count=param.count,
        envvar=param.envvar,
        autocompletion=param.complete,
        callback=_version if param.eager else None,
        is_eager=param.eager,
    )
    return info, kind


def _add(parent: typer.Typer, command: Command) -> None:
    """``command`` (and its subcommands) under ``parent``."""
    short = short_help(command.help)
    if not command.subcommands:
        if command.options is not None:
            parent.command(command.name, short_help=short)(
                _callback(command.options, _run(command), command.help)
            )
        return
    if command.options is not None:  # a group that runs its own action without a subcommand
        sub = typer.Typer(
            help=command.help,
            short_help=short,
            invoke_without_command=True,
            subcommand_metavar="[COMMAND [ARGS]...]",  # its options work alone
        )
        sub.callback()(_callback(command.options, _run(command), command.help))
    else:
        sub = typer.Typer(help=command.help, short_help=short, no_args_is_help=True)
    for child in command.subcommands:
        _add(sub, child)
    parent.add_typer(sub, name=command.name)


# Help is plain click formatting (rich_markup_mode=None), yet Typer 0.20 still imports its Rich
# helpers (Rich, its Markdown and markdown-it: 83 ms) for every option with a default, only to
# escape "[" for an HTML export that lnctl never makes; that escape also left a stray backslash
# in the help ("\[default: 0]"). Telling Typer that Rich is absent gives the plain help it
# promises: `lnctl --help` 166 -> ~75 ms. Typer is pinned (pyproject.toml), so this is checked
# against the version we run, and a test reads the help.
typer.core.HAS_RICH = False


def needed(args: list[str]) -> tuple[str, ...]:
    """The top-level commands ``args`` needs declared: the one it runs, or all of them when
    that is not known (``--help``, an unknown command) or the shell asks for completions."""
    word = command_word(args)
    if word in NAMES and not os.environ.get("_LNCTL_COMPLETE"):
        return (word,)
    return NAMES


def build(args: list[str] | None = None) -> typer.Typer:
    """The application with the commands ``args`` needs (``needed``)."""
    app = typer.Typer(**_SETTINGS)  # type: ignore[arg-type]
    app.callback()(_callback(GlobalOptions, _start, None))
    for name in needed(args or []):
        _add(app, declared(name))
    return app


def short_help(text: str) -> str:
    """A command's line in its group's list of commands: the first sentence of its help,
    whole (click would cut it to the terminal's width, mid-sentence)."""
    first = " ".join(text.split()).split(". ")[0]
    return first.removesuffix(".")


def get_command(args: list[str] | None = None) -> Any:
    command = typer.main.get_command(build(args))
    # Typer lists commands before groups; lnctl --help lists them in the order of NAMES
    listed = command.commands  # type: ignore[attr-defined]
    command.commands = {name: listed[name] for name in NAMES if name in listed}  # type: ignore[attr-defined]
    return command
