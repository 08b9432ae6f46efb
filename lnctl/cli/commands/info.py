"""``lnctl info`` and ``lnctl decode``."""

from __future__ import annotations

from typing import Annotated

import typer

from lnctl.cli.options import JsonOption


def register(app: typer.Typer) -> None:
    app.command("info")(info)
    app.command("decode")(decode)


def info(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the node id (public key), wallet name, balance, network, backend, home and
    version."""
    from lnctl.cli.actions import info_action

    info_action(ctx.obj, as_json)


def decode(
    invoice: Annotated[
        str | None,
        typer.Argument(help="BOLT 11 invoice (read from stdin when omitted).", show_default=False),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Decode and verify a BOLT 11 invoice, strictly. Works without a wallet."""
    from lnctl.cli.actions import decode_action

    decode_action(None, invoice, as_json)
