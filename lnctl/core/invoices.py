"""Invoices: create (signed by the node key), list, look up; memos shown to their owner."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

try:  # CPython's built-in SHA-256: no OpenSSL to load at start-up (decode is hot)
    from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import sha256

from lnctl import bolt11, log
from lnctl.errors import (
    InvalidInputError,
    LnctlError,
    MemoKeyError,
    NotFoundError,
    check_amount,
)

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator
    from typing import Any

    from lnctl.core.wallet import Wallet
    from lnctl.memo import Keyring

MAX_EXPIRY = 10 * 365 * 24 * 3600
MAX_MEMO_BYTES = 64 * 1024
MEMO_UNAVAILABLE = "[memo unavailable]"


def create_invoice(
    wallet: Wallet,
    *,
    amount_msat: int | None,
    description: str | None,
    memo: str | None,
    expiry: int,
    network: str | None = None,
) -> dict[str, Any]:
    """A fresh preimage, payment hash and secret, a BOLT 11 invoice signed by the node key,
    recorded in the history store with the memo encrypted."""
    wallet.require_simulated()  # the embedded node issues invoices with the wallet's key
    network = network or wallet.config.network
    if amount_msat is not None:
        check_amount(amount_msat)
    if not 0 < expiry <= MAX_EXPIRY:
        raise InvalidInputError(
            f"expiry must be between 1 and {MAX_EXPIRY} seconds", code="INVALID_EXPIRY"
        )
    if description is not None and len(description.encode("utf-8")) > bolt11.MAX_DESCRIPTION_BYTES:
        raise InvalidInputError(
            f"description is longer than BOLT 11 allows ({bolt11.MAX_DESCRIPTION_BYTES} bytes)",
            code="DESCRIPTION_TOO_LONG",
            hint="put the long text in --memo: the invoice then carries only its hash",
        )
    if memo is not None and len(memo.encode("utf-8")) > MAX_MEMO_BYTES:
        raise InvalidInputError(f"memo is longer than {MAX_MEMO_BYTES} bytes", code="MEMO_TOO_LONG")

    preimage = os.urandom(32)
    payment_hash = sha256(preimage).digest()
    description_hash = None
    if description is None and memo is not None:
        description_hash = sha256(memo.encode("utf-8")).digest()
    elif description is None:
        description = ""
    now = int(time.time())
    invoice = bolt11.encode(
        network=network,
        amount_msat=amount_msat,
        payment_hash=payment_hash,
        payment_secret=os.urandom(32),
        description=description,
        description_hash=description_hash,
        expiry=expiry,
        sign=wallet.node_key.sign_recoverable,
        timestamp=now,
    )
    record = {
        "payment_hash": payment_hash.hex(),
        "bolt11": invoice,
        "preimage": preimage.hex(),
        "amount_msat": amount_msat,
        "description": description,
        "description_hash": description_hash.hex() if description_hash else None,
        "created_at": now,
        "expires_at": now + expiry,
    }
    if memo is None:
        encrypted = None
        wallet.history.add_invoice({**record, "memo": None}, None)
    else:
        with memo_encryption(wallet) as keyring:
            encrypted = keyring.encrypt(memo, "invoice", payment_hash.hex())
            wallet.history.add_invoice({**record, "memo": encrypted}, keyring.primary)
    log.event(
        "info",
        "invoice_created",
        payment_hash=record["payment_hash"],
        amount_msat=amount_msat,
        with_memo=memo is not None,
    )
    return {
        "id": record["payment_hash"],
        "invoice": invoice,
        "payment_hash": record["payment_hash"],
        "amount_msat": amount_msat,
        "description": description,
        "description_hash": record["description_hash"],
        "network": network,
        "payee": wallet.node_key.node_id,
        "created_at": now,
        "expires_at": now + expiry,
        "encrypted_memo": encrypted,
    }


@contextmanager
def memo_encryption(wallet: Wallet) -> Iterator[Keyring]:
    """The keyring to encrypt with, under a shared keyring lock held until the caller has
    stored the ciphertext (so a concurrent rotation cannot retire the key in between)."""
    from lnctl.memo import KeyringLock

    if wallet.config.memo_key_b64:
        keyring = wallet.keyring(create=True)
        assert keyring is not None
        check_key_usage(wallet, keyring.primary)
        yield keyring
        return
    with KeyringLock(wallet.config.path("secrets"), shared=True):
        wallet.reset_keyring()
        keyring = wallet.keyring(create=True)
        assert keyring is not None
        check_key_usage(wallet, keyring.primary)
        yield keyring


def check_key_usage(wallet: Wallet, key_id: str) -> None:
    """Refuse, then warn, long before GCM's 2^32 random-nonce limit for one key."""
    from lnctl.memo import MAX_ENCRYPTIONS, WARN_ENCRYPTIONS

    used = wallet.history.memo_key_usage(key_id)
    if used >= MAX_ENCRYPTIONS:
        raise MemoKeyError(
            f"memo key {key_id} has encrypted {used} memos, the most lnctl allows per key",
            code="MEMO_KEY_EXHAUSTED",
            hint="run lnctl memo rotate-key",
        )
    if used >= WARN_ENCRYPTIONS:
        wallet.warnings.append(
            f"memo key {key_id} has encrypted {used} memos; run lnctl memo rotate-key soon"
        )


def invoice_status(row: sqlite3.Row, now: float | None = None) -> str:
    if row["status"] == "SETTLED":
        return "SETTLED"
    return "EXPIRED" if row["expires_at"] <= (time.time() if now is None else now) else "OPEN"


def reveal_memo(wallet: Wallet, row: sqlite3.Row, purpose: str) -> str | None:
    """The memo in clear for its owner, a marker (and one warning) when it cannot be shown."""
    if row["memo"] is None:
        return None
    try:
        keyring = wallet.keyring(create=False)
        if keyring is None:
            raise MemoKeyError("no memo key is available", code="MEMO_KEY_MISSING")
        return keyring.decrypt(row["memo"], purpose, row["payment_hash"])
    except LnctlError as exc:
        warning = f"some memos cannot be shown: {exc.message}"
        if warning not in wallet.warnings:
            wallet.warnings.append(warning)
        return MEMO_UNAVAILABLE


def invoice_document(wallet: Wallet, row: sqlite3.Row, *, with_memo: bool = True) -> dict[str, Any]:
    return {
        "id": row["payment_hash"],
        "payment_hash": row["payment_hash"],
        "invoice": row["bolt11"],
        "status": invoice_status(row),
        "amount_msat": row["amount_msat"],
        "received_msat": row["received_msat"],
        "description": row["description"],
        "description_hash": row["description_hash"],
        "memo": reveal_memo(wallet, row, "invoice") if with_memo else None,
        "created_at": row["created_at"],
        "expires_at": row["expires_at"],
        "settled_at": row["settled_at"],
        # the preimage proves payment; it is shown only once the invoice is settled
        "preimage": row["preimage"] if row["status"] == "SETTLED" else None,
    }


def list_invoices(
    wallet: Wallet, status: str | None, limit: int, cursor: int | None
) -> dict[str, Any]:
    rows, next_cursor = wallet.history.list_invoices(status, limit, cursor)
    return {
        "invoices": [invoice_document(wallet, r) for r in rows],
        "next_cursor": next_cursor,
    }


def memo_verify(wallet: Wallet, payment_hash: str, text: str) -> dict[str, Any]:
    """Does ``text`` match the description (hash) of this invoice or payment?"""
    payment_hash = normalize_hash(payment_hash)
    row = wallet.history.get_invoice(payment_hash)
    if row is not None:
        desc, desc_hash = row["description"], row["description_hash"]
    else:
        pay = wallet.history.get_payment(payment_hash)
        if pay is None:
            raise NotFoundError(f"no invoice or payment with payment hash {payment_hash}")
        decoded = bolt11.decode(pay["bolt11"])
        desc, desc_hash = decoded.description, decoded.description_hash
    digest = sha256(text.encode("utf-8")).hexdigest()
    match = digest == desc_hash if desc_hash else text == desc
    return {
        "payment_hash": payment_hash,
        "match": match,
        "description_hash": desc_hash,
        "text_sha256": digest,
    }


def normalize_hash(value: str) -> str:
    value = value.strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise InvalidInputError(
            f"not a payment hash: {value[:80]!r}",
            code="INVALID_HASH",
            hint="a payment hash is 64 hex characters",
        )
    return value
