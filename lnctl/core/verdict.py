"""What a payment's recorded outcome means to whoever asked for it: its document on success, else
the error to raise, with the exit code the README promises (0 only with a proof; 3 or 4 only when
the node said it failed; 5 a duplicate; 6 pending, never "failed"). One decision for a single pay
and every payment of a batch (``lnctl.core.payments.Flight.result``).
"""

from __future__ import annotations

from lnctl.backends.base import (
    ALREADY_PAID,
    FEE_LIMIT_EXCEEDED,
    INCORRECT_PAYMENT_DETAILS,
    INSUFFICIENT_BALANCE,
    INVOICE_EXPIRED,
    NEVER_REACHED_NODE,
    NO_ROUTE,
    TIMEOUT,
)
from lnctl.core.documents import payment_document
from lnctl.errors import (
    Code,
    DuplicatePaymentError,
    NeedsAttentionError,
    PaymentFailedError,
    PaymentPendingError,
    RetriesExhaustedError,
)
from lnctl.storage.rows import FAILED, IN_FLIGHT, NEEDS_ATTENTION, SUCCEEDED

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.backends.base import PaymentStatus
    from lnctl.core.documents import PaymentDocument
    from lnctl.core.wallet import Wallet
    from lnctl.storage.rows import PaymentRow


def outcome(
    row: PaymentRow,
    status: PaymentStatus,
    timed_out: bool,
    timeout_s: float,
    if_paid: str,
    elapsed: float | None = None,
    wallet: Wallet | None = None,
) -> PaymentDocument:
    """The result of ``pay`` for the recorded ``row``: its document, or the error to raise.
    ``elapsed``: how long the payment took (a pending one says whether time ran out)."""
    doc = payment_document(row)
    details: dict[str, object] = {"payment": doc}
    payment_hash = row.payment_hash
    state = row.status
    if state == NEEDS_ATTENTION:
        raise NeedsAttentionError(
            f"the node's answer cannot be accepted: {row.attention}",
            hint="the payment is kept aside and never paid again automatically; check the node",
            details=details,
        )
    if state == SUCCEEDED:
        if status.duplicate:
            if if_paid == "ok":
                return doc
            raise DuplicatePaymentError(
                "the node has already paid this invoice",
                code=ALREADY_PAID,
                hint=f"lnctl lookup {payment_hash} shows it; --if-paid ok exits 0 instead",
                details=details,
            )
        return doc
    if state == IN_FLIGHT:
        if status.duplicate:
            raise DuplicatePaymentError(
                "the node already has a payment of this invoice in flight",
                code=Code.ALREADY_IN_FLIGHT,
                hint=f"do not pay again; look it up later: lnctl lookup {payment_hash}",
                details=details,
            )
        if elapsed is None or elapsed >= timeout_s - 0.5:
            message = f"no outcome within {timeout_s:g} s: the payment is still in flight"
        else:  # the node's answer did not prove anything, and no lookup could tell yet
            why = f" ({_said(status.detail)})" if status.detail else ""
            message = f"the outcome is not known yet{why}: the payment is still in flight"
        raise PaymentPendingError(
            message,
            code=Code.PAYMENT_PENDING,
            hint=f"do not pay again; look it up later: lnctl lookup {payment_hash}",
            details=details,
        )
    reason = row.failure_reason or "CANCELED"
    if reason == ALREADY_PAID:
        raise DuplicatePaymentError(
            "the payee says this invoice is already paid",
            code=ALREADY_PAID,
            hint="nothing was sent this time; lnctl lookup shows what is known",
            details=details,
        )
    if status.transient:
        if timed_out:
            raise RetriesExhaustedError(
                f"payment failed: no time left for another attempt after {row.attempts} "
                f"({status.failure_reason})",
                code=TIMEOUT,
                hint="try again later, or raise --timeout",
                details=details,
            )
        raise RetriesExhaustedError(
            f"payment failed after {row.attempts} attempt(s): {reason}",
            code=reason,
            hint="try again later, or raise --retries / --timeout",
            details=details,
        )
    said = f" (the server said: {_said(status.detail)})" if status.detail else ""
    hint = _FAILURE_HINTS.get(reason, "")
    if reason == INSUFFICIENT_BALANCE and wallet is not None:
        hint = _short_of(wallet, row)
    raise PaymentFailedError(
        f"payment failed: {reason}{said}", code=reason, hint=hint, details=details
    )


def _short_of(wallet: Wallet, row: PaymentRow) -> str:
    """The hint of an INSUFFICIENT_BALANCE: on a node with channels, how much the payment needs in
    one channel (amount + the route's fee), how much the best one can spend, and the channel that
    would carry it."""
    if not wallet.capabilities.channels:
        return "not enough spendable balance (lnctl info shows the balance)"
    from lnctl import bolt11
    from lnctl.backends.channels import OUT, best_channel, spendable_msat
    from lnctl.backends.simulated.ledger import capacity_for

    node = wallet.simulated
    need = row.amount_msat
    if wallet.capabilities.fee_quote:
        need += node.quote(bolt11.decode(row.bolt11), row.amount_msat).fee_msat
    best = best_channel(node.channels(), OUT)
    have = spendable_msat(best) if best is not None else 0
    size = capacity_for(need)
    return (
        f"needs {-(-need // 1000):,} sat in one channel (amount + fee), the best can spend "
        f"{have // 1000:,} sat: open one of {size:,} sat (lnctl channel open --peer "
        f"{node.peer_id} --capacity {size}), or see lnctl channel balance"
    )


def _said(detail: str) -> str:
    """The server's own words, clipped to one short line (sanitized when printed)."""
    line = " ".join(detail.split())
    return line if len(line) <= 200 else line[:199] + "…"


_FAILURE_HINTS = {
    NO_ROUTE: "the payee cannot be reached from this wallet",
    INCORRECT_PAYMENT_DETAILS: "the payee does not know this invoice, or it is already paid",
    INVOICE_EXPIRED: "ask the payee for a new invoice",
    INSUFFICIENT_BALANCE: "not enough spendable balance",
    FEE_LIMIT_EXCEEDED: "the route costs more than the fee cap: raise --max-fee",
    NEVER_REACHED_NODE: "the node never had this payment; it may be paid again",
}


def existing_outcome(
    row: PaymentRow | None, if_paid: str, subject: str = "this invoice"
) -> PaymentDocument | None:
    """For a hash (or an idempotency key: ``subject`` names it) this wallet has a record of: the
    stored document when it is already paid and ``if_paid == 'ok'``; raises
    DuplicatePaymentError (exit 5) when paid, in flight or needing attention; None when it may
    be paid (no record, or FAILED)."""
    if row is None or row.status == FAILED:
        return None
    doc = payment_document(row)
    payment_hash = row.payment_hash
    if row.status == SUCCEEDED:
        if if_paid == "ok":
            return doc
        raise DuplicatePaymentError(
            f"{subject} is already paid",
            code=ALREADY_PAID,
            hint=f"lnctl lookup {payment_hash} shows it; --if-paid ok exits 0 instead",
            details={"payment": doc},
        )
    if row.status == NEEDS_ATTENTION:
        raise DuplicatePaymentError(
            f"a payment of {subject} needs attention: {row.attention}",
            code=Code.NEEDS_ATTENTION,
            hint="check the node before paying it again (lnctl payments --status needs_attention)",
            details={"payment": doc},
        )
    raise DuplicatePaymentError(
        f"a payment of {subject} is already in flight",
        code=Code.ALREADY_IN_FLIGHT,
        hint=f"do not pay again; look it up later: lnctl lookup {payment_hash}",
        details={"payment": doc},
    )
