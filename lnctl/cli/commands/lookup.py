"""``lnctl lookup``: the invoice and/or payment with a payment hash."""

from __future__ import annotations

from lnctl.cli.commands import JSON, PAYMENT_HASH
from lnctl.cli.declare import command, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.cli.state import State


@options
class LookupOptions:
    payment_hash: str = PAYMENT_HASH
    as_json: bool = JSON


@command("lookup", LookupOptions)
def lookup(state: State, opts: LookupOptions) -> None:
    """Show the invoice and/or payment with this payment hash, and its state."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.queries import lookup as core_lookup

    with state.wallet() as wallet:
        doc = core_lookup(wallet, opts.payment_hash)
        warnings = wallet.warnings
    deliver(doc, opts.as_json, render.lookup, warnings)


COMMAND = lookup
