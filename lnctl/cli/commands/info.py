"""``lnctl info`` and ``lnctl decode``."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from lnctl.cli.options import JsonOption


def register(app: typer.Typer) -> None:
    app.command("info")(info)
    app.command("decode")(decode)


def info(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the node id (public key), network, backend, home and version."""
    from lnctl import __version__
    from lnctl.cli.output import deliver, kv_table, console

    state = ctx.obj
    with state.wallet() as wallet:
        doc = {
            "node_id": wallet.node_key.node_id,
            "network": wallet.config.network,
            "backend": wallet.config.backend,
            "home": wallet.home,
            "version": __version__,
        }

    def render(d: dict[str, Any]) -> None:
        console().print(kv_table([(k, v) for k, v in d.items()]))

    deliver(doc, as_json, render)


def read_stdin_invoice() -> str:
    from lnctl.core.payments import read_invoice_from_text
    from lnctl.errors import InvalidInputError

    if sys.stdin is None or sys.stdin.isatty():
        raise InvalidInputError("no invoice given", code="NO_INVOICE",
                                hint="pass it as an argument or pipe it in")
    return read_invoice_from_text(sys.stdin.read(1 << 20))


def decode(
    invoice: Annotated[str | None, typer.Argument(help="BOLT 11 invoice (read from stdin "
                                                  "when omitted).", show_default=False)] = None,
    as_json: JsonOption = False,
) -> None:
    """Decode and verify a BOLT 11 invoice, strictly. Works without a wallet."""
    from lnctl.cli.output import deliver
    from lnctl.core.decode import decode_document

    doc = decode_document(invoice if invoice is not None else read_stdin_invoice())
    deliver(doc, as_json, render_decoded)


def render_decoded(d: dict[str, Any]) -> None:
    from lnctl.cli.output import console, kv_table, msat

    rows: list[tuple[str, object]] = [
        ("network", d["network"]),
        ("amount", msat(d["amount_msat"]) if d["amount_msat"] is not None else "any amount"),
        ("payee", d["payee"]),
        ("payment hash", d["payment_hash"]),
        ("payment secret", d["payment_secret"]),
    ]
    if d["description_hash"] is not None:
        rows.append(("description hash", d["description_hash"]))
    else:
        rows.append(("description", d["description"]))
    rows += [
        ("created", d["timestamp"]),
        ("expires at", f"{d['expires_at']}{' (expired)' if d['expired'] else ''}"),
        ("min final cltv", d["min_final_cltv_expiry"]),
        ("features", ", ".join(f"{v['name']}({k})" for k, v in d["features"].items())),
    ]
    for i, hops in enumerate(d["route_hints"]):
        rows.append((f"route hint {i + 1}", " -> ".join(
            f"{h['pubkey'][:16]}.. {h['short_channel_id']}" for h in hops)))
    if d["fallback_addresses"]:
        rows.append(("fallback", ", ".join(d["fallback_addresses"])))
    if d["metadata"]:
        rows.append(("metadata", d["metadata"]))
    console().print(kv_table(rows, title="BOLT 11 invoice"))
