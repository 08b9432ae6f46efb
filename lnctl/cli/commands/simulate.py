"""``lnctl simulate invoice|pay``: the simulated network's side of payments."""

from __future__ import annotations

from typing import Annotated

import typer

from lnctl.cli.options import JsonOption

simulate_app = typer.Typer(
    help="Act as the simulated network (simulated backend only).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(simulate_app, name="simulate")


@simulate_app.command("invoice")
def invoice(
    ctx: typer.Context,
    amount: Annotated[
        int | None,
        typer.Option(
            "--amount",
            metavar="SATS",
            min=1,
            help="Sats (omit for an amountless invoice).",
            show_default=False,
        ),
    ] = None,
    description: Annotated[str, typer.Option("--description", help="Public description.")] = "",
    expiry: Annotated[
        int, typer.Option("--expiry", metavar="SECONDS", min=1, help="Seconds.")
    ] = 3600,
    count: Annotated[
        int, typer.Option("--count", metavar="N", min=1, max=10000, help="How many.")
    ] = 1,
    as_json: JsonOption = False,
) -> None:
    """Invoices issued by the simulated peer: paying one moves amount + fee to the remote side.
    With --count, JSON is a list."""
    from lnctl.cli.actions import simulate_invoice_action

    simulate_invoice_action(ctx.obj, amount, description, expiry, count, as_json)


@simulate_app.command("pay")
def pay(
    ctx: typer.Context,
    invoice: Annotated[
        str | None,
        typer.Argument(
            help="One of this wallet's invoices (stdin when omitted).", show_default=False
        ),
    ] = None,
    amount: Annotated[
        int | None,
        typer.Option(
            "--amount",
            metavar="SATS",
            min=1,
            help="Sats, for an amountless invoice.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The simulated network pays one of our invoices: remote to local, the invoice SETTLED."""
    from lnctl.cli.actions import simulate_pay_action

    simulate_pay_action(ctx.obj, invoice, amount, as_json)
