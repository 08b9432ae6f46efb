"""``--idempotency-key KEY``: one payment per key, so that a re-run job does not pay twice (an
LNURL service hands out a new invoice each time: without a key, a re-run pays again).

The key is held by a lock between processes (``$LNCTL_HOME/locks/key-<sha256>.lock``) from before
anything is resolved until the payment's outcome is recorded, and stored with the payment
(``payments.idempotency_key``, unique). A run that finds the key taken ends as a run that finds
its invoice taken: paid (ALREADY_PAID, exit 5, or 0 with ``--if-paid ok``), in flight
(ALREADY_IN_FLIGHT, exit 5) or needing attention (NEEDS_ATTENTION, exit 5); a key whose payment
FAILED is paid again. Imported only when a key is given.
"""

from __future__ import annotations

from lnctl.core.documents import payment_document
from lnctl.core.locks import HashLock
from lnctl.core.verdict import existing_outcome
from lnctl.errors import Code, DuplicatePaymentError, InvalidInputError
from lnctl.storage.rows import NEEDS_ATTENTION, SUCCEEDED

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.core.documents import PaymentDocument
    from lnctl.core.wallet import Wallet

MAX_KEY_CHARS = 128


def check_key(key: str) -> str:
    """A key is 1 to 128 printable ASCII characters without spaces (INVALID_IDEMPOTENCY_KEY,
    exit 2, otherwise)."""
    if (
        not 0 < len(key) <= MAX_KEY_CHARS
        or not key.isascii()
        or not key.isprintable()
        or " " in key
    ):
        raise InvalidInputError(
            "--idempotency-key is 1 to 128 printable ASCII characters without spaces",
            code=Code.INVALID_IDEMPOTENCY_KEY,
        )
    return key


def key_lock(wallet: Wallet, key: str) -> HashLock:
    from hashlib import sha256

    return HashLock(wallet.home, "key-" + sha256(key.encode("ascii")).hexdigest())


def hold_key(wallet: Wallet, key: str, if_paid: str) -> HashLock | PaymentDocument:
    """The key's lock, held (the caller releases it once the payment's outcome is recorded),
    when no payment holds the key or only one that FAILED; the stored document of the payment
    made under it when that one is paid and ``if_paid == 'ok'``. Raises DuplicatePaymentError
    (exit 5) for a key whose payment is paid, in flight (here, or in another process holding the
    key) or needs attention."""
    check_key(key)
    subject = f"the payment of idempotency key {key}"
    lock = key_lock(wallet, key)
    if not lock.try_acquire():
        stored = wallet.history.payment_by_key(key)
        if stored is not None and stored.status in (SUCCEEDED, NEEDS_ATTENTION):
            done = existing_outcome(stored, if_paid, subject)  # raises unless --if-paid ok
            assert done is not None
            return done
        raise DuplicatePaymentError(
            f"{subject} is already in flight (another lnctl payment holds the key)",
            code=Code.ALREADY_IN_FLIGHT,
            hint="do not pay again; look it up later: lnctl payments",
            details={"payment": payment_document(stored) if stored is not None else None},
        )
    try:
        done = existing_outcome(wallet.history.payment_by_key(key), if_paid, subject)
    except BaseException:
        lock.release()
        raise
    if done is not None:
        lock.release()
        return done
    return lock
