"""What a success needs before the wallet books it: the node's proof and its fee.

The history is never a source of money: a payment is SUCCEEDED only with a preimage whose SHA-256
is the payment hash and with the fee the node reports, within the cap it was given. Shared by
recording a payment's outcome (``lnctl.core.settle``) and by correcting an older history from the
node's record (``lnctl.core.rebuild``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.backends.base import PaymentStatus
    from lnctl.storage.rows import PaymentRow


def success_problem(row: PaymentRow, status: PaymentStatus) -> str | None:
    """Why a success the node reports cannot be recorded as it is (None: it can)."""
    # the outcomes' module when a success is to be recorded: a listing that refreshes its open
    # invoices starts without it
    from lnctl.backends.outcome import proves

    if not proves(status.preimage, row.payment_hash):
        return "the node reported success without a preimage that matches the payment hash"
    fee = status.fee_msat
    if type(fee) is not int or fee < 0:
        return "the node reported success without the fee it paid"
    if fee > row.max_fee_msat:
        return f"the node reported a fee of {fee} msat, above the cap of {row.max_fee_msat} msat"
    return None
