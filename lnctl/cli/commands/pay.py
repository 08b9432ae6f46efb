"""``lnctl pay``, ``lnctl payments``, ``lnctl lookup``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

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
    if file is not None:
        from lnctl.cli.actions import pay_defaults
        from lnctl.errors import InvalidInputError

        timeout, max_fee = pay_defaults(ctx.obj, timeout, max_fee)

        if invoice is not None or amount is not None or dry_run or memo or memo_file:
            raise InvalidInputError(
                "--file takes the invoices (and amounts) from the file: no INVOICE, --amount, "
                "--dry-run or memo with it",
                code="USAGE",
            )
        pay_batch(
            ctx,
            file,
            concurrency=concurrency,
            rate_limit=rate_limit,
            jsonl=jsonl,
            as_json=as_json,
            pay_options={
                "max_fee_msat": max_fee * 1000 if max_fee is not None else None,
                "timeout_s": timeout,
                "retries": retries,
                "induce_failures": induce_failure,
                "if_paid": if_paid.value,
            },
        )
        return
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
        as_json=as_json,
    )


def pay_batch(
    ctx: typer.Context,
    path: str,
    *,
    concurrency: int,
    rate_limit: float | None,
    jsonl: bool,
    as_json: bool,
    pay_options: dict[str, Any],
) -> None:
    import sys

    from lnctl.cli.output import emit_json, warn, write_out
    from lnctl.core.batch import parse_lines, run_batch
    from lnctl.storage.files import read_input

    lines = parse_lines(read_input(path, 64 << 20, "--file").decode("utf-8", "replace"))
    progress = None
    if not (as_json or jsonl) and sys.stderr is not None and sys.stderr.isatty():
        from rich.progress import Progress

        from lnctl.cli.output import console

        progress = Progress(transient=True, console=console(stderr=True))
        task = progress.add_task("paying", total=len(lines))
        progress.start()

    def on_result(result: dict[str, Any]) -> None:
        if jsonl:
            from lnctl.cli.output import to_json_line

            write_out(to_json_line(result) + "\n")
        if progress is not None:
            progress.advance(task)

    try:
        doc = run_batch(
            ctx.obj.config,
            lines,
            concurrency=concurrency,
            rate_limit=rate_limit,
            pay_options=pay_options,
            on_result=on_result,
        )
    finally:
        if progress is not None:
            progress.stop()
    for message in dict.fromkeys(doc.pop("warnings")):
        warn(message)
    if jsonl:
        from lnctl.cli.output import to_json_line

        write_out(to_json_line({"summary": doc["summary"]}) + "\n")
    elif as_json:
        emit_json(doc)
    else:
        render_batch(doc)
    code = doc["summary"]["exit_code"]
    if code:
        from lnctl.errors import Done

        raise Done(code)


def render_batch(d: dict[str, Any]) -> None:
    from lnctl.cli.output import cell, kv_table, msat, show, table

    t = table()
    for col in ("line", "payment hash", "status", "amount", "fee", "error"):
        t.add_column(col)
    for r in d["payments"]:
        p = r["payment"] or {}
        t.add_row(
            str(r["line"]),
            (p.get("payment_hash") or "")[:16] + ".." if p else "-",
            r["status"],
            msat(p.get("amount_msat")),
            msat(p.get("fee_msat")),
            cell((r["error"] or {}).get("code") or ""),
        )
    show(t)
    s = d["summary"]
    show(
        kv_table(
            [
                ("paid", f"{s['paid']} of {s['total']}"),
                ("failed", s["failed"]),
                ("pending", s["pending"]),
                ("duplicates", s["duplicates"]),
                ("not started", s["not_started"]),
                ("amount", msat(s["amount_msat"])),
                ("fees", msat(s["fees_msat"])),
                ("latency p50/p95/max", "/".join(str(v) for v in s["latency_ms"].values()) + " ms"),
                ("wall time", f"{s['wall_ms']} ms"),
            ],
            title="summary",
        )
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
