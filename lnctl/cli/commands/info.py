"""``lnctl info`` and ``lnctl decode``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lnctl.cli.options import JsonOption


def register(app: typer.Typer) -> None:
    app.command("info")(info)
    app.command("decode")(decode)


def info(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the node id (public key), network, backend, home and version."""
    from lnctl import __version__
    from lnctl.cli.output import console, deliver, kv_table

    state = ctx.obj
    with state.wallet() as wallet:
        if wallet.config.backend == "simulated":
            wallet.simulated.check_key()  # the key file is private, sound and this node's
        doc = {
            "node_id": wallet.node_id(),
            "network": wallet.config.network,
            "backend": wallet.config.backend,
            "home": wallet.home,
            "version": __version__,
        }

    def render(d: dict[str, Any]) -> None:
        console().print(kv_table([(k, v) for k, v in d.items()]))

    deliver(doc, as_json, render)


def decode(
    invoice: Annotated[
        str | None,
        typer.Argument(help="BOLT 11 invoice (read from stdin when omitted).", show_default=False),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Decode and verify a BOLT 11 invoice, strictly. Works without a wallet."""
    from lnctl.cli.actions import decode_action

    decode_action(invoice, as_json)
