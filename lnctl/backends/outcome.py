"""One classification of what a node answers to a payment. Every backend's answer goes through it:
a backend says what it saw (an ``Answer``), and only this module concludes, so a new backend
cannot get an outcome wrong on its own.

There are four outcomes, and no fifth:

- **definite success**: a preimage whose SHA-256 is the payment hash. A success the node claims
  without one is not proof: the wallet keeps it aside (NEEDS_ATTENTION, ``lnctl.core.settle``).
- **definite failure**: the node's own structured statement that the payment failed, once a
  lookup has found no success (a lookup that cannot be made leaves the statement standing).
- **not sent**: refused before anything happened. A backend raises a ``NOT_SENT`` error from
  ``send`` only when nothing of the payment reached the node (no connection, credentials or an
  invoice refused up front); an answer that says "refused" but may come from something in front
  of the node (a proxy's 400, a 4xx) is checked by a lookup first (``REFUSED``).
- **unknown**: everything else (no answer by the deadline, a dropped connection, an answer that
  cannot be read, an error without structure, a status nobody knows). The payment is looked up;
  what the lookup proves is the outcome, a payment the node holds in flight is polled until the
  deadline, and otherwise it stays PENDING: exit 6, never sent again.

A payment the node says is in flight is polled (the lookup, backing off to a cap) until the
deadline. "Already paid" and "already in flight" answers are the node refusing to send twice: a
lookup tells whether the payment it has is this wallet's (reported with ``duplicate``).
"""

from __future__ import annotations

from lnctl.backends.base import ALREADY_PAID, CANCELED, PaymentState, PaymentStatus
from lnctl.errors import (
    BackendAuthError,
    BackendUnavailableError,
    Code,
    DuplicatePaymentError,
    InvalidInputError,
    LnctlError,
    LockTimeoutError,
)
from lnctl.records import record

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable

    from lnctl.backends.base import Backend
    from lnctl.bolt11 import Invoice
    from lnctl.deadline import Deadline

# What a node can answer to a payment request (Answer.kind)
SUCCESS = "SUCCESS"  # the node says it paid, with this preimage
FAILURE = "FAILURE"  # the node's own structured statement that the payment failed
PENDING = "PENDING"  # the node says the payment is in flight
PAID_ALREADY = "PAID_ALREADY"  # the node refused: this hash is paid already (by whom: a lookup)
IN_FLIGHT_ALREADY = "IN_FLIGHT_ALREADY"  # the node refused: this hash is in flight already
REFUSED = "REFUSED"  # a refusal that may come from in front of the node: a lookup decides
UNKNOWN = "UNKNOWN"  # anything else
KINDS = (SUCCESS, FAILURE, PENDING, PAID_ALREADY, IN_FLIGHT_ALREADY, REFUSED, UNKNOWN)

# The errors that mean "nothing of the payment reached the node": not reached, refused outright,
# or busy past the wait for its lock (LOCK_TIMEOUT: the embedded node never started the step)
NOT_SENT = (BackendUnavailableError, BackendAuthError, InvalidInputError, LockTimeoutError)

POLL_FIRST_S = 0.05  # the first wait before looking a pending payment up again
POLL_CAP_S = 1.0  # waits double up to this


@record(frozen=True, slots=True)
class Answer:
    """What a node answered to one payment request, before anything is concluded."""

    kind: str
    preimage: str | None = None
    fee_msat: int | None = None
    failure_reason: str | None = None
    channel_id: str | None = None  # SUCCESS: the channel it left by, where the node says
    detail: str | None = None  # the server's own words (untrusted: sanitized where shown)
    due_s: float | None = None  # PENDING: seconds until the node expects to know
    refusal: LnctlError | None = None  # REFUSED: the error, should the node have no record


class NotSent(Exception):  # noqa: N818 - an outcome carried to the wallet, not an error of ours
    """Nothing of the payment reached the node (or the node refused it before acting): the
    wallet undoes its claim and reports ``error``."""

    def __init__(self, error: LnctlError) -> None:
        super().__init__(error.message)
        self.error = error


def proves(preimage: str | None, payment_hash: str) -> bool:
    """Is ``preimage`` (hex) the one whose SHA-256 is ``payment_hash``?"""
    from hashlib import sha256  # when a payment ends, not on every command's start

    try:
        return sha256(bytes.fromhex(preimage or "")).hexdigest() == payment_hash
    except ValueError:
        return False


def pay(
    backend: Backend,
    invoice: Invoice,
    amount_msat: int,
    max_fee_msat: int,
    *,
    deadline: Deadline,
    induce_failure: bool = False,
) -> PaymentStatus:
    """Send one payment request through ``backend`` and conclude what its answer proves (see the
    module's rules). Raises NotSent when nothing was sent."""
    try:
        answer = backend.send(
            invoice, amount_msat, max_fee_msat, deadline=deadline, induce_failure=induce_failure
        )
    except NOT_SENT as exc:
        raise NotSent(exc) from exc
    return settle(answer, invoice.payment_hash, backend.payment_status, deadline)


def settle(
    answer: Answer,
    payment_hash: str,
    lookup: Callable[[str], PaymentStatus],
    deadline: Deadline,
) -> PaymentStatus:
    """The outcome an answer and the node's record prove, looked up (and polled while the node
    holds the payment in flight) within ``deadline``."""

    def ask() -> PaymentStatus | None:
        try:
            return lookup(payment_hash)
        except LnctlError:  # the lookup could not be made or read: it proves nothing
            return None

    kind = answer.kind
    if kind == SUCCESS:
        claimed = PaymentStatus(
            PaymentState.SUCCEEDED,
            preimage=answer.preimage,
            fee_msat=answer.fee_msat,
            channel_id=answer.channel_id,
        )
        if proves(answer.preimage, payment_hash):
            return claimed
        found = ask()  # a success without proof: the node's record may hold it
        if found is not None and found.state == PaymentState.SUCCEEDED:
            return found
        return claimed  # kept aside by the wallet (NEEDS_ATTENTION), never a proven success
    if kind == PENDING:
        return poll(ask, deadline, answer.due_s)
    found = ask()
    if found is not None and found.state == PaymentState.SUCCEEDED:
        duplicate = kind in (PAID_ALREADY, IN_FLIGHT_ALREADY)
        return _as(found, duplicate=duplicate, detail=answer.detail)
    if kind == FAILURE:
        return PaymentStatus(
            PaymentState.FAILED,
            failure_reason=answer.failure_reason or CANCELED,
            detail=answer.detail,
        )
    if kind in (PAID_ALREADY, IN_FLIGHT_ALREADY):
        if found is not None and found.state == PaymentState.PENDING:
            return _as(found, duplicate=True, detail=answer.detail)
        if kind == PAID_ALREADY:  # paid by someone else: nothing of ours was sent or is due
            return PaymentStatus(
                PaymentState.FAILED, failure_reason=ALREADY_PAID, detail=answer.detail
            )
        raise NotSent(
            DuplicatePaymentError(
                "the node already has a payment of this invoice in flight, not this wallet's; "
                "nothing was sent",
                code=Code.ALREADY_IN_FLIGHT,
                hint="do not pay again; the payment in flight decides (lnctl pay --dry-run asks "
                "the node again)",
            )
        )
    if kind == REFUSED:
        if found is None or found.state == PaymentState.UNKNOWN:
            assert answer.refusal is not None
            raise NotSent(answer.refusal)
        if found.state == PaymentState.PENDING:
            return poll(ask, deadline, None)
        return _as(found, detail=answer.detail)
    # UNKNOWN: what the lookup proves, else pending
    if found is None or found.state == PaymentState.UNKNOWN:
        return PaymentStatus(PaymentState.PENDING, detail=answer.detail)
    if found.state == PaymentState.PENDING:
        return poll(ask, deadline, None)
    return found  # the node's own record of a failure


def poll(
    ask: Callable[[], PaymentStatus | None], deadline: Deadline, first_s: float | None
) -> PaymentStatus:
    """Look a payment the node holds in flight up until it ends or the deadline passes (waits
    doubling from ``POLL_FIRST_S``, or first the node's own estimate, up to ``POLL_CAP_S``)."""
    wait = POLL_FIRST_S if first_s is None else max(0.0, first_s)
    hinted = first_s is not None
    while deadline.sleep(wait):
        found = ask()
        if found is not None and found.state in (PaymentState.SUCCEEDED, PaymentState.FAILED):
            return found
        wait = 0.005 if hinted else min(POLL_CAP_S, max(POLL_FIRST_S, wait * 2))
        hinted = False
    return PaymentStatus(PaymentState.PENDING)


def _as(found: PaymentStatus, *, duplicate: bool = False, detail: str | None) -> PaymentStatus:
    from lnctl.records import replace

    return replace(found, duplicate=duplicate or found.duplicate, detail=found.detail or detail)
