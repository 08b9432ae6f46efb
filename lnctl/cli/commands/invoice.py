"""``lnctl invoice`` (the node creates an invoice) and ``lnctl invoice wait`` (until it is
paid, expired, or the timeout has passed)."""

from __future__ import annotations

from lnctl.bolt11 import DEFAULT_EXPIRY
from lnctl.cli.commands import AMOUNT_MSAT, JSON, MEMO_FILE, PAYMENT_HASH
from lnctl.cli.declare import command, option, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Literal

    from lnctl.cli.state import State


@options
class WaitOptions:
    payment_hash: str = PAYMENT_HASH
    timeout: float = option(
        "--timeout", default=300.0, metavar="SECONDS", min=0.001, help="Seconds to wait at most."
    )
    as_json: bool = JSON


@command("wait", WaitOptions)
def wait(state: State, opts: WaitOptions) -> None:
    """Wait until the invoice is paid (exit 0, the settlement), expired (exit 2) or --timeout
    has passed (exit 6)."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.invoices import check_wait_timeout, wait_invoice
    from lnctl.deadline import Deadline

    check_wait_timeout(opts.timeout)
    deadline = Deadline.after(opts.timeout)  # the whole command's: opening the node, lookups
    with state.wallet(deadline) as wallet:
        doc = wait_invoice(wallet, opts.payment_hash, opts.timeout, deadline)
    deliver(doc, opts.as_json, render.settlement)


@options
class InvoiceOptions:
    amount: int | None = option(
        "--amount", default=None, metavar="SATS", min=1, show_default=False, help="Amount in sats."
    )
    amount_msat: int | None = AMOUNT_MSAT
    description: str | None = option(
        "--description",
        default=None,
        show_default=False,
        help="Public description (BOLT 11 'd').",
    )
    memo: str | None = option(
        "--memo",
        default=None,
        show_default=False,
        help="Private note, stored encrypted; never in the invoice. Visible to other local "
        "users (ps) while lnctl runs: --memo-file keeps it off the command line.",
    )
    memo_file: str | None = MEMO_FILE
    expiry: int = option(
        "--expiry",
        default=DEFAULT_EXPIRY,
        metavar="SECONDS",
        min=1,
        help="Seconds until it expires.",
    )
    network: Literal["bitcoin", "testnet", "signet", "regtest", "mainnet"] | None = option(
        "--network",
        default=None,
        show_default=False,
        help="Network of the invoice (default: the wallet's, regtest; mainnet is bitcoin).",
    )
    qr: bool = option("--qr", default=False, help="Also show a QR code.")
    as_json: bool = JSON


@command("invoice", InvoiceOptions, subcommands=(wait,))
def invoice(state: State, opts: InvoiceOptions) -> None:
    """Create a BOLT 11 invoice (the options below), or wait for one to be paid (wait)."""
    # the node issues the invoice; without an amount it is amountless
    from lnctl.cli import render
    from lnctl.cli.inputs import memo_text
    from lnctl.cli.output import deliver
    from lnctl.core.invoices import create_invoice

    text = memo_text(opts.memo, opts.memo_file)
    with state.wallet() as wallet:
        doc = create_invoice(
            wallet,
            amount_msat=amount_msat(opts.amount, opts.amount_msat),
            description=opts.description,
            memo=text,
            expiry=opts.expiry,
            network="bitcoin" if opts.network == "mainnet" else opts.network,
        )
        warnings = wallet.warnings
    deliver(doc, opts.as_json, lambda d: render.invoice(d, opts.qr), warnings)


COMMAND = invoice


def amount_msat(sats: int | None, msats: int | None) -> int | None:
    """--amount or --amount-msat, in msat."""
    from lnctl.errors import Code, InvalidInputError

    if sats is not None and msats is not None:
        raise InvalidInputError("give --amount or --amount-msat, not both", code=Code.USAGE)
    if sats is not None:
        return sats * 1000
    return msats
