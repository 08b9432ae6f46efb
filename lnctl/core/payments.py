"""The payment flow: validate, claim, ask the node (retrying definite transient failures), record.

Rules that never bend:
- one payment per payment hash at a time, across processes (a per-hash lock plus
  ``UNIQUE(payment_hash)`` in the history store), and the node refuses a hash it has already paid
  or has in flight (the wallet records what it says and never sends again);
- only attempts that definitely failed with a transient reason are retried, with exponential
  backoff and full jitter, and never an attempt that could not finish in the time left;
- an outcome the node has not told stays pending; a success is recorded only with its proof and
  fee (``lnctl.core.settle``);
- the node owns the money: reservations, fees and the fee cap are the node's business.
"""

from __future__ import annotations

import time

from lnctl import bolt11, failpoints, log
from lnctl.backends.base import (
    ALREADY_PAID,
    FEE_LIMIT_EXCEEDED,
    INCORRECT_PAYMENT_DETAILS,
    INSUFFICIENT_BALANCE,
    INVOICE_EXPIRED,
    NEVER_REACHED_NODE,
    NO_ROUTE,
    TIMEOUT,
    PaymentState,
    PaymentStatus,
)
from lnctl.backends.outcome import NOT_SENT, NotSent
from lnctl.backends.outcome import pay as outcome_of_payment
from lnctl.bolt11 import MAX_MSAT
from lnctl.core.documents import payment_document
from lnctl.core.locks import HashLock
from lnctl.deadline import Deadline
from lnctl.errors import (
    DuplicatePaymentError,
    ExitCode,
    InvalidInputError,
    InvalidInvoiceError,
    LnctlError,
    NeedsAttentionError,
    PaymentFailedError,
    PaymentPendingError,
    RetriesExhaustedError,
    check_amount,
    check_text,
)
from lnctl.records import replace
from lnctl.storage.rows import FAILED, IN_FLIGHT, NEEDS_ATTENTION, SUCCEEDED

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from lnctl.core.documents import PaymentDocument
    from lnctl.core.wallet import Wallet
    from lnctl.storage.rows import NewPayment, PaymentRow

MIN_FEE_CAP_MSAT = 5_000  # the default fee cap is the larger of 5 sat and 1% of the amount
BACKOFF_FACTOR_S = 0.2
BACKOFF_MAX_S = 5.0
MIN_ATTEMPT_S = 0.05  # the least time worth starting an attempt with


def default_fee_cap_msat(amount_msat: int) -> int:
    return max(MIN_FEE_CAP_MSAT, amount_msat // 100)


# -- validation ------------------------------------------------------------------------------------


def validate(
    wallet: Wallet, text: str, amount_msat: int | None, max_fee_msat: int | None
) -> tuple[bolt11.Invoice, int, int]:
    """Decode strictly and check network, expiry, amount and fee cap. (invoice, amount, cap)."""
    invoice = bolt11.decode(text)
    if invoice.network != wallet.config.network:
        raise InvalidInvoiceError(
            f"invoice is for {invoice.network}, this wallet is on {wallet.config.network}",
            code="WRONG_NETWORK",
            hint="set LNCTL_NETWORK (or --network) to the wallet's network",
        )
    if invoice.is_expired():
        raise InvalidInvoiceError(
            "invoice has expired",
            code="INVOICE_EXPIRED",
            hint="ask the payee for a new invoice",
            details={"expires_at": invoice.expires_at},
        )
    if invoice.amount_msat is None:
        if amount_msat is None:
            raise InvalidInputError(
                "the invoice has no amount", code="AMOUNT_REQUIRED", hint="pass --amount SATS"
            )
        wallet.require("amountless_invoices", "paying an invoice without an amount")
        amount = check_amount(amount_msat)
    else:
        if amount_msat is not None:
            raise InvalidInputError(
                "the invoice already has an amount",
                code="AMOUNT_NOT_ALLOWED",
                hint="--amount is only for invoices without one",
            )
        amount = check_amount(invoice.amount_msat, "the invoice's amount")
    cap = default_fee_cap_msat(amount) if max_fee_msat is None else max_fee_msat
    if not 0 <= cap <= MAX_MSAT:
        raise InvalidInputError("--max-fee is out of range", code="INVALID_FEE_CAP")
    return invoice, amount, cap


# -- what an existing record means (one decision for pay and --dry-run) ----------------------------


def existing_outcome(row: PaymentRow | None, if_paid: str) -> PaymentDocument | None:
    """For a hash this wallet has a record of: the stored document when it is already paid and
    ``if_paid == 'ok'``; raises DuplicatePaymentError (exit 5) when paid, in flight or needing
    attention; None when it may be paid (no record, or FAILED)."""
    if row is None or row.status == FAILED:
        return None
    doc = payment_document(row)
    payment_hash = row.payment_hash
    if row.status == SUCCEEDED:
        if if_paid == "ok":
            return doc
        raise DuplicatePaymentError(
            "this invoice is already paid",
            code="ALREADY_PAID",
            hint=f"lnctl lookup {payment_hash} shows it; --if-paid ok exits 0 instead",
            details={"payment": doc},
        )
    if row.status == NEEDS_ATTENTION:
        raise DuplicatePaymentError(
            f"a payment of this invoice needs attention: {row.attention}",
            code="NEEDS_ATTENTION",
            hint="check the node before paying it again (lnctl payments --status needs_attention)",
            details={"payment": doc},
        )
    raise DuplicatePaymentError(
        "a payment of this invoice is already in flight",
        code="ALREADY_IN_FLIGHT",
        hint=f"do not pay again; look it up later: lnctl lookup {payment_hash}",
        details={"payment": doc},
    )


# -- pay -------------------------------------------------------------------------------------------


def check_options(
    retries: int, timeout_s: float, if_paid: str, induce_failures: int, memo: str | None
) -> None:
    """The options of ``pay`` (one payment or a batch) are in range."""
    if retries < 1:
        raise InvalidInputError("--retries must be at least 1", code="INVALID_RETRIES")
    if not 0 < timeout_s <= 86_400:
        raise InvalidInputError(
            "--timeout must be between 0 and 86400 seconds", code="INVALID_TIMEOUT"
        )
    if if_paid not in ("error", "ok"):
        raise InvalidInputError("--if-paid is 'error' or 'ok'", code="INVALID_OPTION")
    if induce_failures < 0:
        raise InvalidInputError("--induce-failure takes a count of 0 or more", code="USAGE")
    check_text(memo, "--memo")
    from lnctl.core.invoices import MAX_MEMO_BYTES

    if memo is not None and len(memo.encode("utf-8")) > MAX_MEMO_BYTES:
        raise InvalidInputError(f"memo is longer than {MAX_MEMO_BYTES} bytes", code="MEMO_TOO_LONG")


def lock_busy(wallet: Wallet, payment_hash: str, if_paid: str) -> PaymentDocument:
    """For a hash whose lock another payment holds (another process, or another line of this
    batch): a payment already recorded as paid is ALREADY_PAID with its stored proof (its
    document under ``--if-paid ok``), whoever holds the lock now; anything else is in flight."""
    stored = wallet.history.get_payment(payment_hash)
    if stored is not None and stored.status in (SUCCEEDED, NEEDS_ATTENTION):
        done = existing_outcome(stored, if_paid)  # raises unless paid and --if-paid ok
        assert done is not None
        return done
    raise DuplicatePaymentError(
        "a payment of this invoice is already in flight (another lnctl payment holds it)",
        code="ALREADY_IN_FLIGHT",
        hint=f"do not pay again; look it up later: lnctl lookup {payment_hash}",
        details={"payment": payment_document(stored) if stored is not None else None},
    )


def pay(
    wallet: Wallet,
    text: str,
    *,
    amount_msat: int | None = None,
    max_fee_msat: int | None = None,
    timeout_s: float = 30.0,
    retries: int = 3,
    induce_failures: int = 0,
    if_paid: str = "error",
    dry_run: bool = False,
    memo: str | None = None,
    deadline: Deadline | None = None,
) -> Any:  # the payment's document; with dry_run, what paying would do
    """Pay an invoice. Returns the payment document on success; raises a PaymentError carrying
    it (``details['payment']``) on any other outcome. ``deadline``: the command's, when it began
    before this payment (else ``timeout_s`` from now); every request to the node ends by it."""
    check_options(retries, timeout_s, if_paid, induce_failures, memo)
    if deadline is None:
        deadline = Deadline.after(timeout_s)
    wallet.deadline = deadline
    started = time.monotonic()
    invoice, amount, cap = validate(wallet, text, amount_msat, max_fee_msat)
    if induce_failures:
        wallet.require("fault_injection", "--induce-failure")
    if dry_run:
        return predict(wallet, invoice, amount, cap, if_paid)
    payment_hash = invoice.payment_hash
    lock = HashLock(wallet.home, payment_hash)
    if not lock.try_acquire():
        return lock_busy(wallet, payment_hash, if_paid)
    with lock:
        previous = wallet.history.get_payment(payment_hash)
        already = existing_outcome(previous, if_paid)
        if already is not None:
            return already
        row = claim(wallet, invoice, amount, cap, memo)
        failpoints.hit("after_claim", wallet.env)
        try:
            status, timed_out = _send(
                wallet, invoice, amount, cap, deadline, retries, induce_failures
            )
        except NotSent as exc:
            undo_claim(wallet, payment_hash, previous)
            raise exc.error from None
        except KeyboardInterrupt:
            current = wallet.history.get_payment(payment_hash)
            from lnctl.errors import Interrupted

            raise Interrupted(
                "interrupted: the payment stays in flight until the node says how it ended",
                hint=f"do not pay again; lnctl lookup {payment_hash} resolves it",
                details={"payment": payment_document(current) if current else None},
            ) from None
        failpoints.hit("after_send", wallet.env)
        from lnctl.core.settle import conclude

        recorded = replace(status, failure_reason=TIMEOUT) if timed_out else status
        final = conclude(wallet, wallet.history.get_payment(payment_hash) or row, recorded)
        try:
            return outcome(
                final, status, timed_out, timeout_s, if_paid, time.monotonic() - started, wallet
            )
        finally:
            log_result(wallet.history.get_payment(payment_hash))


def claim(
    wallet: Wallet, invoice: bolt11.Invoice, amount: int, cap: int, memo: str | None
) -> PaymentRow:
    values: NewPayment = {
        "payment_hash": invoice.payment_hash,
        "bolt11": invoice.bolt11,
        "payee": invoice.payee,
        "description_hash": invoice.description_hash,
        "amount_msat": amount,
        "max_fee_msat": cap,
        "memo": None,
        "memo_key_id": None,
        "now": time.time(),
    }
    if memo is None:
        raced = wallet.history.claim_payment(values)
    else:
        from lnctl.core.memos import memo_encryption

        with memo_encryption(wallet) as keyring:
            values["memo"] = keyring.encrypt(memo, "payment", invoice.payment_hash)
            values["memo_key_id"] = keyring.primary
            raced = wallet.history.claim_payment(values)
    if raced is not None:  # cannot happen under the hash lock; refuse rather than guess
        existing_outcome(raced, "error")
    row = wallet.history.get_payment(invoice.payment_hash)
    assert row is not None
    return row


def _send(
    wallet: Wallet,
    invoice: bolt11.Invoice,
    amount: int,
    cap: int,
    deadline: Deadline,
    retries: int,
    induce_failures: int,
) -> tuple[PaymentStatus, bool]:
    """Ask the node to pay until it succeeds, fails for good, stays pending, or retries or time
    run out; every answer concluded by ``lnctl.backends.outcome``. (last status, whether time
    ran out between definite transient failures). Raises NotSent when nothing was sent."""
    try:
        backend = wallet.backend  # opening the node (its identity check) sends nothing of this
    except NOT_SENT as exc:
        raise NotSent(exc) from None
    clock = RetryClock(deadline, retries, not backend.capabilities.retries_itself)
    while True:
        number = wallet.history.count_attempt(invoice.payment_hash)
        failpoints.hit("before_send", wallet.env)
        sent = time.monotonic()
        status = outcome_of_payment(
            backend,
            invoice,
            amount,
            cap,
            deadline=deadline,
            induce_failure=number <= induce_failures,
        )
        took = time.monotonic() - sent
        log_attempt(invoice.payment_hash, number, status, took)
        wait, timed_out = clock.after(status, number, took)
        if wait is None:
            return status, timed_out
        time.sleep(wait)


def undo_claim(wallet: Wallet, payment_hash: str, previous: PaymentRow | None) -> None:
    """After NotSent: the claim is undone when its one request was all there was."""
    current = wallet.history.get_payment(payment_hash)
    if current is not None and current.attempts <= 1:
        wallet.history.abandon_claim(payment_hash, previous)


class RetryClock:
    """When to send a payment's next attempt, if ever: only after a definite transient
    failure, with exponential backoff and full jitter, and never an attempt that could not
    finish in the time left before ``deadline``."""

    def __init__(self, deadline: Deadline, retries: int, retry_here: bool) -> None:
        self.deadline = deadline
        self.retries = retries
        self.retry_here = retry_here
        self.longest = MIN_ATTEMPT_S
        self.waits: Iterator[float] | None = None  # backoff imports asyncio (40 ms): on a retry

    def after(self, status: PaymentStatus, number: int, took: float) -> tuple[float | None, bool]:
        """After attempt ``number`` answered ``status`` in ``took`` seconds: (seconds to wait
        before the next attempt, or None to stop here; whether it stops because time ran
        out)."""
        self.longest = max(self.longest, took)
        if (
            not status.transient
            or status.duplicate
            or not self.retry_here
            or number >= self.retries
        ):
            return None, False
        import backoff  # first imported here, when a transient failure is to be retried

        if self.waits is None:
            self.waits = backoff.expo(base=2, factor=BACKOFF_FACTOR_S, max_value=BACKOFF_MAX_S)
            next(self.waits)  # prime the generator as backoff's decorators do
        wait = float(backoff.full_jitter(next(self.waits)))
        if self.deadline.left() < wait + self.longest:
            return None, True  # another attempt could not finish in the time left
        return wait, False


def log_attempt(payment_hash: str, number: int, status: PaymentStatus, took: float) -> None:
    log.event(
        "info",
        "payment_attempt",
        payment_hash=payment_hash,
        attempt=number,
        outcome=str(status.state),
        failure_reason=status.failure_reason,
        latency_ms=int(took * 1000),
    )


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
                code="ALREADY_PAID",
                hint=f"lnctl lookup {payment_hash} shows it; --if-paid ok exits 0 instead",
                details=details,
            )
        return doc
    if state == IN_FLIGHT:
        if status.duplicate:
            raise DuplicatePaymentError(
                "the node already has a payment of this invoice in flight",
                code="ALREADY_IN_FLIGHT",
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
            code="PAYMENT_PENDING",
            hint=f"do not pay again; look it up later: lnctl lookup {payment_hash}",
            details=details,
        )
    reason = row.failure_reason or "CANCELED"
    if reason == ALREADY_PAID:
        raise DuplicatePaymentError(
            "the payee says this invoice is already paid",
            code="ALREADY_PAID",
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
        channels = wallet.capabilities.channels
        hint = "not enough spendable balance" + (
            " (lnctl channel balance)" if channels else " (lnctl info shows the balance)"
        )
    raise PaymentFailedError(
        f"payment failed: {reason}{said}", code=reason, hint=hint, details=details
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


def log_result(row: PaymentRow | None) -> None:
    if row is not None:
        log.event(
            "info",
            "payment_result",
            payment_hash=row.payment_hash,
            outcome=row.status,
            attempts=row.attempts,
            latency_ms=row.latency_ms,
            fee_msat=row.fee_msat,
            failure_reason=row.failure_reason,
        )


# -- --dry-run: the same decisions, nothing moved --------------------------------------------------


def predict(
    wallet: Wallet, invoice: bolt11.Invoice, amount: int, cap: int, if_paid: str
) -> dict[str, Any]:
    """What paying would do, without claiming, sending or recording anything: the exit code
    ``pay`` would give, decided by the same rules."""
    backend = wallet.backend
    doc: dict[str, Any] = {
        "dry_run": True,
        "payment_hash": invoice.payment_hash,
        "amount_msat": amount,
        "max_fee_msat": cap,
        "fee_msat": None,
        "channel_id": None,
        "payee": invoice.payee,
        "self_payment": invoice.payee == backend.node_id(),
    }
    code: int = ExitCode.OK
    reason: str | None = None
    try:
        backend.ready_to_pay()  # what pay would refuse before sending (a key, a password)
        lock = HashLock(wallet.home, invoice.payment_hash)
        if not lock.try_acquire():
            lock_busy(wallet, invoice.payment_hash, if_paid)
        lock.release()
        if existing_outcome(wallet.history.get_payment(invoice.payment_hash), if_paid) is None:
            at_node = backend.payment_status(invoice.payment_hash)
            if at_node.state is PaymentState.SUCCEEDED and if_paid != "ok":
                code, reason = ExitCode.DUPLICATE, ALREADY_PAID
            elif at_node.state is PaymentState.PENDING:
                code, reason = ExitCode.DUPLICATE, "ALREADY_IN_FLIGHT"
            elif at_node.state is not PaymentState.SUCCEEDED:
                code, reason = _predict_route(wallet, doc, invoice, amount, cap)
    except DuplicatePaymentError as exc:
        code, reason = exc.exit_code, exc.code
    except PaymentFailedError as exc:
        code, reason = exc.exit_code, exc.code
    doc["exit_code"] = int(code)
    doc["would"] = "pay" if code == ExitCode.OK else "fail"
    doc["failure_reason"] = reason
    return doc


def _predict_route(
    wallet: Wallet, doc: dict[str, Any], invoice: bolt11.Invoice, amount: int, cap: int
) -> tuple[int, str | None]:
    backend = wallet.backend
    need = amount  # without a fee quote, the least the payment can take
    if backend.capabilities.fee_quote:
        quote = backend.quote(invoice, amount)
        doc["fee_msat"] = quote.fee_msat
        if quote.fee_msat > cap:
            return ExitCode.PAYMENT_FAILED, FEE_LIMIT_EXCEEDED
        need = amount + quote.fee_msat
    if backend.capabilities.channels:  # a payment must fit in one channel
        from lnctl.backends.simulated.ledger import best_channel, spendable_msat

        best = best_channel({"channels": wallet.simulated.channels()}, "out")
        if best is None or spendable_msat(best) < need:
            return ExitCode.PAYMENT_FAILED, INSUFFICIENT_BALANCE
        doc["channel_id"] = best["channel_id"]
    elif backend.balance().spendable_msat < need:
        return ExitCode.PAYMENT_FAILED, INSUFFICIENT_BALANCE
    return ExitCode.OK, None


def error_payment(exc: LnctlError) -> dict[str, Any] | None:
    payment = exc.details.get("payment")
    return payment if isinstance(payment, dict) else None
