"""Bringing a history up to what the node knows: a history that is missing, empty or behind the
node's record (restored from an older backup, or left one step behind by a command that
stopped) gets what the node has and it lacks, and nothing else.

The node's record is the source here, never the other way round: invoices and payments the
history lacks are added, invoices the node has settled are settled, and a payment the history has
FAILED that the node has since paid is corrected to SUCCEEDED, with its proof
(``lnctl.core.proof``). Memos, descriptions kept only by the wallet and counters are not the
node's to give back. ``lnctl.core.wallet`` decides when (its identity and step checks).
"""

from __future__ import annotations

import time

from lnctl import bolt11, log
from lnctl.backends.base import InvoiceState, PaymentState
from lnctl.core.proof import success_problem
from lnctl.errors import InvalidInvoiceError
from lnctl.storage.rows import FAILED, IN_FLIGHT, OPEN, SETTLED, SUCCEEDED

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.backends.base import Backend
    from lnctl.storage.history import History
    from lnctl.storage.rows import PaymentStatusName

# An invoice the node made this recently may still be on its way into the history (another
# process between asking the node and recording): an older history is repaired without it.
RECENT_S = 60

# What the history records of a payment the node has, by the node's state
RECORDED_AS: dict[str, PaymentStatusName] = {
    PaymentState.SUCCEEDED: SUCCEEDED,
    PaymentState.FAILED: FAILED,
    PaymentState.PENDING: IN_FLIGHT,
    PaymentState.UNKNOWN: IN_FLIGHT,
}


def rebuild_history(
    history: History, backend: Backend, *, everything: bool = False, since: int | None = None
) -> tuple[int, int]:
    """Bring ``history`` up to what ``backend`` knows: add every invoice and payment the node has
    and the history lacks (with ``everything`` false, not the invoices made in the last
    ``RECENT_S`` seconds), settle the invoices the node has settled, and correct a payment the
    history has FAILED that the node has since paid (with its proof). With ``since``, only what
    changed at the node after that step of its record. Returns (added, corrected)."""
    added = corrected = 0
    recent = time.time() - RECENT_S
    for inv in backend.export_invoices(since):
        settled = inv.status.state == InvoiceState.SETTLED
        row = history.get_invoice(inv.payment_hash)
        if row is not None:
            if settled and row.status == OPEN:
                history.settle_invoice(
                    inv.payment_hash,
                    inv.status.received_msat or 0,
                    inv.status.settled_at,
                    inv.status.preimage,
                )
            continue
        if not everything and inv.created_at > recent:
            continue
        try:
            decoded = bolt11.decode(inv.bolt11)
        except InvalidInvoiceError:
            continue
        added += history.import_invoice(
            {
                "payment_hash": inv.payment_hash,
                "bolt11": inv.bolt11,
                "amount_msat": decoded.amount_msat,
                "description": decoded.description,
                "description_hash": decoded.description_hash,
                "created_at": inv.created_at,
                "expires_at": inv.expires_at,
                "status": SETTLED if settled else OPEN,
                "settled_at": inv.status.settled_at if settled else None,
                "received_msat": inv.status.received_msat if settled else None,
            }
        )
    for pay in backend.export_payments(since):
        status = pay.status
        found = history.get_payment(pay.payment_hash)
        if found is not None:
            # a FAILED record of a payment the node has paid since: only a history older than
            # the node's record has one (a payment is claimed IN_FLIGHT before it is sent)
            if (
                found.status == FAILED
                and status.state == PaymentState.SUCCEEDED
                and success_problem(found, status) is None
            ):
                assert status.preimage is not None and status.fee_msat is not None
                corrected += history.correct_to_success(
                    pay.payment_hash, status.preimage, status.fee_msat, pay.attempts
                )
            continue
        if not pay.bolt11:
            continue
        try:
            decoded = bolt11.decode(pay.bolt11)
        except InvalidInvoiceError:
            continue
        added += history.import_payment(
            {
                "payment_hash": pay.payment_hash,
                "bolt11": pay.bolt11,
                "payee": decoded.payee,
                "description_hash": decoded.description_hash,
                "amount_msat": pay.amount_msat,
                "max_fee_msat": pay.max_fee_msat,
                "fee_msat": status.fee_msat,
                "status": RECORDED_AS[status.state],
                "attempts": max(pay.attempts, 1),
                "failure_reason": status.failure_reason,
                "preimage": status.preimage,
                "created_at": pay.created_at,
            }
        )
    if added or corrected:
        log.event("info", "history_rebuilt", added=added + corrected)
    return added, corrected
