"""Results for people: each command's document turned into tables and lines (``output.py``
writes them). Nothing here decides an outcome or an exit code: a renderer gets a document
that ``--json`` would have printed, and shows it.

Every text that comes from an invoice, a server or a file is untrusted: it reaches the terminal
through ``cell``, ``kv_table`` or ``say_untrusted`` (sanitized, never read as markup). Rich is
imported only for a terminal (``output.piped()`` is false): a pipe gets plain lines.
"""

from __future__ import annotations

from lnctl.cli.output import (
    AMOUNT,
    BAR,
    DATE,
    FIXED,
    ID,
    PREFIX,
    TEXT,
    cell,
    console,
    fit,
    kv_table,
    msat,
    piped,
    plain_line,
    say,
    say_untrusted,
    show,
    table,
    when,
    write_err,
)
from lnctl.cli.output import day_and_time as day
from lnctl.sanitize import sanitize

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


# a state's colour on a terminal (Rich leaves colour out under NO_COLOR; a pipe gets none)
STATUS_STYLES = {
    "SUCCEEDED": "green",
    "SETTLED": "green",
    "PAID": "green",
    "FAILED": "red",
    "ERROR": "red",
    "EXPIRED": "red",
    "IN_FLIGHT": "yellow",
    "PENDING": "yellow",
    "NEEDS_ATTENTION": "yellow",
    "DUPLICATE": "yellow",
}


def status(value: str) -> Any:
    """A payment's, invoice's or batch line's state: coloured on a terminal."""
    return cell(value, STATUS_STYLES.get(value, ""))


def decoded(d: dict[str, Any]) -> None:
    """``lnctl decode``."""
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
                " -> ".join(
                    f"{h['pubkey'] if piped() else h['pubkey'][:16] + '…'} {h['short_channel_id']}"
                    for h in hops
                ),
            )
        )
    if d["fallback_addresses"]:
        rows.append(("fallback", ", ".join(d["fallback_addresses"])))
    if d["metadata"]:
        rows.append(("metadata", d["metadata"]))
    show(kv_table(rows, title="BOLT 11 invoice"))


def invoice(d: dict[str, Any], qr: bool) -> None:
    """``lnctl invoice``: the invoice alone on its line (another program reads it), its QR code
    with ``--qr``, then its details."""
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
                    d["description"] if d["description_hash"] is None else d["description_hash"],
                ),
                ("memo", "stored encrypted" if d["encrypted_memo"] else None),
                ("expires at", when(d["expires_at"])),
            ]
        )
    )


def settlement(d: dict[str, Any]) -> None:
    """``lnctl invoice wait``."""
    show(
        kv_table(
            [
                ("status", status(d["status"])),
                ("received", msat(d["received_msat"])),
                ("settled at", when(d["settled_at"])),
                ("preimage", d["preimage"]),
            ]
        )
    )


def info(d: dict[str, Any]) -> None:
    """``lnctl info``: every field, amounts in sats."""
    rows = [(k, msat(v) if k.endswith("_msat") else v) for k, v in d.items()]
    show(kv_table([(k.removesuffix("_msat"), v) for k, v in rows]))


def _page(t: Any, next_cursor: object) -> None:
    """A page of a listing, then how to get the next one."""
    show(t)
    if next_cursor:  # on stderr when piped: stdout holds the header and the rows alone
        line = f"more: --cursor {next_cursor}"
        if piped():
            write_err(line + "\n")
        else:
            say(line)


def payments(d: dict[str, Any], narrowed: bool = False) -> None:
    """``lnctl payments``: a line per payment, the hash whole when piped."""
    if not d["payments"] and not piped():  # a pipe gets the header alone: no rows
        say("no payments match" if narrowed else "no payments yet")
        return
    t = table()
    paid_to = any(p.get("paid_to") for p in d["payments"])  # a column only when one has it
    heads = (
        "created (UTC)",
        "payment hash",
        "status",
        "amount",
        "fee",
        "attempts",
        "failure",
        "memo",
    )
    for col in heads:
        t.add_column(col)
    if paid_to:
        t.add_column("paid to")
    for p in d["payments"]:
        row = [
            day(p["created_at"]),
            p["payment_hash"],
            status(p["status"]),
            msat(p["amount_msat"]),
            msat(p["fee_msat"]),
            str(p["attempts"]),
            cell(p["failure_reason"] or p["attention"] or ""),
            cell(p["memo"] or ""),
        ]
        t.add_row(*row, *([cell(p.get("paid_to") or "")] if paid_to else []))
    fit(t, (DATE, PREFIX, FIXED, AMOUNT, AMOUNT, FIXED, TEXT, TEXT, *((TEXT,) if paid_to else ())))
    _page(t, d["next_cursor"])


def payment(d: dict[str, Any]) -> None:
    """One payment (``lnctl pay``, ``lnctl lookup``); what it was paid to (a Lightning Address
    or an LNURL), its key and its success action only where it has them."""
    rows: list[tuple[str, object]] = [
        ("status", status(d["status"])),
        ("payment hash", d["payment_hash"]),
        ("amount", msat(d["amount_msat"])),
        ("fee", msat(d["fee_msat"])),
        ("attempts", d["attempts"]),
        ("latency", f"{d['latency_ms']} ms" if d["latency_ms"] is not None else None),
        ("preimage", d["preimage"]),
        ("failure", d["failure_reason"]),
    ]
    if d.get("paid_to"):
        rows[1:1] = [("paid to", d["paid_to"]), ("description", d.get("paid_to_description"))]
    if d.get("idempotency_key"):
        rows.append(("idempotency key", d["idempotency_key"]))
    rows += success_action_rows(d.get("success_action"))
    show(kv_table(rows))
    if "lnurl" in d and not d.get("idempotency_key"):
        say(
            "note: the service hands out a new invoice each time: running this again pays "
            "again (--idempotency-key KEY pays once)"
        )


def success_action_rows(action: dict[str, Any] | None) -> list[tuple[str, object]]:
    """A success action (LUD-09/10), sanitized already, as rows: shown, never acted on (a url
    is printed, never opened)."""
    if not action:
        return []
    if action["tag"] == "message":
        return [("message", action["message"])]
    rows: list[tuple[str, object]] = [("service says", action["description"])]
    if action["tag"] == "url":
        rows.append(("url (not opened)", action["url"]))
    elif action.get("error"):
        rows.append(("secret", action["error"]))
    else:
        rows.append(("secret", action.get("plaintext")))
    return rows


def invoices(d: dict[str, Any], narrowed: bool = False) -> None:
    """``lnctl invoices``: a line per invoice, the hash whole when piped."""
    if not d["invoices"] and not piped():  # a pipe gets the header alone: no rows
        say("no invoices match" if narrowed else "no invoices yet")
        return
    t = table()
    heads = ("created (UTC)", "payment hash", "status", "amount", "description", "memo",
             "expires (UTC)")  # fmt: skip
    for col in heads:
        t.add_column(col)
    for inv in d["invoices"]:
        t.add_row(
            day(inv["created_at"]),
            inv["payment_hash"],
            status(inv["status"]),
            msat(inv["amount_msat"]) if inv["amount_msat"] else "any",
            cell(inv["description"] if inv["description_hash"] is None else "(hashed)"),
            cell(inv["memo"] or ""),
            day(inv["expires_at"]),
        )
    fit(t, (DATE, PREFIX, FIXED, AMOUNT, TEXT, TEXT, DATE))
    _page(t, d["next_cursor"])


def lookup(d: dict[str, Any]) -> None:
    """``lnctl lookup``: the invoice, the payment, or both."""
    if d["invoice"]:
        i = d["invoice"]
        show(
            kv_table(
                [
                    ("status", status(i["status"])),
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
        payment(d["payment"])


def dry_run(d: dict[str, Any]) -> None:
    """``lnctl pay --dry-run``."""
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
            + _lnurl_rows(d.get("lnurl"))
        )
    )


def _lnurl_rows(terms: dict[str, Any] | None) -> list[tuple[str, object]]:
    """What an LNURL service said (``pay --dry-run``), sanitized already."""
    if not terms:
        return []
    return [
        ("paid to", terms["lnurl"]),
        ("description", terms["description"]),
        (
            "service takes",
            f"{msat(terms['min_sendable_msat'])} to {msat(terms['max_sendable_msat'])}",
        ),
    ]


def batch(d: Mapping[str, Any]) -> None:
    """``lnctl pay --file``: a line per payment, then the summary."""
    t = table()
    for col in ("line", "payment hash", "status", "amount", "fee", "error"):
        t.add_column(col)
    for r in d["payments"]:
        p = r["payment"] or {}
        error = r["error"] or {}
        fresh = r["status"] not in ("DUPLICATE", "ERROR", "NOT_STARTED")  # moved money now
        t.add_row(
            str(r["line"]),
            p.get("payment_hash") or "-",
            status(r["status"]),
            msat(p.get("amount_msat")) if fresh else "-",
            msat(p.get("fee_msat")) if fresh else "-",
            cell(
                f"{error['code']}: {error['message']}"
                if r["status"] == "ERROR" and error.get("message")
                else error.get("code") or ""
            ),
        )
    fit(t, (FIXED, PREFIX, FIXED, AMOUNT, AMOUNT, TEXT))
    if d["payments"]:  # an empty batch: the summary alone (its warning is on stderr)
        show(t)
    s = d["summary"]
    latency = s["latency_ms"]
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
                *(
                    [("latency p50/p95/max", "/".join(str(v) for v in latency.values()) + " ms")]
                    if latency["max"] is not None
                    else []
                ),
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


BAR_WIDTH = 24


class _Bar:
    """local | in flight | remote, drawn in the cells a terminal table gives it (8 to
    BAR_WIDTH)."""

    def __init__(self, local: int, inflight: int, capacity: int) -> None:
        self.local, self.inflight, self.capacity = local, inflight, capacity

    def cells(self, width: int) -> tuple[int, int, int]:
        if self.capacity <= 0:
            return 0, 0, 0
        n_local = round(width * self.local / self.capacity)
        n_inflight = round(width * self.inflight / self.capacity)
        return n_local, n_inflight, max(0, width - n_local - n_inflight)

    def __str__(self) -> str:
        n_local, n_inflight, n_remote = self.cells(BAR_WIDTH)
        return "█" * n_local + "▒" * n_inflight + "░" * n_remote

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        return Measurement(8, BAR_WIDTH)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.text import Text

        n_local, n_inflight, n_remote = self.cells(min(BAR_WIDTH, options.max_width))
        bar = Text()
        bar.append("█" * n_local, style="green")
        bar.append("▒" * n_inflight, style="yellow")
        bar.append("░" * n_remote, style="blue")
        yield bar


def liquidity_bar(local: int, inflight: int, capacity: int) -> Any:
    """local | in flight | remote (remote is the rest of the capacity): BAR_WIDTH cells when
    piped, as many as the terminal leaves (at least 8) on a terminal."""
    bar = _Bar(local, inflight, capacity)
    return str(bar) if piped() else bar


def channels(d: dict[str, Any]) -> None:
    """``lnctl channel list``: amounts never cut (the peer's id gives way, then the bar)."""
    t = table()
    for col in (
        "channel",
        "peer",
        "state",
        "local",
        "local|remote",
        "remote",
        "in flight",
        "capacity",
    ):
        t.add_column(col)
    for ch in d["channels"]:
        t.add_row(
            cell(ch["channel_id"]),
            cell(ch["peer"]),
            ch["state"],
            msat(ch["local_msat"]),
            liquidity_bar(ch["local_msat"], ch["inflight_msat"], ch["capacity_msat"]),
            msat(ch["remote_msat"]),
            msat(ch["inflight_msat"]),
            msat(ch["capacity_msat"]),
        )
    fit(t, (FIXED, ID, FIXED, AMOUNT, BAR, AMOUNT, AMOUNT, AMOUNT))
    show(t)


def channel(d: dict[str, Any]) -> None:
    """One channel (``lnctl channel open``, ``close``)."""
    channels({"channels": [d]})


def balance(d: dict[str, Any]) -> None:
    """``lnctl channel balance``."""
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


def invoice_lines(d: dict[str, Any] | list[dict[str, Any]]) -> None:
    """``lnctl simulate invoice``: each invoice alone on its line."""
    for item in d if isinstance(d, list) else [d]:
        plain_line(item["invoice"])


def received(d: dict[str, Any]) -> None:
    """``lnctl simulate pay``."""
    show(
        kv_table(
            [
                ("status", status(d["status"])),
                ("received", msat(d["amount_msat"])),
                ("payment hash", d["payment_hash"]),
                ("channel", d["channel_id"]),
            ]
        )
    )


def memo(d: dict[str, Any]) -> None:
    """``lnctl memo show``: the memo alone (untrusted text)."""
    say_untrusted(d["memo"])


def memo_match(d: dict[str, Any]) -> None:
    """``lnctl memo verify`` when the text matches (a mismatch is an error)."""
    say(
        {
            "memo": "match: the text is the private memo (stored encrypted, never in the invoice)",
            "description": "match: the text is the invoice's public description",
            "description_hash": "match: the text hashes to the invoice's description hash",
        }.get(d["against"], f"match: the text is the {d['against']}")
    )


def rotation(d: dict[str, Any]) -> None:
    """``lnctl memo rotate-key``."""
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


def settings(d: dict[str, Any]) -> None:
    """``lnctl config show``: each setting and where it came from."""
    show(
        kv_table(
            [
                (k, f"{'not set' if v['value'] is None else v['value']}  ({v['source']})")
                for k, v in d["settings"].items()
            ],
            title=f"config file: {d['config_file']}" + ("" if d["exists"] else " (none)"),
        )
    )


def textfile_written(d: dict[str, Any]) -> None:
    """``lnctl metrics --textfile``: said on stderr (stdout stays empty)."""
    write_err(f"wrote {sanitize(d['textfile'])}\n")


def pushed(d: dict[str, Any]) -> None:
    """``lnctl metrics push``: said on stderr."""
    write_err(f"pushed to {d['gateway']} (job {sanitize(d['job'])})\n")


def demo(d: dict[str, Any], explain: bool = False) -> None:
    """``lnctl demo``: what happened, in a few lines; with ``--explain`` the invoice, the
    payment's details and the metrics as well."""
    inv, pay = d["invoice"], d["payment"]
    if explain:
        _heading("1. invoice (signed by this wallet's node key, memo stored encrypted)")
        plain_line(inv["invoice"])
        _heading(
            "2. pay with an induced temporary channel failure on the first attempt: "
            f"{pay['attempts']} attempts"
        )
    proof = "sha256(preimage) == payment_hash" if d["proof_ok"] else "MISMATCH"
    rows: list[tuple[str, object]] = [
        ("status", status(pay["status"])),
        ("amount", msat(pay["amount_msat"])),
        ("fee", msat(pay["fee_msat"])),
        ("attempts", f"{pay['attempts']} (the first failed on purpose, a temporary failure)"),
        ("proof", proof),
    ]
    if explain:
        rows[4:4] = [("latency", f"{pay['latency_ms']} ms"), ("preimage", pay["preimage"])]
    else:
        say("demo: a 100,000-sat invoice with a private memo, paid by this wallet")
    show(kv_table(rows))
    if explain:
        _heading("3. metrics")
        if not piped():
            console().file.flush()
        plain_line(d["metrics"].rstrip("\n"))
    else:
        say("see: lnctl payments, lnctl metrics; every step: lnctl demo --explain")


def _heading(line: str) -> None:
    """A heading of lnctl's own words: bold on a terminal."""
    if piped():
        plain_line(line)
    else:
        from rich.text import Text

        console().print(Text(line, style="bold"))
