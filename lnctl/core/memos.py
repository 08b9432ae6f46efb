"""Memo operations for their owner: show one, rotate the key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lnctl.core import failpoints
from lnctl.core.invoices import normalize_hash
from lnctl.errors import InvalidInputError, LnctlError, NotFoundError

if TYPE_CHECKING:
    from lnctl.core.wallet import Wallet

BATCH = 500


def show(wallet: Wallet, payment_hash: str) -> dict[str, Any]:
    """Decrypt the memo of one invoice or payment. Errors (missing key, tampering) propagate."""
    payment_hash = normalize_hash(payment_hash)
    found = []
    for purpose, row in (
        ("invoice", wallet.history.get_invoice(payment_hash)),
        ("payment", wallet.history.get_payment(payment_hash)),
    ):
        if row is not None and row["memo"] is not None:
            found.append((purpose, row))
    if not found:
        raise NotFoundError(f"no memo for payment hash {payment_hash}", code="NO_MEMO")
    keyring = wallet.keyring(create=False)
    if keyring is None:
        from lnctl.errors import MemoKeyError

        raise MemoKeyError(
            "no memo key is available",
            code="MEMO_KEY_MISSING",
            hint="set LNCTL_MEMO_KEY, or restore secrets/memo.keys from a backup",
        )
    purpose, row = found[0]
    return {
        "payment_hash": payment_hash,
        "kind": purpose,
        "memo": keyring.decrypt(row["memo"], purpose, payment_hash),
    }


def rotate_key(wallet: Wallet) -> dict[str, Any]:
    """Make a new primary key, re-encrypt every memo under it, retire keys nothing uses.

    Crash-safe: the new key is saved before any memo moves, each memo moves in its own committed
    batch, and an old key is dropped only once no memo uses it. Running it again after a crash
    resumes the unfinished rotation instead of starting another."""
    from lnctl.memo import KeyringLock, new_key

    if wallet.config.memo_key_b64:
        raise InvalidInputError(
            "the memo key comes from LNCTL_MEMO_KEY, which lnctl cannot rotate",
            code="MEMO_KEY_FROM_ENV",
            hint="unset LNCTL_MEMO_KEY to rotate the keyring in secrets/",
        )
    with KeyringLock(wallet.config.path("secrets")):
        keyring = wallet.keyring(create=True)
        assert keyring is not None
        resumed = bool(keyring.retiring)
        if not resumed:
            kid, key = new_key()
            keyring.retiring = set(keyring.keys)
            keyring.keys[kid] = key
            keyring.primary = kid
            keyring.save()
        failpoints.hit("rotate_after_new_key", wallet.env)
        moved, unreadable = _reencrypt(wallet)
        failpoints.hit("rotate_before_retire", wallet.env)
        in_use = wallet.history.memo_key_ids_in_use()
        retired = sorted(k for k in keyring.retiring if k not in in_use)
        for kid in retired:
            del keyring.keys[kid]
        keyring.retiring -= set(retired)
        keyring.save()
    if unreadable:
        wallet.warnings.append(
            f"{unreadable} memo(s) could not be decrypted and keep their old key"
        )
    return {
        "primary_key_id": keyring.primary,
        "resumed": resumed,
        "reencrypted": moved,
        "unreadable": unreadable,
        "retired_key_ids": retired,
        "retiring_key_ids": sorted(keyring.retiring),
    }


def _reencrypt(wallet: Wallet) -> tuple[int, int]:
    from lnctl.storage.history import History

    keyring = wallet.keyring(create=False)
    assert keyring is not None
    history = wallet.history
    moved = unreadable = 0
    skip: set[int] = set()
    for table, purpose in (("invoices", "invoice"), ("payments", "payment")):
        skip.clear()
        while True:
            rows = [
                r
                for r in history.rows_with_memos(table, keyring.primary, BATCH + len(skip))
                if r["id"] not in skip
            ][:BATCH]
            if not rows:
                break
            updates = []
            for r in rows:
                try:
                    text = keyring.decrypt(r["memo"], purpose, r["payment_hash"])
                except LnctlError:
                    skip.add(r["id"])
                    unreadable += 1
                    continue
                updates.append(
                    (
                        keyring.encrypt(text, purpose, r["payment_hash"]),
                        keyring.primary,
                        r["id"],
                        r["memo"],
                    )
                )
            with history.transaction() as conn:
                cur = conn.executemany(
                    f"UPDATE {table} SET memo = ?, memo_key_id = ? WHERE id = ? AND memo = ?",
                    updates,
                )
                History.count_memo_encryption(conn, keyring.primary, len(updates))
            moved += cur.rowcount if cur.rowcount > 0 else 0
            failpoints.hit("rotate_mid_reencrypt", wallet.env)
    return moved, unreadable
