"""``lnctl channel open|close|list|balance``."""

from __future__ import annotations

from typing import Annotated

import typer

from lnctl.cli.options import JsonOption

channel_app = typer.Typer(
    help="Channel liquidity, kept in the JSON channel ledger.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(channel_app, name="channel")


@channel_app.command("open")
def open_(
    ctx: typer.Context,
    peer: Annotated[str, typer.Option("--peer", help="The peer's node id (33-byte hex pubkey).")],
    capacity: Annotated[
        int, typer.Option("--capacity", metavar="SATS", min=1, help="Capacity in sats.")
    ],
    push: Annotated[
        int,
        typer.Option(
            "--push",
            metavar="SATS",
            min=0,
            help="Sats given to the peer at opening (inbound liquidity).",
        ),
    ] = 0,
    as_json: JsonOption = False,
) -> None:
    """Open a channel to a peer."""
    from lnctl.cli.actions import channel_open_action

    channel_open_action(ctx.obj, peer, capacity, push, as_json)


@channel_app.command("close")
def close(
    ctx: typer.Context,
    channel_id: Annotated[
        str, typer.Argument(metavar="CHANNEL_ID", help="The channel id (see channel list).")
    ],
    as_json: JsonOption = False,
) -> None:
    """Close a channel (refused while HTLCs are in flight on it)."""
    from lnctl.cli.actions import channel_close_action

    channel_close_action(ctx.obj, channel_id, as_json)


@channel_app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List channels with a local|remote liquidity bar."""
    from lnctl.cli.actions import channel_list_action

    channel_list_action(ctx.obj, as_json)


@channel_app.command("balance")
def balance(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Local, remote, in-flight and spendable balance over all open channels."""
    from lnctl.cli.actions import channel_balance_action

    channel_balance_action(ctx.obj, as_json)
