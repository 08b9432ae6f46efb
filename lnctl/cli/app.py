"""The Typer application: global options and the command modules, wired together.

Only the module of the command being run is imported and built (building every command costs
about 35 ms of each start); help, completion and an unknown command get all of them.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Annotated, Any

import typer
import typer.core

from lnctl.cli.state import State
from lnctl.config import BACKENDS, NETWORKS

# top-level command -> the module in lnctl.cli.commands that declares it
MODULES = {
    "info": "info",
    "decode": "info",
    "invoice": "invoice",
    "invoices": "invoice",
    "pay": "pay",
    "payments": "pay",
    "lookup": "pay",
    "channel": "channel",
    "simulate": "simulate",
    "memo": "memo",
    "metrics": "metrics",
    "serve-metrics": "metrics",
    "demo": "demo",
    "config": "config",
}
GLOBAL_VALUE_OPTIONS = ("--home", "--backend", "--network", "--log-format")

_SETTINGS = dict(
    name="lnctl",
    help="A scriptable Lightning Network wallet. Every command takes --json; exit codes are "
    "documented in the README (0 ok, 1 internal/storage, 2 invalid input, 3 payment failed, "
    "4 failed after retries, 5 duplicate, 6 pending, 130 interrupted).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def command_word(args: list[str]) -> str | None:
    """The top-level command in ``args`` (after the global options), or None."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return None
        if arg in GLOBAL_VALUE_OPTIONS:
            i += 2
            continue
        if not arg.startswith("-"):
            return arg
        i += 1
    return None


def _version(value: bool) -> None:
    if value:
        from lnctl import __version__

        typer.echo(f"lnctl {__version__}")
        raise typer.Exit()


def main(
    ctx: typer.Context,
    home: Annotated[
        str | None,
        typer.Option(
            "--home",
            help="Wallet folder (default LNCTL_HOME, else ~/.lnctl).",
            show_default=False,
        ),
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="simulated (default), lnbits or lightspark "
            "(default LNCTL_BACKEND, else config.toml).",
            show_default=False,
            autocompletion=lambda: list(BACKENDS),
        ),
    ] = None,
    network: Annotated[
        str | None,
        typer.Option(
            "--network",
            help="The wallet's network (default LNCTL_NETWORK, else config.toml, else regtest; "
            "bitcoin on LNbits).",
            show_default=False,
            autocompletion=lambda: list(NETWORKS),
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, help="More log output on stderr (-v info, -vv debug)."
        ),
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    log_format: Annotated[str, typer.Option("--log-format", help="text or json.")] = "text",
    traceback: Annotated[
        bool,
        typer.Option("--traceback", help="Show the real traceback of an error (or LNCTL_DEBUG=1)."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """lnctl: a scriptable Lightning wallet."""
    ctx.obj = State.build(
        home=home,
        backend=backend,
        network=network,
        verbose=verbose,
        quiet=quiet,
        log_format=log_format,
    )


# Help is plain click formatting (rich_markup_mode=None), yet Typer 0.20 still imports its Rich
# helpers (Rich, its Markdown and markdown-it: 83 ms) for every option with a default, only to
# escape "[" for an HTML export that lnctl never makes; that escape also left a stray backslash
# in the help ("\[default: 0]"). Telling Typer that Rich is absent gives the plain help it
# promises: `lnctl --help` 166 -> ~75 ms. Typer is pinned (pyproject.toml), so this is checked
# against the version we run, and a test reads the help.
typer.core.HAS_RICH = False


def build(args: list[str] | None = None) -> typer.Typer:
    """The application with the command ``args`` runs (all commands when that is not known,
    or when the shell asks for completions)."""
    app = typer.Typer(**_SETTINGS)  # type: ignore[arg-type]
    app.callback()(main)
    word = command_word(args or [])
    if word in MODULES and not os.environ.get("_LNCTL_COMPLETE"):
        names = [MODULES[word]]
    else:
        names = list(dict.fromkeys(MODULES.values()))
    for name in names:
        import_module(f"lnctl.cli.commands.{name}").register(app)
    return app


def get_command(args: list[str] | None = None) -> Any:
    return typer.main.get_command(build(args))
