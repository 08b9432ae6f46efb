"""Bodies of the commands that shell scripts call most, free of Typer so that the fast path
(``lnctl.cli.fast``) and the Typer commands run the very same code. The fast path finds the body
of a command by its name: ``channel list`` is ``channel_list_action(state, *arguments,
**options)``, with the parameter names of the command's Typer declaration."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from lnctl.cli.state import State
    from lnctl.core.documents import BatchLineDocument
    from lnctl.core.payments import PayOptions
    from lnctl.core.wallet import Wallet


def read_stdin_invoice() -> str:
    from lnctl.errors import InvalidInputError

    if sys.stdin is None or sys.stdin.isatty():
        raise InvalidInputError(
            "no invoice given", code="NO_INVOICE", hint="pass it as an argument or pipe it in"
        )
    from lnctl.storage.files import read_input

    raw = read_input("-", MAX_STDIN_BYTES, "the invoice on stdin")
    return read_invoice_from_text(raw.decode("utf-8", "replace"))


MAX_STDIN_BYTES = 1 << 20  # an invoice piped in: more is refused, never read in part
MAX_BATCH_BYTES = 64 << 20  # pay --file: more is refused, never read in part


def read_invoice_from_text(text: str) -> str:
    """The invoice in piped input: a JSON document's ``invoice`` field, or the first BOLT 11
    string found in the text."""
    import json
    import re

    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except (ValueError, RecursionError):
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("invoice"), str):
            return str(doc["invoice"])
    match = re.search(
        r"(?<![0-9A-Za-z])ln(?:bcrt|bc|tbs|tb)[0-9a-z]*1[02-9ac-hj-np-z]{6,}"
        r"|(?<![0-9A-Za-z])LN(?:BCRT|BC|TBS|TB)[0-9A-Z]*1[02-9AC-HJ-NP-Z]{6,}",
        text,
    )
    if match is None:
        from lnctl.errors import InvalidInvoiceError

        raise InvalidInvoiceError(
            "no BOLT 11 invoice found in the input",
            code="NO_INVOICE",
            hint="pass the invoice as an argument",
        )
    return match.group(0)


def decode_action(state: State | None, invoice: str | None, as_json: bool) -> None:
    """``lnctl decode`` (no wallet: ``state`` is not used)."""
    from lnctl.cli.output import deliver
    from lnctl.core.decode import decode_document

    doc = decode_document(invoice if invoice is not None else read_stdin_invoice())
    deliver(doc, as_json, render_decoded)


def render_decoded(d: dict[str, Any]) -> None:
    from lnctl.cli.output import kv_table, msat, show, when

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
        ("created", when(d["timestamp"])),
        ("expires at", f"{when(d['expires_at'])}{' (expired)' if d['expired'] else ''}"),
        ("min final cltv", d["min_final_cltv_expiry"]),
        ("features", ", ".join(f"{v['name']}({k})" for k, v in d["features"].items())),
    ]
    for i, hops in enumerate(d["route_hints"]):
        rows.append(
            (
                f"route hint {i + 1}",
                " -> ".join(f"{h['pubkey'][:16]}.. {h['short_channel_id']}" for h in hops),
            )
        )
    if d["fallback_addresses"]:
        rows.append(("fallback", ", ".join(d["fallback_addresses"])))
    if d["metadata"]:
        rows.append(("metadata", d["metadata"]))
    show(kv_table(rows, title="BOLT 11 invoice"))


def memo_text(memo: str | None, memo_file: str | None, *, stdin_taken: bool = False) -> str | None:
    """The memo from --memo or --memo-file (UTF-8; one trailing newline dropped)."""
    from lnctl.errors import InvalidInputError

    if memo_file is None:
        return memo
    if memo is not None:
        raise InvalidInputError("give --memo or --memo-file, not both", code="USAGE")
    if memo_file == "-" and stdin_taken:
        raise InvalidInputError(
            "stdin cannot be both the invoice and the memo",
            code="USAGE",
            hint="pass the invoice as an argument, or the memo in a file",
        )
    from lnctl.core.invoices import MAX_MEMO_BYTES
    from lnctl.storage.files import read_input

    # one trailing newline is dropped below: it does not count
    raw = read_input(memo_file, MAX_MEMO_BYTES + 1, "--memo-file", too_large="MEMO_TOO_LONG")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("the memo file is not UTF-8 text", code="INVALID_TEXT") from None
    return text[:-1] if text.endswith("\n") else text


def amount_msat(sats: int | None, msats: int | None) -> int | None:
    from lnctl.errors import InvalidInputError

    if sats is not None and msats is not None:
        raise InvalidInputError("give --amount or --amount-msat, not both", code="USAGE")
    if sats is not None:
        return sats * 1000
    return msats


def invoice_action(
    state: State,
    *,
    amount: int | None,
    amount_msat_: int | None,
    description: str | None,
    memo: str | None,
    memo_file: str | None,
    expiry: int,
    network: str | None,
    qr: bool,
    as_json: bool,
) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.invoices import create_invoice

    text = memo_text(memo, memo_file)
    with state.wallet() as wallet:
        doc = create_invoice(
            wallet,
            amount_msat=amount_msat(amount, amount_msat_),
            description=description,
            memo=text,
            expiry=expiry,
            network=network,
        )
        warnings = wallet.warnings

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import kv_table, msat, plain_line, show, when

        plain_line(d["invoice"])
        if qr:
            import segno

            segno.make(d["invoice"].upper(), error="l", micro=False).terminal(compact=True)
        show(
            kv_table(
                [
                    ("amount", msat(d["amount_msat"]) if d["amount_msat"] else "any amount"),
                    ("payment hash", d["payment_hash"]),
                    (
                        "description" if d["description_hash"] is None else "description hash",
                        d["description"]
                        if d["description_hash"] is None
                        else d["description_hash"],
                    ),
                    ("memo", "stored encrypted" if d["encrypted_memo"] else None),
                    ("expires at", when(d["expires_at"])),
                ]
            )
        )

    deliver(doc, as_json, render, warnings)


# -- the read commands -----------------------------------------------------------------------------


def info_action(state: State, as_json: bool) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.queries import node_info

    with state.wallet() as wallet:
        doc = node_info(wallet)

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import kv_table, msat, show

        rows = [(k, msat(v) if k.endswith("_msat") else v) for k, v in d.items()]
        show(kv_table([(k.removesuffix("_msat"), v) for k, v in rows]))

    deliver(doc, as_json, render)


def payments_action(
    state: State, status: str | None, limit: int, cursor: int | None, as_json: bool
) -> None:
    from lnctl.core.queries import list_payments

    _listing(state, list_payments, render_payments, status, limit, cursor, as_json)


def _listing(
    state: State,
    lister: Callable[[Wallet, str | None, int, int | None], Mapping[str, Any]],
    render: Callable[[dict[str, Any]], None],
    status: str | None,
    limit: int,
    cursor: int | None,
    as_json: bool,
) -> None:
    """A page of a listing (``payments``, ``invoices``), with the warnings of opening the wallet."""
    from lnctl.cli.output import deliver

    with state.wallet() as wallet:
        doc = lister(wallet, status, limit, cursor)
        warnings = wallet.warnings
    deliver(doc, as_json, render, warnings)


def _print_page(table: Any, next_cursor: object) -> None:
    from lnctl.cli.output import say, show

    show(table)
    if next_cursor:
        say(f"more: --cursor {next_cursor}")


def render_payments(d: dict[str, Any]) -> None:
    from lnctl.cli.output import cell, msat, table

    t = table()
    for col in ("payment hash", "status", "amount", "fee", "attempts", "failure", "memo"):
        t.add_column(col)
    for p in d["payments"]:
        t.add_row(
            p["payment_hash"][:16] + "..",
            p["status"],
            msat(p["amount_msat"]),
            msat(p["fee_msat"]),
            str(p["attempts"]),
            cell(p["failure_reason"] or p["attention"] or ""),
            cell(p["memo"] or ""),
        )
    _print_page(t, d["next_cursor"])


def render_payment(d: dict[str, Any]) -> None:
    from lnctl.cli.output import kv_table, msat, show

    show(
        kv_table(
            [
                ("status", d["status"]),
                ("payment hash", d["payment_hash"]),
                ("amount", msat(d["amount_msat"])),
                ("fee", msat(d["fee_msat"])),
                ("attempts", d["attempts"]),
                ("latency", f"{d['latency_ms']} ms" if d["latency_ms"] is not None else None),
                ("preimage", d["preimage"]),
                ("failure", d["failure_reason"]),
            ]
        )
    )


def invoices_action(
    state: State, status: str | None, limit: int, cursor: int | None, as_json: bool
) -> None:
    from lnctl.core.invoices import list_invoices

    _listing(state, list_invoices, render_invoices, status, limit, cursor, as_json)


def render_invoices(d: dict[str, Any]) -> None:
    from lnctl.cli.output import cell, msat, table, when

    t = table()
    for col in ("payment hash", "status", "amount", "description", "memo", "expires at"):
        t.add_column(col)
    for inv in d["invoices"]:
        t.add_row(
            inv["payment_hash"][:16] + "..",
            inv["status"],
            msat(inv["amount_msat"]) if inv["amount_msat"] else "any",
            cell(inv["description"] if inv["description_hash"] is None else "(hashed)"),
            cell(inv["memo"] or ""),
            when(inv["expires_at"]),
        )
    _print_page(t, d["next_cursor"])


def lookup_action(state: State, payment_hash: str, as_json: bool) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.queries import lookup

    with state.wallet() as wallet:
        doc = lookup(wallet, payment_hash)
        warnings = wallet.warnings

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import kv_table, msat, show, when

        if d["invoice"]:
            i = d["invoice"]
            show(
                kv_table(
                    [
                        ("status", i["status"]),
                        ("amount", msat(i["amount_msat"])),
                        ("description", i["description"]),
                        ("description hash", i["description_hash"]),
                        ("memo", i["memo"]),
                        ("expires at", when(i["expires_at"])),
                        ("settled at", when(i["settled_at"])),
                    ],
                    title="invoice",
                )
            )
        if d["payment"]:
            render_payment(d["payment"])

    deliver(doc, as_json, render, warnings)


def channel_list_action(state: State, as_json: bool) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.channels import list_channels

    with state.wallet() as wallet:
        doc = list_channels(wallet)
    deliver(doc, as_json, render_channels)


def channel_balance_action(state: State, as_json: bool) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.channels import balance

    with state.wallet() as wallet:
        doc = balance(wallet)

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import kv_table, msat, show

        show(
            kv_table(
                [
                    ("local", msat(d["local_msat"])),
                    ("remote", msat(d["remote_msat"])),
                    ("in flight", msat(d["inflight_msat"])),
                    ("spendable", msat(d["spendable_msat"])),
                    ("receivable", msat(d["receivable_msat"])),
                    (
                        "channel reserves",
                        f"{msat(d['reserve_msat'])} (kept on each side of a channel: "
                        "neither spendable nor receivable)",
                    ),
                    ("open channels", d["open_channels"]),
                ]
            )
        )

    deliver(doc, as_json, render)


BAR_WIDTH = 24


def liquidity_bar(local: int, inflight: int, capacity: int) -> Any:
    """local | in flight | remote, in BAR_WIDTH cells (remote is the rest of the capacity)."""
    from lnctl.cli.output import piped

    n_local = round(BAR_WIDTH * local / capacity) if capacity > 0 else 0
    n_inflight = round(BAR_WIDTH * inflight / capacity) if capacity > 0 else 0
    n_remote = max(0, BAR_WIDTH - n_local - n_inflight) if capacity > 0 else 0
    if piped():
        return "█" * n_local + "▒" * n_inflight + "░" * n_remote
    from rich.text import Text

    bar = Text()
    bar.append("█" * n_local, style="green")
    bar.append("▒" * n_inflight, style="yellow")
    bar.append("░" * n_remote, style="blue")
    return bar


def render_channels(d: dict[str, Any]) -> None:
    from lnctl.cli.output import cell, msat, show, table

    t = table()
    for col in (
        "channel",
        "peer",
        "state",
        "local",
        "liquidity local|remote",
        "remote",
        "in flight",
        "capacity",
    ):
        t.add_column(col)
    for ch in d["channels"]:
        t.add_row(
            cell(ch["channel_id"]),
            cell(ch["peer"][:16] + ".."),
            ch["state"],
            msat(ch["local_msat"]),
            liquidity_bar(ch["local_msat"], ch["inflight_msat"], ch["capacity_msat"]),
            msat(ch["remote_msat"]),
            msat(ch["inflight_msat"]),
            msat(ch["capacity_msat"]),
        )
    show(t)


def pay_defaults(
    state: State, timeout: float | None, max_fee: int | None
) -> tuple[float, int | None]:
    """--timeout and --max-fee as given, else from config.toml, else the defaults (for a single
    payment and a batch alike)."""
    config = state.config
    return (
        timeout if timeout is not None else config.timeout_s,
        max_fee if max_fee is not None else config.max_fee_sat,
    )


def pay_action(
    state: State,
    invoice: str | None,
    *,
    amount: int | None,
    max_fee: int | None,
    timeout: float | None,
    retries: int,
    induce_failure: int,
    if_paid: str,
    dry_run: bool,
    memo: str | None,
    memo_file: str | None,
    file: str | None = None,
    concurrency: int = 4,
    rate_limit: float | None = None,
    jsonl: bool = False,
    as_json: bool,
) -> None:
    """One payment, or with ``file`` a batch (``pay_batch``)."""
    from lnctl.cli.output import deliver
    from lnctl.core.payments import PayOptions, pay
    from lnctl.errors import InvalidInputError

    timeout, max_fee = pay_defaults(state, timeout, max_fee)
    options = PayOptions(
        max_fee_msat=max_fee * 1000 if max_fee is not None else None,
        timeout_s=timeout,
        retries=retries,
        induce_failures=induce_failure,
        if_paid=if_paid,
    )
    if file is not None:
        if invoice is not None or amount is not None or dry_run or memo or memo_file:
            raise InvalidInputError(
                "--file takes the invoices (and amounts) from the file: no INVOICE, --amount, "
                "--dry-run or memo with it",
                code="USAGE",
            )
        pay_batch(
            state,
            file,
            concurrency=concurrency,
            rate_limit=rate_limit,
            jsonl=jsonl,
            as_json=as_json,
            options=options,
        )
        return
    memo = memo_text(memo, memo_file, stdin_taken=invoice is None)
    text = invoice if invoice is not None else read_stdin_invoice()
    from lnctl.deadline import Deadline

    options.check(memo)
    deadline = Deadline.after(timeout)  # the whole command's: opening the node, recovery, paying
    amount_msat = amount * 1000 if amount is not None else None
    with state.wallet(deadline) as wallet:
        if dry_run:
            from lnctl.core.dryrun import dry_run as predict

            would = predict(wallet, text, options, amount_msat=amount_msat, deadline=deadline)
        else:
            doc = pay(wallet, text, options, amount_msat=amount_msat, memo=memo, deadline=deadline)
        warnings = wallet.warnings
    if dry_run:
        deliver_outcome(
            would["exit_code"], lambda: deliver(would, as_json, render_dry_run, warnings)
        )
        return
    deliver(doc, as_json, render_payment, warnings)


def deliver_outcome(code: int, write: Callable[[], None]) -> None:
    """Print a result whose exit code is already decided, and exit with it: the outcome decides
    the exit code. Output that cannot be written is one line on stderr, and OUTPUT_FAILED
    (exit 1) only when the outcome is 0; a reader that went away changes nothing."""
    from lnctl.cli.output import PipeClosed, silence_stdout, write_err
    from lnctl.errors import Done, LnctlError

    try:
        write()
    except PipeClosed:
        silence_stdout()
        raise Done(code) from None
    except LnctlError as exc:
        if exc.code != "OUTPUT_FAILED" or not code:
            raise
        write_err(f"lnctl: error: {exc.message}\n")
        raise Done(code) from None
    if code:
        raise Done(code)


def pay_batch(
    state: State,
    path: str,
    *,
    concurrency: int,
    rate_limit: float | None,
    jsonl: bool,
    as_json: bool,
    options: PayOptions,
) -> None:
    from lnctl.cli.output import PipeClosed, emit_json, warn, write_out
    from lnctl.core.batch import parse_lines, run_batch
    from lnctl.errors import LnctlError
    from lnctl.storage.files import read_input

    lines = parse_lines(read_input(path, MAX_BATCH_BYTES, "--file").decode("utf-8", "replace"))
    progress = None
    if not (as_json or jsonl) and sys.stderr is not None and sys.stderr.isatty():
        from rich.progress import Progress

        from lnctl.cli.output import console

        progress = Progress(transient=True, console=console(stderr=True))
        task = progress.add_task("paying", total=len(lines))
        progress.start()

    lost: list[LnctlError | PipeClosed] = []  # the first write to stdout that failed

    def on_result(result: BatchLineDocument) -> None:
        """A payment has ended (in the batch's thread): its line, when stdout still takes
        them. Output that fails never stops the payments: they are the outcome."""
        if jsonl and not lost:
            from lnctl.cli.output import to_json_line

            try:
                write_out(to_json_line(result) + "\n")
            except PipeClosed as exc:
                lost.append(exc)
            except LnctlError as exc:
                if exc.code != "OUTPUT_FAILED":
                    raise
                lost.append(exc)
        if progress is not None:
            progress.advance(task)

    try:
        doc = run_batch(
            state.config,
            lines,
            concurrency=concurrency,
            rate_limit=rate_limit,
            options=options,
            on_result=on_result,
        )
    finally:
        if progress is not None:
            progress.stop()
    for message in dict.fromkeys(doc.pop("warnings")):
        warn(message)

    def write() -> None:
        if lost:  # stdout failed while the lines were written: the same end for the summary
            raise lost[0]
        if jsonl:
            from lnctl.cli.output import to_json_line, write_whole

            write_whole(to_json_line({"summary": doc["summary"]}) + "\n")
        elif as_json:
            emit_json(doc)
        else:
            render_batch(doc)

    deliver_outcome(doc["summary"]["exit_code"], write)


def render_batch(d: Mapping[str, Any]) -> None:
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
                *(
                    [("stopped by", f"{s['stopped']['code']}: {s['stopped']['message']}")]
                    if s["stopped"]
                    else []
                ),
            ],
            title="summary",
        )
    )


def render_dry_run(d: dict[str, Any]) -> None:
    from lnctl.cli.output import kv_table, msat, say, show

    say("dry run: nothing was reserved or sent")
    show(
        kv_table(
            [
                (
                    "would",
                    d["would"] + (f" ({d['failure_reason']})" if d["failure_reason"] else ""),
                ),
                ("exit code", d["exit_code"]),
                ("amount", msat(d["amount_msat"])),
                ("fee", msat(d["fee_msat"])),
                ("fee cap", msat(d["max_fee_msat"])),
                ("channel", d["channel_id"]),
                ("self-payment", "yes" if d["self_payment"] else "no"),
            ]
        )
    )


def metrics_action(state: State, textfile: str | None, as_json: bool) -> None:
    """``lnctl metrics``: the exposition once, or written with --textfile. A scrape reads only:
    no wallet is opened, nothing is created."""
    from lnctl.cli.output import deliver, sanitize, write_err, write_out
    from lnctl.metrics import exposition, missing_history_warning, write_textfile

    warning = missing_history_warning(state.config)
    warnings = [warning] if warning else []
    if textfile is not None:
        write_textfile(state.config, textfile)
        deliver(
            {"textfile": textfile, "written": True},
            as_json,
            lambda d: write_err(f"wrote {sanitize(d['textfile'])}\n"),
            warnings,
        )
        return
    text = exposition(state.config)
    deliver(metric_families(text) if as_json else text, as_json, write_out, warnings)


def metric_families(text: str) -> dict[str, Any]:
    """The exposition as JSON: each family's type, help and samples (integers stay integers)."""
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, Any] = {}
    for fam in text_string_to_metric_families(text):
        out[fam.name] = {
            "type": fam.type,
            "help": fam.documentation,
            "samples": [
                {
                    "name": s.name,
                    "labels": s.labels,
                    "value": int(s.value) if float(s.value).is_integer() else s.value,
                }
                for s in fam.samples
            ],
        }
    return {"metrics": out}


# -- the other commands: every command a script calls runs without Typer -------------------------


def invoice_wait_action(state: State, payment_hash: str, timeout: float, as_json: bool) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.invoices import check_wait_timeout, wait_invoice
    from lnctl.deadline import Deadline

    check_wait_timeout(timeout)
    deadline = Deadline.after(timeout)  # the whole command's: opening the node and every lookup
    with state.wallet(deadline) as wallet:
        doc = wait_invoice(wallet, payment_hash, timeout, deadline)

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import kv_table, msat, show, when

        show(
            kv_table(
                [
                    ("status", d["status"]),
                    ("received", msat(d["received_msat"])),
                    ("settled at", when(d["settled_at"])),
                    ("preimage", d["preimage"]),
                ]
            )
        )

    deliver(doc, as_json, render)


def channel_open_action(state: State, peer: str, capacity: int, push: int, as_json: bool) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.channels import open_channel

    with state.wallet() as wallet:
        doc = open_channel(wallet, peer, capacity * 1000, push * 1000)
    deliver(doc, as_json, lambda d: render_channels({"channels": [d]}))


def channel_close_action(state: State, channel_id: str, as_json: bool) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.channels import close_channel

    with state.wallet() as wallet:
        doc = close_channel(wallet, channel_id)
    deliver(doc, as_json, lambda d: render_channels({"channels": [d]}))


def simulate_invoice_action(
    state: State, amount: int | None, description: str, expiry: int, count: int, as_json: bool
) -> None:
    from lnctl.cli.output import deliver, plain_line
    from lnctl.core.simulate import remote_invoices

    with state.wallet() as wallet:
        docs = remote_invoices(
            wallet, amount * 1000 if amount else None, description, expiry, count
        )
    result: Any = docs if count > 1 else docs[0]

    def render(d: Any) -> None:
        for item in d if isinstance(d, list) else [d]:
            plain_line(item["invoice"])

    deliver(result, as_json, render)


def simulate_pay_action(
    state: State, invoice: str | None, amount: int | None, as_json: bool
) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.simulate import incoming

    text = invoice if invoice is not None else read_stdin_invoice()
    with state.wallet() as wallet:
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


def memo_show_action(state: State, payment_hash: str, as_json: bool) -> None:
    from lnctl.cli.output import deliver, say_untrusted
    from lnctl.core.memos import show as core_show

    with state.wallet() as wallet:
        doc = core_show(wallet, payment_hash)
    deliver(doc, as_json, lambda d: say_untrusted(d["memo"]))


def memo_verify_action(state: State, payment_hash: str, text_: str, as_json: bool) -> None:
    from lnctl.cli.output import deliver, say
    from lnctl.core.memos import memo_verify
    from lnctl.errors import InvalidInputError

    with state.wallet() as wallet:
        doc = memo_verify(wallet, payment_hash, text_)
    if not doc["match"]:
        raise InvalidInputError(
            "the text does not match the memo (or the invoice's description)",
            code="MEMO_MISMATCH",
            hint="check for a typo or extra spaces",
            details={
                "description_hash": doc["description_hash"],
                "text_sha256": doc["text_sha256"],
            },
        )
    deliver(doc, as_json, lambda d: say("match: the text is what the invoice commits to"))


def memo_rotate_key_action(state: State, as_json: bool) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.memos import rotate_key as core_rotate

    with state.wallet() as wallet:
        doc = core_rotate(wallet)
        warnings = wallet.warnings

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import kv_table, show

        show(
            kv_table(
                [
                    ("primary key", d["primary_key_id"]),
                    ("re-encrypted", d["reencrypted"]),
                    ("retired keys", ", ".join(d["retired_key_ids"]) or None),
                    ("unreadable", d["unreadable"]),
                    ("resumed", "yes" if d["resumed"] else "no"),
                ]
            )
        )

    deliver(doc, as_json, render, warnings)


def config_show_action(state: State, as_json: bool) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.queries import settings_document

    doc = settings_document(state.config)

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import kv_table, show

        show(
            kv_table(
                [(k, f"{v['value']}  ({v['source']})") for k, v in d["settings"].items()],
                title=f"config file: {d['config_file']}" + ("" if d["exists"] else " (none)"),
            )
        )

    deliver(doc, as_json, render)
