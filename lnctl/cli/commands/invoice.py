"""``lnctl invoice`` (create), ``lnctl invoices`` (list)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from lnctl.bolt11 import DEFAULT_EXPIRY
from lnctl.cli.options import CursorOption, JsonOption, LimitOption, MemoFileOption


class Network(StrEnum):
    bitcoin = "bitcoin"
    testnet = "testnet"
    signet = "signet"
    regtest = "regtest"


class InvoiceStatus(StrEnum):
    open = "open"
    settled = "settled"
    expired = "expired"


invoice_app = typer.Typer(
    help="Create a BOLT 11 invoice (the options below), or wait for one to be paid (wait).",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(invoice_app, name="invoice")
    app.command("invoices")(invoices)


@invoice_app.callback()
def invoice(
    ctx: typer.Context,
    amount: Annotated[
        int | None,
        typer.Option("--amount", metavar="SATS", min=1, help="Amount in sats.", show_default=False),
    ] = None,
    amount_msat_: Annotated[
        int | None,
        typer.Option(
            "--amount-msat", metavar="MSAT", min=1, help="Amount in msat.", show_default=False
        ),
    ] = None,
    description: Annotated[
        str | None,
        typer.Option("--description", help="Public description (BOLT 11 'd').", show_default=False),
    ] = None,
    memo: Annotated[
        str | None,
        typer.Option(
            "--memo",
            help="Private note, stored encrypted; never in the invoice. Visible to other local "
            "users (ps) while lnctl runs: --memo-file keeps it off the command line.",
            show_default=False,
        ),
    ] = None,
    memo_file: MemoFileOption = None,
    expiry: Annotated[
        int, typer.Option("--expiry", metavar="SECONDS", min=1, help="Seconds until it expires.")
    ] = DEFAULT_EXPIRY,
    network: Annotated[
        Network | None,
        typer.Option(
            "--network",
            help="Network of the invoice (default: the wallet's, regtest).",
            show_default=False,
        ),
    ] = None,
    qr: Annotated[bool, typer.Option("--qr", help="Also show a QR code.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a BOLT 11 invoice (the node issues it). Omit the amount for an amountless
    invoice. `lnctl invoice wait HASH` waits for one to be paid."""
    if ctx.invoked_subcommand is not None:
        return
    from lnctl.cli.actions import invoice_action

    invoice_action(
        ctx.obj,
        amount=amount,
        amount_msat_=amount_msat_,
        description=description,
        memo=memo,
        memo_file=memo_file,
        expiry=expiry,
        network=network.value if network else None,
        qr=qr,
        as_json=as_json,
    )


@invoice_app.command("wait")
def wait(
    ctx: typer.Context,
    payment_hash: Annotated[
        str, typer.Argument(metavar="PAYMENT_HASH", help="64 hex characters.", show_default=False)
    ],
    timeout: Annotated[
        float,
        typer.Option("--timeout", metavar="SECONDS", min=0.001, help="Seconds to wait at most."),
    ] = 300.0,
    as_json: JsonOption = False,
) -> None:
    """Wait until the invoice is paid (exit 0, the settlement), expired (exit 2) or --timeout
    has passed (exit 6)."""
    from lnctl.cli.actions import invoice_wait_action

    invoice_wait_action(ctx.obj, payment_hash, timeout, as_json)


def invoices(
    ctx: typer.Context,
    status: Annotated[
        InvoiceStatus | None,
        typer.Option("--status", help="Only these.", show_default=False, case_sensitive=False),
    ] = None,
    limit: LimitOption = 50,
    cursor: CursorOption = None,
    as_json: JsonOption = False,
) -> None:
    """List invoices, newest first, memos decrypted."""
    from lnctl.cli.actions import invoices_action

    invoices_action(ctx.obj, status.value if status else None, limit, cursor, as_json)
