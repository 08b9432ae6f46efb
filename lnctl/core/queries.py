"""Reading the wallet's records: listings, lookups, the node's identity, the settings."""

from __future__ import annotations

from lnctl.core.documents import payment_document
from lnctl.core.hashes import resolve_hash
from lnctl.errors import NotFoundError

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.config import Config
    from lnctl.core.documents import (
        LookupDocument,
        NodeInfo,
        PaymentList,
        Setting,
        SettingsDocument,
    )
    from lnctl.core.wallet import Wallet


def list_payments(
    wallet: Wallet, status: str | None, limit: int, cursor: int | None
) -> PaymentList:
    from lnctl.core.memos import reveal_memo  # for a listing: `info` starts without it

    rows, next_cursor = wallet.history.list_payments(status, limit, cursor)
    return {
        "payments": [payment_document(r, reveal_memo(wallet, r, "payment")) for r in rows],
        "next_cursor": next_cursor,
    }


def lookup(wallet: Wallet, payment_hash: str) -> LookupDocument:
    """The invoice and/or payment with this hash, the invoice's state refreshed from the node."""
    # the invoices' module (and the BOLT 11 codec it brings) only for a lookup: a listing of
    # payments starts without it; the memos' module, as for a listing
    from lnctl.core.invoices import invoice_document, refresh_invoices
    from lnctl.core.memos import reveal_memo
    from lnctl.storage.rows import OPEN

    payment_hash = resolve_hash(wallet, payment_hash)
    doc: LookupDocument = {"payment_hash": payment_hash, "invoice": None, "payment": None}
    inv = wallet.history.get_invoice(payment_hash)
    if inv is not None and inv.status == OPEN and refresh_invoices(wallet, [payment_hash]):
        inv = wallet.history.get_invoice(payment_hash)  # settled since: read it again
    if inv is not None:
        doc["invoice"] = invoice_document(wallet, inv)
    pay_row = wallet.history.get_payment(payment_hash)
    if pay_row is not None:
        doc["payment"] = payment_document(pay_row, reveal_memo(wallet, pay_row, "payment"))
    if inv is None and pay_row is None:
        raise NotFoundError(f"no invoice or payment with payment hash {payment_hash}")
    return doc


def node_info(wallet: Wallet) -> NodeInfo:
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


def settings_document(config: Config) -> SettingsDocument:
    """The effective settings and their sources. Keys are never shown: only whether one is set
    and where it comes from."""
    import os

    def secret(var: str, path: str) -> Setting:
        if config.env.get(var, "").strip():
            return {"value": "set", "source": f"environment {var}"}
        if os.path.lexists(path) and not _blank_file(path):
            return {"value": "set", "source": f"file {path}"}
        return {"value": "not set", "source": "default"}

    from lnctl.sanitize import redact_url

    values: dict[str, object] = {
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
    settings: dict[str, Setting] = {
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
