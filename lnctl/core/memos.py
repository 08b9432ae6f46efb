"""Memos, as their owner uses them: encrypt under the keyring's primary key, show, verify,
rotate the key. The cipher itself and the keyring's storage are ``lnctl.memo``."""

from __future__ import annotations

from contextlib import contextmanager

from lnctl import failpoints
from lnctl.core.hashes import resolve_hash
from lnctl.errors import Code, InvalidInputError, LnctlError, MemoKeyError, NotFoundError

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Literal

    from lnctl.core.documents import KeyRotation, MemoShown, MemoVerdict
    from lnctl.core.wallet import Wallet
    from lnctl.memo import Keyring
    from lnctl.storage.rows import InvoiceRow, PaymentRow

    Purpose = Literal["invoice", "payment"]  # what a memo belongs to (bound into its cipher)

BATCH = 500
MEMO_UNAVAILABLE = "[memo unavailable]"


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
            code=Code.MEMO_KEY_EXHAUSTED,
            hint="run lnctl memo rotate-key",
        )
    if used >= WARN_ENCRYPTIONS:
        wallet.warnings.append(
            f"memo key {key_id} has encrypted {used} memos; run lnctl memo rotate-key soon"
        )


def reveal_memo(wallet: Wallet, row: InvoiceRow | PaymentRow, purpose: Purpose) -> str | None:
    """The memo in clear for its owner, a marker (and one warning) when it cannot be shown."""
    if row.memo is None:
        return None
    try:
        keyring = wallet.keyring(create=False)
        if keyring is None:
            raise MemoKeyError("no memo key is available", code=Code.MEMO_KEY_MISSING)
        return keyring.decrypt(row.memo, purpose, row.payment_hash)
    except LnctlError as exc:
        warning = f"some memos cannot be shown: {exc.message}"
        if warning not in wallet.warnings:
            wallet.warnings.append(warning)
        return MEMO_UNAVAILABLE


def memo_verify(wallet: Wallet, payment_hash: str, text: str) -> MemoVerdict:
    """Does ``text`` match this invoice's or payment's private memo (decrypted, compared in
    constant time) or, when it has none, its public description (hash)?"""
    import hmac
    from hashlib import sha256

    from lnctl import bolt11

    payment_hash = resolve_hash(wallet, payment_hash)
    inv = wallet.history.get_invoice(payment_hash)
    pay = wallet.history.get_payment(payment_hash)
    if inv is None and pay is None:
        raise NotFoundError(f"no invoice or payment with payment hash {payment_hash}")
    digest = sha256(text.encode("utf-8")).hexdigest()
    rows: tuple[tuple[Purpose, InvoiceRow | PaymentRow | None], ...] = (
        ("invoice", inv),
        ("payment", pay),
    )
    for purpose, row in rows:
        if row is not None and row.memo is not None:
            memo = _keyring_or_fail(wallet).decrypt(row.memo, purpose, payment_hash)
            match = hmac.compare_digest(memo.encode("utf-8"), text.encode("utf-8"))
            return {
                "payment_hash": payment_hash,
                "match": match,
                "against": "memo",
                "description_hash": None,
                "text_sha256": digest,
            }
    if inv is not None:
        desc, desc_hash = inv.description, inv.description_hash
    else:
        assert pay is not None
        decoded = bolt11.decode(pay.bolt11)
        desc, desc_hash = decoded.description, decoded.description_hash
    match = digest == desc_hash if desc_hash else text == desc
    return {
        "payment_hash": payment_hash,
        "match": match,
        "against": "description_hash" if desc_hash else "description",
        "description_hash": desc_hash,
        "text_sha256": digest,
    }


def _keyring_or_fail(wallet: Wallet) -> Keyring:
    keyring = wallet.keyring(create=False)
    if keyring is None:
        raise MemoKeyError(
            "no memo key is available",
            code=Code.MEMO_KEY_MISSING,
            hint="set LNCTL_MEMO_KEY, or restore secrets/memo.keys from a backup",
        )
    return keyring


def show(wallet: Wallet, payment_hash: str) -> MemoShown:
    """Decrypt the memo of one invoice or payment. Errors (missing key, tampering) propagate."""
    payment_hash = resolve_hash(wallet, payment_hash)
    rows: tuple[tuple[Purpose, InvoiceRow | PaymentRow | None], ...] = (
        ("invoice", wallet.history.get_invoice(payment_hash)),
        ("payment", wallet.history.get_payment(payment_hash)),
    )
    found = [
        (purpose, row.memo) for purpose, row in rows if row is not None and row.memo is not None
    ]
    if not found:
        raise NotFoundError(f"no memo for payment hash {payment_hash}", code=Code.NO_MEMO)
    keyring = _keyring_or_fail(wallet)
    purpose, memo = found[0]
    return {
        "payment_hash": payment_hash,
        "kind": purpose,
        "memo": keyring.decrypt(memo, purpose, payment_hash),
    }


def rotate_key(wallet: Wallet) -> KeyRotation:
    """Make a new primary key, re-encrypt every memo under it, retire keys nothing uses.

    Crash-safe: the new key is saved before any memo moves, each memo moves in its own committed
    batch, and an old key is dropped only once no memo uses it. Running it again after a crash
    resumes the unfinished rotation instead of starting another."""
    from lnctl.memo import KeyringLock, new_key

    if wallet.config.memo_key_b64:
        raise InvalidInputError(
            "the memo key comes from LNCTL_MEMO_KEY, which lnctl cannot rotate",
            code=Code.MEMO_KEY_FROM_ENV,
            hint="unset LNCTL_MEMO_KEY to rotate the keyring in secrets/",
        )
    with KeyringLock(wallet.config.path("secrets")):
        keyring = wallet.keyring(create=True)
        assert keyring is not None
        # the explicit marker, not the retiring keys, says a rotation is unfinished: a memo that
        # cannot be read keeps its old key retiring, and the next rotation still makes a new key
        resumed = keyring.rotating
        if not resumed:
            kid, key = new_key()
            keyring.retiring = set(keyring.keys)
            keyring.keys[kid] = key
            keyring.primary = kid
            keyring.rotating = True
            keyring.save()
        failpoints.hit("rotate_after_new_key", wallet.env)
        moved, unreadable = _reencrypt(wallet)
        failpoints.hit("rotate_before_retire", wallet.env)
        in_use = wallet.history.memo_key_ids_in_use()
        retired = sorted(k for k in keyring.retiring if k not in in_use)
        for kid in retired:
            del keyring.keys[kid]
        keyring.retiring -= set(retired)
        keyring.rotating = False
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
    tables: tuple[tuple[str, Purpose], ...] = (("invoices", "invoice"), ("payments", "payment"))
    for table, purpose in tables:
        skip.clear()
        while True:
            rows = [
                r
                for r in history.rows_with_memos(table, keyring.primary, BATCH + len(skip))
                if r[0] not in skip
            ][:BATCH]
            if not rows:
                break
            updates = []
            for row_id, payment_hash, memo, _ in rows:
                try:
                    text = keyring.decrypt(memo, purpose, payment_hash)
                except LnctlError:
                    skip.add(row_id)
                    unreadable += 1
                    continue
                updates.append(
                    (keyring.encrypt(text, purpose, payment_hash), keyring.primary, row_id, memo)
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
