"""``lnctl simulate invoice|pay``: the simulated network's side of payments."""

from __future__ import annotations

from lnctl.bolt11 import DEFAULT_EXPIRY
from lnctl.cli.commands import JSON
from lnctl.cli.declare import argument, command, group, option, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any

    from lnctl.cli.state import State


@options
class PeerInvoiceOptions:
    amount: int | None = option(
        "--amount",
        default=None,
        metavar="SATS",
        min=1,
        show_default=False,
        help="Sats (omit for an amountless invoice).",
    )
    description: str = option("--description", default="", help="Public description.")
    description_hash: str | None = option(
        "--description-hash",
        default=None,
        metavar="HEX",
        show_default=False,
        help="SHA-256 (64 hex digits) of the description instead of it (as an LNURL-pay "
        "service's invoices carry its metadata's).",
    )
    expiry: int = option(
        "--expiry", default=DEFAULT_EXPIRY, metavar="SECONDS", min=1, help="Seconds."
    )
    count: int = option("--count", default=1, metavar="N", min=1, max=10000, help="How many.")
    as_json: bool = JSON


@command("invoice", PeerInvoiceOptions)
def invoice(state: State, opts: PeerInvoiceOptions) -> None:
    """Invoices issued by the simulated peer: paying one moves amount + fee to the remote side.
    With --count, JSON is a list."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.simulate import remote_invoices

    with state.wallet() as wallet:
        docs = remote_invoices(
            wallet,
            opts.amount * 1000 if opts.amount else None,
            opts.description,
            opts.expiry,
            opts.count,
            opts.description_hash,
        )
    result: Any = docs if opts.count > 1 else docs[0]
    deliver(result, opts.as_json, render.invoice_lines)


@options
class IncomingOptions:
    invoice: str | None = argument(
        default=None,
        show_default=False,
        help="One of this wallet's invoices (stdin when omitted).",
    )
    amount: int | None = option(
        "--amount",
        default=None,
        metavar="SATS",
        min=1,
        show_default=False,
        help="Sats, for an amountless invoice.",
    )
    as_json: bool = JSON


@command("pay", IncomingOptions)
def pay(state: State, opts: IncomingOptions) -> None:
    """The simulated network pays one of our invoices: remote to local, the invoice SETTLED."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.simulate import incoming

    text = opts.invoice
    if text is None:
        from lnctl.cli.inputs import read_stdin_invoice

        text = read_stdin_invoice()
    with state.wallet() as wallet:
        doc = incoming(wallet, text, opts.amount * 1000 if opts.amount else None)
    deliver(doc, opts.as_json, render.received)


COMMAND = group(
    "simulate",
    help="Act as the simulated network (simulated backend only).",
    subcommands=(invoice, pay),
)
