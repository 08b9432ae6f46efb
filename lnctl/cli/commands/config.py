"""``lnctl config show``: the effective settings and where each came from."""

from __future__ import annotations

from typing import Any

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
    from lnctl.cli.output import deliver, kv_table
    from lnctl.cli.output import show as show_table
    from lnctl.core.queries import settings_document

    doc = settings_document(ctx.obj.config)

    def render(d: dict[str, Any]) -> None:
        show_table(
            kv_table(
                [(k, f"{v['value']}  ({v['source']})") for k, v in d["settings"].items()],
                title=f"config file: {d['config_file']}" + ("" if d["exists"] else " (none)"),
            )
        )

    deliver(doc, as_json, render)
