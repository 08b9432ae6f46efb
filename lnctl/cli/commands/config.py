"""``lnctl config show``: the effective settings and where each came from."""

from __future__ import annotations

import typer

from lnctl.cli.options import JsonOption

config_app = typer.Typer(
    help="Settings: options, then environment, then $LNCTL_HOME/config.toml, then defaults.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


@config_app.command("show")
def show(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print the effective settings and where each came from (never a secret)."""
    from lnctl.cli.actions import config_show_action

    config_show_action(ctx.obj, as_json)
