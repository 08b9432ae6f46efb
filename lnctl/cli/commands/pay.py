"""``lnctl pay``, ``lnctl payments``, ``lnctl lookup``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from lnctl.cli.options import CursorOption, JsonOption, LimitOption, MemoFileOption


class PaymentStatus(StrEnum):
    succeeded = "succeeded"
    failed = "failed"
    in_flight = "in_flight"
    needs_attention = "needs_attention"


class IfPaid(StrEnum):
    error = "error"
    ok = "ok"


def register(app: typer.Typer) -> None:
    app.command("pay")(pay)
    app.command("payments")(payments)
    app.command("lookup")(lookup)


def pay(
    ctx: typer.Context,
    invoice: Annotated[
        str | None,
        typer.Argument(
            help="BOLT 11 invoice (read from stdin when "
            "omitted: the first invoice found, or a JSON document's 'invoice').",
            show_default=False,
        ),
    ] = None,
    amount: Annotated[
        int | None,
        typer.Option(
            "--amount",
            metavar="SATS",
            min=1,
            help="Sats, for an invoice without an amount only.",
            show_default=False,
        ),
    ] = None,
    max_fee: Annotated[
        int | None,
        typer.Option(
            "--max-fee",
            metavar="SATS",
            min=0,
            help="Fee cap in sats (default: the larger of 5 sat and 1% of the amount).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            min=0.001,
            help="Seconds for the whole payment (default 30, or timeout_s in config.toml).",
            show_default=False,
        ),
    ] = None,
    retries: Annotated[
        int, typer.Option("--retries", metavar="N", min=1, help="Attempts in all.")
    ] = 3,
    induce_failure: Annotated[
        int,
        typer.Option(
            "--induce-failure",
            min=0,
            metavar="[N]",
            show_default=False,
            help="Make the first N attempts fail with a temporary channel failure (simulated "
            "node; N defaults to 1 when left out).",
        ),
    ] = 0,
    if_paid: Annotated[
        IfPaid,
        typer.Option(
            "--if-paid", help="Already paid: 'error' exits 5, 'ok' exits 0 with the stored result."
        ),
    ] = IfPaid.error,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report what would happen; move nothing.")
    ] = False,
    memo: Annotated[
        str | None,
        typer.Option(
            "--memo",
            help="Private note, stored encrypted (visible to ps: see --memo-file).",
            show_default=False,
        ),
    ] = None,
    memo_file: MemoFileOption = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            help="Pay every invoice in PATH ('-': stdin), one per line ('INVOICE [AMOUNT_SAT]'; "
            "blank lines and # comments ignored).",
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", metavar="N", min=1, max=256, help="--file: payments in flight."
        ),
    ] = 4,
    rate_limit: Annotated[
        float | None,
        typer.Option(
            "--rate-limit",
            metavar="PER_SECOND",
            min=0.001,
            help="--file: payment starts per second.",
            show_default=False,
        ),
    ] = None,
    jsonl: Annotated[
        bool,
        typer.Option(
            "--jsonl", help="--file: one JSON line per payment as it ends, then the summary."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Pay a BOLT 11 invoice, safely: strict validation, fee cap, retries for transient
    failures only, a timeout, proof of payment, never twice. With --file, many at once."""
    from lnctl.cli.actions import pay_action

    pay_action(
        ctx.obj,
        invoice,
        amount=amount,
        max_fee=max_fee,
        timeout=timeout,
        retries=retries,
        induce_failure=induce_failure,
        if_paid=if_paid.value,
        dry_run=dry_run,
        memo=memo,
        memo_file=memo_file,
        file=file,
        concurrency=concurrency,
        rate_limit=rate_limit,
        jsonl=jsonl,
        as_json=as_json,
    )


def payments(
    ctx: typer.Context,
    status: Annotated[
        PaymentStatus | None,
        typer.Option("--status", help="Only these.", show_default=False, case_sensitive=False),
    ] = None,
    limit: LimitOption = 50,
    cursor: CursorOption = None,
    as_json: JsonOption = False,
) -> None:
    """List payments, newest first."""
    from lnctl.cli.actions import payments_action

    payments_action(ctx.obj, status.value if status else None, limit, cursor, as_json)


def lookup(
    ctx: typer.Context,
    payment_hash: Annotated[str, typer.Argument(metavar="PAYMENT_HASH", help="64 hex characters.")],
    as_json: JsonOption = False,
) -> None:
    """Show the invoice and/or payment with this payment hash, and its state."""
    from lnctl.cli.actions import lookup_action

    lookup_action(ctx.obj, payment_hash, as_json)
