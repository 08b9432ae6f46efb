"""``lnctl info`` and ``lnctl decode``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lnctl.cli.options import JsonOption


def register(app: typer.Typer) -> None:
    app.command("info")(info)
    app.command("decode")(decode)


def info(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the node id (public key), wallet name, balance, network, backend, home and
    version."""
    from lnctl.cli.output import deliver, kv_table, msat, show
    from lnctl.core.queries import node_info

    with ctx.obj.wallet() as wallet:
        doc = node_info(wallet)

    def render(d: dict[str, Any]) -> None:
        rows = [(k, msat(v) if k.endswith("_msat") else v) for k, v in d.items()]
        show(kv_table([(k.removesuffix("_msat"), v) for k, v in rows]))

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
