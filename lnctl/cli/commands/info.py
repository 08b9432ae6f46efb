"""``lnctl info``: the node, the wallet and where it lives."""

from __future__ import annotations

from lnctl.cli.commands import JSON
from lnctl.cli.declare import command, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.cli.state import State


@options
class InfoOptions:
    as_json: bool = JSON


@command("info", InfoOptions)
def info(state: State, opts: InfoOptions) -> None:
    """Show the node id (public key), wallet name, balance, network, backend, home and
    version."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.queries import node_info

    with state.wallet() as wallet:
        doc = node_info(wallet)
    deliver(doc, opts.as_json, render.info)


COMMAND = info
