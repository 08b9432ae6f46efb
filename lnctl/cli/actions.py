"""Bodies of the commands that shell scripts call most (``decode``, ``invoice``), free of Typer so
that the fast path (``lnctl.cli.fast``) and the Typer commands run the very same code."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any

    from lnctl.cli.state import State


def read_stdin_invoice() -> str:
    from lnctl.errors import InvalidInputError

    if sys.stdin is None or sys.stdin.isatty():
        raise InvalidInputError(
            "no invoice given", code="NO_INVOICE", hint="pass it as an argument or pipe it in"
        )
    try:
        raw = sys.stdin.buffer.read(1 << 20)
    except AttributeError:  # a text-only stdin (tests)
        raw = sys.stdin.read(1 << 20).encode("utf-8", "surrogateescape")
    return read_invoice_from_text(raw.decode("utf-8", "replace"))


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


def decode_action(invoice: str | None, as_json: bool) -> None:
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
    from lnctl.storage.files import read_input

    raw = read_input(memo_file, 64 * 1024 + 2, "--memo-file")
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
    expiry: int,
    network: str | None,
    qr: bool,
    as_json: bool,
) -> None:
    from lnctl.cli.output import deliver
    from lnctl.core.invoices import create_invoice

    with state.wallet() as wallet:
        doc = create_invoice(
            wallet,
            amount_msat=amount_msat(amount, amount_msat_),
            description=description,
            memo=memo,
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
