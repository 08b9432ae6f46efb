"""``lnctl channel open|close|list|balance``: the simulated node's channels."""

from __future__ import annotations

from lnctl.cli.commands import JSON
from lnctl.cli.declare import argument, command, group, option, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.cli.state import State


@options
class OpenOptions:
    peer: str = option("--peer", help="The peer's node id (33-byte hex pubkey).")
    capacity: int = option(
        "--capacity", metavar="SATS", min=1, help="Capacity in sats (at least 20,000)."
    )
    push: int = option(
        "--push",
        default=0,
        metavar="SATS",
        min=0,
        help="Sats given to the peer at opening (inbound liquidity).",
    )
    as_json: bool = JSON


@command("open", OpenOptions)
def open_(state: State, opts: OpenOptions) -> None:
    """Open a channel to a peer."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.channels import open_channel

    with state.wallet() as wallet:
        doc = open_channel(wallet, opts.peer, opts.capacity * 1000, opts.push * 1000)
    deliver(doc, opts.as_json, render.channel)


@options
class CloseOptions:
    channel_id: str = argument(metavar="CHANNEL_ID", help="The channel id (see channel list).")
    as_json: bool = JSON


@command("close", CloseOptions)
def close(state: State, opts: CloseOptions) -> None:
    """Close a channel (refused while HTLCs are in flight on it)."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.channels import close_channel

    with state.wallet() as wallet:
        doc = close_channel(wallet, opts.channel_id)
    deliver(doc, opts.as_json, render.channel)


@options
class ListOptions:
    as_json: bool = JSON


@command("list", ListOptions)
def list_(state: State, opts: ListOptions) -> None:
    """List channels with a local|remote liquidity bar."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.channels import list_channels

    with state.wallet() as wallet:
        doc = list_channels(wallet)
    deliver(doc, opts.as_json, render.channels)


@options
class BalanceOptions:
    as_json: bool = JSON


@command("balance", BalanceOptions)
def balance(state: State, opts: BalanceOptions) -> None:
    """Local, remote, in-flight and spendable balance over all open channels."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.channels import balance as core_balance

    with state.wallet() as wallet:
        doc = core_balance(wallet)
    deliver(doc, opts.as_json, render.balance)


COMMAND = group(
    "channel",
    help="Channel liquidity, kept in the JSON channel ledger.",
    subcommands=(open_, close, list_, balance),
)
