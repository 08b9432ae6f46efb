"""Recording what the node said about a payment: shared by the payment lifecycle and recovery.

The history is never a source of money: a payment is SUCCEEDED only with its proof and fee
(``lnctl.core.proof``). Anything else the node says about a success is a backend error: the
payment is kept aside as NEEDS_ATTENTION (never paid again automatically, listed by ``lnctl
payments --status needs_attention``). A payment the node has no record of is failed only when it
provably never reached the node (``never_reached``); else it stays IN_FLIGHT.
"""

from __future__ import annotations

import time

from lnctl import log
from lnctl.backends.base import (
    CANCELED,
    NEVER_REACHED_NODE,
    InvoiceState,
    PaymentState,
    PaymentStatus,
)
from lnctl.core.proof import success_problem
from lnctl.storage.rows import IN_FLIGHT

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.core.wallet import Wallet
    from lnctl.storage.rows import PaymentRow

# An attempt the node has no record of, on a backend reached over a network, is taken as never
# received only once its invoice has expired and this long has passed since it was sent: no
# request lost in a dropped connection arrives that late.
UNKNOWN_GRACE_S = 600


def conclude(
    wallet: Wallet, row: PaymentRow, status: PaymentStatus, *, note: bool = True
) -> PaymentRow:
    """Record ``status`` for the IN_FLIGHT payment ``row`` (the caller holds its hash lock).
    Returns the stored record: SUCCEEDED, FAILED, NEEDS_ATTENTION, or still IN_FLIGHT. The
    history notes, in the same commit, the step of the node's record it has now seen (unless
    ``note`` is false: a caller that records many in one transaction notes it once)."""
    if not note:
        return _record(wallet, row, status)
    with wallet.history.transaction():
        final = _record(wallet, row, status)
        wallet.note_node()
    return final


def _record(wallet: Wallet, row: PaymentRow, status: PaymentStatus) -> PaymentRow:
    history = wallet.history
    payment_hash = row.payment_hash
    if status.duplicate and row.status == IN_FLIGHT and row.attempts > 0:
        # the node refused to send it again: what it has is not this wallet's attempt
        row = history.uncount_attempt(payment_hash)
    if status.state == PaymentState.SUCCEEDED:
        problem = success_problem(row, status)
        if problem is not None:
            log.event("info", "payment_needs_attention", payment_hash=payment_hash)
            return history.mark_attention(payment_hash, problem)
        assert status.preimage is not None and status.fee_msat is not None
        # a success this wallet did not send (learned of through "already paid", or found by
        # recovery for a record with no attempt) is recorded, never counted as its own
        ours = not status.duplicate and row.attempts > 0
        final = history.record_success(
            payment_hash, status.preimage, status.fee_msat, ours=ours, channel_id=status.channel_id
        )
        if row.payee == wallet.history.meta("node_id"):
            refresh_invoice(wallet, payment_hash)  # a payment to ourselves settles our invoice
        return final
    if status.state == PaymentState.FAILED:
        return history.record_failure(payment_hash, status.failure_reason or CANCELED)
    if status.state == PaymentState.UNKNOWN and never_reached(wallet, row):
        return history.record_failure(
            payment_hash, CANCELED if row.attempts == 0 else NEVER_REACHED_NODE
        )
    return row


def never_reached(wallet: Wallet, row: PaymentRow) -> bool:
    """May a payment the node has no record of be taken as never sent? Yes when no attempt was
    started, or the node is embedded (its record is written in the same step as it acts), or the
    invoice has expired and ``UNKNOWN_GRACE_S`` has passed since the last attempt was sent."""
    if row.attempts == 0 or wallet.backend.capabilities.embedded:
        return True
    from lnctl import bolt11  # only for a remote node's silence about a payment

    expired = bolt11.decode(row.bolt11).is_expired()
    sent = row.last_sent_at or row.updated_at
    return expired and time.time() - float(sent) > UNKNOWN_GRACE_S


def refresh_invoice(wallet: Wallet, payment_hash: str) -> bool:
    """Record what the node says of one of our OPEN invoices, if it has settled. True if the
    node says it has (recorded here or by another process): the history's row has changed."""
    status = wallet.backend.invoice_status(payment_hash)
    if status is None or status.state != InvoiceState.SETTLED:
        return False
    with wallet.history.transaction():
        wallet.history.settle_invoice(
            payment_hash, status.received_msat or 0, status.settled_at, status.preimage
        )
        wallet.note_node()
    return True
