"""``lnctl demo``: the original demo, for real."""

from __future__ import annotations

from typing import Any

import typer

from lnctl.cli.options import JsonOption


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Create a 100,000-sat invoice with memo "demo", pay it with one induced temporary
    failure so the retry shows, then print the result and the metrics."""
    from lnctl.cli.output import console, deliver, kv_table, msat, show
    from lnctl.core.demo import run_demo

    with ctx.obj.wallet() as wallet:
        doc = run_demo(wallet)
        warnings = wallet.warnings

    def render(d: dict[str, Any]) -> None:
        out = console()
        inv, pay = d["invoice"], d["payment"]
        out.print(
            "[bold]1. invoice[/bold] (signed by this wallet's node key, memo stored encrypted)"
        )
        out.print(inv["invoice"], soft_wrap=True, markup=False)
        out.print(
            f"[bold]2. pay[/bold] with an induced temporary channel failure on the first "
            f"attempt: {pay['attempts']} attempts"
        )
        show(
            kv_table(
                [
                    ("status", pay["status"]),
                    ("amount", msat(pay["amount_msat"])),
                    ("fee", msat(pay["fee_msat"])),
                    ("latency", f"{pay['latency_ms']} ms"),
                    ("preimage", pay["preimage"]),
                    ("proof", "sha256(preimage) == payment_hash" if d["proof_ok"] else "MISMATCH"),
                ]
            )
        )
        out.print("[bold]3. metrics[/bold]")
        out.print(d["metrics"], markup=False, highlight=False)

    deliver(doc, as_json, render, warnings)
    if doc["payment"]["status"] != "SUCCEEDED":
        raise typer.Exit(3)
