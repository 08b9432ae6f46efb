"""Reading the wallet's records: payment documents, listings, lookups."""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    import sqlite3
    from typing import Any

    from lnctl.config import Config
    from lnctl.core.wallet import Wallet


def checked_int(row: sqlite3.Row | dict[str, Any], key: str) -> Any:
    """An integer column of a history record (or None), refused as corrupt state when the file
    holds anything else there (a hand-edited or damaged store): money is never shown as text."""
    value = row[key]
    if value is None or type(value) is int:
        return value
    from lnctl.errors import CorruptStateError
    from lnctl.sanitize import sanitize

    raise CorruptStateError(
        f"the history's record of {sanitize(row['payment_hash'])[:64]} holds "
        f"{key} = {sanitize(repr(value))[:40]}, not an integer",
        hint="restore history.sqlite from a backup (lnctl changed nothing)",
    )


def payment_document(row: sqlite3.Row | dict[str, Any], memo: str | None = None) -> dict[str, Any]:
    return {
        "id": row["payment_hash"],
        "payment_hash": row["payment_hash"],
        "status": row["status"],
        "attempts": checked_int(row, "attempts"),
        "latency_ms": checked_int(row, "latency_ms"),
        "amount_msat": checked_int(row, "amount_msat"),
        "fee_msat": checked_int(row, "fee_msat"),
        "max_fee_msat": checked_int(row, "max_fee_msat"),
        "preimage": row["preimage"],
        "failure_reason": row["failure_reason"],
        "attention": row["attention"],
        "payee": row["payee"],
        "channel_id": row["channel_id"],
        "memo": memo,
        "created_at": int(row["created_at"]),
        "invoice": row["bolt11"],
    }


def list_payments(
    wallet: Wallet, status: str | None, limit: int, cursor: int | None
) -> dict[str, Any]:
    from lnctl.core.memos import reveal_memo

    rows, next_cursor = wallet.history.list_payments(status, limit, cursor)
    return {
        "payments": [payment_document(r, reveal_memo(wallet, r, "payment")) for r in rows],
        "next_cursor": next_cursor,
    }


def lookup(wallet: Wallet, payment_hash: str) -> dict[str, Any]:
    """The invoice and/or payment with this hash, the invoice's state refreshed from the node."""
    from lnctl.core.invoices import invoice_document, normalize_hash, refresh_invoices
    from lnctl.core.memos import reveal_memo
    from lnctl.errors import NotFoundError

    payment_hash = normalize_hash(payment_hash)
    doc: dict[str, Any] = {"payment_hash": payment_hash, "invoice": None, "payment": None}
    if wallet.history.get_invoice(payment_hash) is not None:
        refresh_invoices(wallet, [payment_hash])
    inv = wallet.history.get_invoice(payment_hash)
    if inv is not None:
        doc["invoice"] = invoice_document(wallet, inv)
    pay_row = wallet.history.get_payment(payment_hash)
    if pay_row is not None:
        doc["payment"] = payment_document(pay_row, reveal_memo(wallet, pay_row, "payment"))
    if inv is None and pay_row is None:
        raise NotFoundError(f"no invoice or payment with payment hash {payment_hash}")
    return doc


def node_info(wallet: Wallet) -> dict[str, Any]:
    """Who the node is and what it can spend."""
    from lnctl import __version__

    backend = wallet.backend
    if wallet.capabilities.embedded:
        wallet.simulated.check_key()  # the key file is private, sound and this node's
    balance = backend.balance()
    return {
        "node_id": backend.node_id(),
        "wallet": backend.label(),
        "balance_msat": balance.spendable_msat,
        "network": wallet.config.network,
        "backend": wallet.config.backend,
        "home": wallet.home,
        "version": __version__,
    }


def settings_document(config: Config) -> dict[str, Any]:
    """The effective settings and their sources. Keys are never shown: only whether one is set
    and where it comes from."""
    import os

    def secret(var: str, path: str) -> dict[str, Any]:
        if config.env.get(var, "").strip():
            return {"value": "set", "source": f"environment {var}"}
        if os.path.lexists(path) and not _blank_file(path):
            return {"value": "set", "source": f"file {path}"}
        return {"value": "not set", "source": "default"}

    from lnctl.sanitize import redact_url

    values: dict[str, Any] = {
        "home": config.home,
        "backend": config.backend,
        "network": config.network,
        # credentials in the URL (user:password@, ?api-key=) are never shown
        "lnbits_url": redact_url(config.lnbits_url) if config.lnbits_url else None,
        "lnbits_admin_key_file": config.lnbits_admin_key_file,
        "lnbits_invoice_key_file": config.lnbits_invoice_key_file,
        "max_fee_sat": config.max_fee_sat,
        "timeout_s": config.timeout_s,
    }
    settings = {
        key: {"value": value, "source": config.sources.get(key, "default")}
        for key, value in values.items()
    }
    settings["lnbits_admin_key"] = secret("LNCTL_LNBITS_ADMIN_KEY", config.lnbits_admin_key_file)
    settings["lnbits_invoice_key"] = secret(
        "LNCTL_LNBITS_INVOICE_KEY", config.lnbits_invoice_key_file
    )
    # Lightspark's settings are all kept out of --json: only whether each is set, and where
    for name, var, file in (
        ("lightspark_client_id", "LNCTL_LIGHTSPARK_CLIENT_ID", None),
        ("lightspark_client_secret", "LNCTL_LIGHTSPARK_CLIENT_SECRET", "lightspark.key"),
        ("lightspark_node_id", "LNCTL_LIGHTSPARK_NODE_ID", None),
        ("lightspark_node_password", "LNCTL_LIGHTSPARK_NODE_PASSWORD", "lightspark-node-password"),
        ("lightspark_base_url", "LNCTL_LIGHTSPARK_BASE_URL", None),
    ):
        settings[name] = secret(var, config.path("secrets", file) if file else "")
    settings["memo_key"] = (
        {"value": "set", "source": "environment LNCTL_MEMO_KEY"}
        if config.memo_key_b64
        else {"value": "keyring", "source": "secrets/memo.keys"}
    )
    path = config.path("config.toml")
    return {"config_file": path, "exists": os.path.exists(path), "settings": settings}


def _blank_file(path: str) -> bool:
    """A secret file that holds nothing but white space is "not set", as commands read it (its
    content is only looked at, never shown; one that cannot be read counts as set)."""
    try:
        with open(path, "rb") as f:
            return not f.read(4096).strip()
    except OSError:
        return False
