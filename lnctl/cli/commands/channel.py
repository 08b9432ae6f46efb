"""``lnctl channel open|close|list|balance``."""

from __future__ import annotations

from typing import Annotated, Any

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
    from lnctl.cli.output import deliver
    from lnctl.core.channels import open_channel

    with ctx.obj.wallet() as wallet:
        doc = open_channel(wallet, peer, capacity * 1000, push * 1000)
    deliver(doc, as_json, lambda d: _render_channels({"channels": [d]}))


@channel_app.command("close")
def close(
    ctx: typer.Context,
    channel_id: Annotated[
        str, typer.Argument(metavar="CHANNEL_ID", help="The channel id (see channel list).")
    ],
    as_json: JsonOption = False,
) -> None:
    """Close a channel (refused while HTLCs are in flight on it)."""
    from lnctl.cli.output import deliver
    from lnctl.core.channels import close_channel

    with ctx.obj.wallet() as wallet:
        doc = close_channel(wallet, channel_id)
    deliver(doc, as_json, lambda d: _render_channels({"channels": [d]}))


@channel_app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List channels with a local|remote liquidity bar."""
    from lnctl.cli.output import deliver
    from lnctl.core.channels import list_channels

    with ctx.obj.wallet() as wallet:
        doc = list_channels(wallet)
    deliver(doc, as_json, _render_channels)


@channel_app.command("balance")
def balance(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Local, remote, in-flight and spendable balance over all open channels."""
    from lnctl.cli.output import deliver
    from lnctl.core.channels import balance as core_balance

    with ctx.obj.wallet() as wallet:
        doc = core_balance(wallet)

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import kv_table, msat, show

        show(
            kv_table(
                [
                    ("local", msat(d["local_msat"])),
                    ("remote", msat(d["remote_msat"])),
                    ("in flight", msat(d["inflight_msat"])),
                    ("spendable", msat(d["spendable_msat"])),
                    ("receivable", msat(d["receivable_msat"])),
                    (
                        "channel reserves",
                        f"{msat(d['reserve_msat'])} (kept on each side of a channel: "
                        "neither spendable nor receivable)",
                    ),
                    ("open channels", d["open_channels"]),
                ]
            )
        )

    deliver(doc, as_json, render)


BAR_WIDTH = 24


def liquidity_bar(local: int, inflight: int, capacity: int) -> Any:
    """local | in flight | remote, in BAR_WIDTH cells (remote is the rest of the capacity)."""
    from rich.text import Text

    if capacity <= 0:
        return Text("")
    n_local = round(BAR_WIDTH * local / capacity)
    n_inflight = round(BAR_WIDTH * inflight / capacity)
    n_remote = max(0, BAR_WIDTH - n_local - n_inflight)
    bar = Text()
    bar.append("█" * n_local, style="green")
    bar.append("▒" * n_inflight, style="yellow")
    bar.append("░" * n_remote, style="blue")
    return bar


def _render_channels(d: dict[str, Any]) -> None:
    from lnctl.cli.output import console, msat, table, text

    t = table()
    for col in (
        "channel",
        "peer",
        "state",
        "local",
        "liquidity local|remote",
        "remote",
        "in flight",
        "capacity",
    ):
        t.add_column(col)
    for ch in d["channels"]:
        t.add_row(
            text(ch["channel_id"]),
            text(ch["peer"][:16] + ".."),
            ch["state"],
            msat(ch["local_msat"]),
            liquidity_bar(ch["local_msat"], ch["inflight_msat"], ch["capacity_msat"]),
            msat(ch["remote_msat"]),
            msat(ch["inflight_msat"]),
            msat(ch["capacity_msat"]),
        )
    console().print(t)
