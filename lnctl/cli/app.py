"""The Typer application: global options and the command modules, wired together."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lnctl.cli.commands import (
    channel,
    config,
    demo,
    info,
    invoice,
    memo,
    metrics,
    pay,
    simulate,
)
from lnctl.cli.state import State
from lnctl.config import BACKENDS, NETWORKS

app = typer.Typer(
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


def _version(value: bool) -> None:
    if value:
        from lnctl import __version__

        typer.echo(f"lnctl {__version__}")
        raise typer.Exit()


@app.callback()
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
            help="simulated (default) or lnbits (default LNCTL_BACKEND, else config.toml).",
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


for module in (info, invoice, pay, channel, simulate, memo, metrics, demo, config):
    module.register(app)


def get_command() -> Any:
    return typer.main.get_command(app)
