"""``lnctl simulate invoice|pay``: the simulated network's side of payments."""

from __future__ import annotations

from typing import Annotated, Any

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
    from lnctl.cli.output import deliver, plain_line
    from lnctl.core.simulate import remote_invoices

    with ctx.obj.wallet() as wallet:
        docs = remote_invoices(
            wallet, amount * 1000 if amount else None, description, expiry, count
        )
    result: Any = docs if count > 1 else docs[0]

    def render(d: Any) -> None:
        for item in d if isinstance(d, list) else [d]:
            plain_line(item["invoice"])

    deliver(result, as_json, render)


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
    from lnctl.cli.actions import read_stdin_invoice
    from lnctl.cli.output import deliver
    from lnctl.core.simulate import incoming

    text = invoice if invoice is not None else read_stdin_invoice()
    with ctx.obj.wallet() as wallet:
        doc = incoming(wallet, text, amount * 1000 if amount else None)

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import kv_table, msat, show

        show(
            kv_table(
                [
                    ("status", d["status"]),
                    ("received", msat(d["amount_msat"])),
                    ("payment hash", d["payment_hash"]),
                    ("channel", d["channel_id"]),
                ]
            )
        )

    deliver(doc, as_json, render)
