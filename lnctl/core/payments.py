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
from lnctl.backends.base import INVOICE_EXPIRED, TIMEOUT
from lnctl.backends.outcome import NOT_SENT, NotSent
from lnctl.backends.outcome import pay as outcome_of_payment
from lnctl.bolt11 import MAX_MSAT
from lnctl.core.clocks import RetryClock
from lnctl.core.documents import payment_document
from lnctl.core.locks import HashLock
from lnctl.core.settle import conclude
from lnctl.core.verdict import existing_outcome, outcome
from lnctl.deadline import Deadline
from lnctl.errors import (
    Code,
    DuplicatePaymentError,
    Interrupted,
    InvalidInputError,
    InvalidInvoiceError,
    LnctlError,
    check_amount,
    check_text,
)
from lnctl.records import record, replace
from lnctl.storage.rows import NEEDS_ATTENTION, SUCCEEDED

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.backends.base import PaymentStatus
    from lnctl.core.documents import PaymentDocument
    from lnctl.core.wallet import Wallet
    from lnctl.storage.rows import NewPayment, PaymentRow

MIN_FEE_CAP_MSAT = 5_000  # the default fee cap is the larger of 5 sat and 1% of the amount


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
            code=Code.WRONG_NETWORK,
            hint=f"pay it from a wallet on {invoice.network}: its own folder (another "
            "LNCTL_HOME, or --home)",
        )
    if invoice.is_expired():
        raise InvalidInvoiceError(
            "invoice has expired",
            code=INVOICE_EXPIRED,
            hint="ask the payee for a new invoice",
            details={"expires_at": invoice.expires_at},
        )
    if invoice.amount_msat is None:
        if amount_msat is None:
            raise InvalidInputError(
                "the invoice has no amount", code=Code.AMOUNT_REQUIRED, hint="pass --amount SATS"
            )
        wallet.require("amountless_invoices", "paying an invoice without an amount")
        amount = check_amount(amount_msat)
    else:
        if amount_msat is not None:
            raise InvalidInputError(
                "the invoice already has an amount",
                code=Code.AMOUNT_NOT_ALLOWED,
                hint="--amount is only for invoices without one",
            )
        amount = check_amount(invoice.amount_msat, "the invoice's amount")
    cap = default_fee_cap_msat(amount) if max_fee_msat is None else max_fee_msat
    if not 0 <= cap <= MAX_MSAT:
        raise InvalidInputError("--max-fee is out of range", code=Code.INVALID_FEE_CAP)
    return invoice, amount, cap


# -- what an existing record means (one decision for pay and --dry-run) ----------------------------


# -- what a payment is made to ---------------------------------------------------------------------


@record(frozen=True, slots=True)
class Recipient:
    """What a payment was asked for beyond its invoice, kept with its record: the Lightning
    Address or LNURL paid (as ``lnctl.lnurl.Target.text``) and its metadata's text/plain, and
    the ``--idempotency-key`` it is paid under."""

    paid_to: str | None = None
    description: str | None = None
    idempotency_key: str | None = None


def looks_like_lnurl(text: str) -> bool:
    """Whether ``text`` is meant as a Lightning Address or an LNURL link rather than a BOLT 11
    invoice (cheap, and without importing ``lnctl.lnurl``: a plain pay never loads it;
    ``lnctl.lnurl.parse`` decides whether it is valid). No BOLT 11 invoice holds '@' or '://'
    or starts with 'lnurl'."""
    raw = text.strip()
    if raw[:10].lower() == "lightning:":
        raw = raw[10:]
    return raw[:5].lower() == "lnurl" or "@" in raw or "://" in raw


# -- the options of a payment ---------------------------------------------------------------------


@record(frozen=True, slots=True)
class PayOptions:
    """How to pay (one payment, or every line of a batch): the command's options, decided once.
    The defaults are the command line's (``lnctl pay --help``)."""

    max_fee_msat: int | None = None  # None: ``default_fee_cap_msat`` of the amount
    timeout_s: float = 30.0
    retries: int = 3
    induce_failures: int = 0  # the first N attempts fail transiently (the simulated node)
    if_paid: str = "error"  # "ok": an invoice already paid is a success (its stored proof)

    def check(self, memo: str | None = None) -> None:
        """The options are in range (INVALID_*, exit 2, otherwise)."""
        check_options(self.retries, self.timeout_s, self.if_paid, self.induce_failures, memo)


def check_options(
    retries: int, timeout_s: float, if_paid: str, induce_failures: int, memo: str | None
) -> None:
    """The options of ``pay`` (one payment or a batch) are in range."""
    if retries < 1:
        raise InvalidInputError("--retries must be at least 1", code=Code.INVALID_RETRIES)
    if not 0 < timeout_s <= 86_400:
        raise InvalidInputError(
            "--timeout must be between 0 and 86400 seconds", code=Code.INVALID_TIMEOUT
        )
    if if_paid not in ("error", "ok"):
        raise InvalidInputError("--if-paid is 'error' or 'ok'", code=Code.INVALID_OPTION)
    if induce_failures < 0:
        raise InvalidInputError("--induce-failure takes a count of 0 or more", code=Code.USAGE)
    check_text(memo, "--memo")
    from lnctl.core.invoices import MAX_MEMO_BYTES

    if memo is not None and len(memo.encode("utf-8")) > MAX_MEMO_BYTES:
        raise InvalidInputError(
            f"memo is longer than {MAX_MEMO_BYTES} bytes", code=Code.MEMO_TOO_LONG
        )


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
        code=Code.ALREADY_IN_FLIGHT,
        hint=f"do not pay again; look it up later: lnctl lookup {payment_hash}",
        details={"payment": payment_document(stored) if stored is not None else None},
    )


# -- the one lifecycle: a flight -------------------------------------------------------------------


class Flight:
    """One payment between its admission and its result: the one lifecycle that ``pay`` drives
    for a single payment and ``lnctl.core.engine.Engine`` for a batch on the embedded node.

    Its steps, in this order: ``open`` (the hash lock taken, the history checked: what is already
    paid or in flight ends here), ``claim`` (IN_FLIGHT, before anything is sent), per attempt
    ``count_attempt`` then the node's answer to ``answered`` (the retry clock says send again,
    or stop), ``record`` (what the node said, in the history), ``result`` (the document, or the
    error to raise). An attempt that provably never left ends at ``not_sent`` (the claim undone);
    an error after the claim at ``failed``, a Ctrl-C at ``interrupted``: both leave the payment
    as it is stored (in flight until the node says how it ended) and carry its record."""

    __slots__ = (
        "wallet", "index", "began", "invoice", "amount", "cap", "lock", "previous", "options",
        "deadline", "row", "clock", "number", "sent", "due", "poll", "status", "timed_out",
    )  # fmt: skip

    def __init__(
        self,
        wallet: Wallet,
        invoice: bolt11.Invoice,
        amount: int,
        cap: int,
        lock: HashLock,
        previous: PaymentRow | None,
        options: PayOptions,
        *,
        began: float,
        deadline: Deadline,
        index: int = 0,
    ) -> None:
        self.wallet = wallet
        self.index = index  # the line of a batch
        self.began = began  # when the payment began (monotonic)
        self.invoice = invoice
        self.amount = amount
        self.cap = cap
        self.lock = lock  # held from ``open`` to the result
        self.previous = previous  # the record before this claim (None, or a FAILED one)
        self.options = options
        self.deadline = deadline
        self.row: PaymentRow | None = None  # the claim
        self.clock: RetryClock | None = None  # set once the node is known (``sending``)
        self.number = 0  # the attempt being sent
        self.sent = 0.0  # when it was sent (monotonic)
        self.due = 0.0  # (batch) when to act next (monotonic): send again, or ask the node
        self.poll = False  # (batch) what to do then: ask the node (True) or send again (False)
        self.status: PaymentStatus | None = None  # the last answer, once the clock stops
        self.timed_out = False  # the clock stopped for want of time

    @classmethod
    def open(
        cls,
        wallet: Wallet,
        invoice: bolt11.Invoice,
        amount: int,
        cap: int,
        options: PayOptions,
        *,
        began: float,
        deadline: Deadline,
        index: int = 0,
    ) -> Flight | PaymentDocument:
        """Take the hash lock and check the history: a flight, or the document of a payment
        already made (``--if-paid ok``). Raises DuplicatePaymentError (exit 5) for one paid or in
        flight; the lock is held only by a flight returned."""
        lock = HashLock(wallet.home, invoice.payment_hash)
        if not lock.try_acquire():
            return lock_busy(wallet, invoice.payment_hash, options.if_paid)
        try:
            previous = wallet.history.get_payment(invoice.payment_hash)
            already = existing_outcome(previous, options.if_paid)
        except BaseException:
            lock.release()
            raise
        if already is not None:
            lock.release()
            return already
        return cls(
            wallet, invoice, amount, cap, lock, previous, options,
            began=began, deadline=deadline, index=index,
        )  # fmt: skip

    @property
    def payment_hash(self) -> str:
        return self.invoice.payment_hash

    def claim(self, memo: str | None = None, recipient: Recipient | None = None) -> None:
        """Record the payment IN_FLIGHT: nothing is sent before this is committed."""
        self.row = claim(self.wallet, self.invoice, self.amount, self.cap, memo, recipient)

    def sending(self, retry_here: bool) -> None:
        """The node is known: the retry clock (``retry_here``: the node does not retry
        itself)."""
        self.clock = RetryClock(self.deadline, self.options.retries, retry_here)

    def count_attempt(self) -> None:
        """Count the next attempt before it is sent (the history: ``attempts``)."""
        self.number = self.wallet.history.count_attempt(self.payment_hash)

    @property
    def induced(self) -> bool:
        """Is the attempt being sent one that ``--induce-failure`` fails?"""
        return self.number <= self.options.induce_failures

    def answered(self, status: PaymentStatus, took: float) -> float | None:
        """The node answered the attempt: the seconds to wait before sending again, or None
        when this answer is the flight's (``status``)."""
        assert self.clock is not None
        log_attempt(self.payment_hash, self.number, status, took)
        wait, timed_out = self.clock.after(status, self.number, took)
        if wait is None:
            self.status, self.timed_out = status, timed_out
        return wait

    def not_sent(self, error: LnctlError) -> LnctlError:
        """Nothing of the attempt reached the node: the claim is undone when its one request was
        all there was. Returns the error the payment ends with."""
        undo_claim(self.wallet, self.payment_hash, self.previous)
        return error

    def record(self, *, note: bool = True) -> PaymentRow:
        """Record what the node said (``lnctl.core.settle.conclude``); the stored record."""
        assert self.status is not None and self.row is not None
        recorded = replace(self.status, failure_reason=TIMEOUT) if self.timed_out else self.status
        current = self.wallet.history.get_payment(self.payment_hash) or self.row
        return conclude(self.wallet, current, recorded, note=note)

    def result(self, final: PaymentRow) -> PaymentDocument:
        """The payment's document for the recorded ``final``; raises the error it ends with."""
        assert self.status is not None
        try:
            return outcome(
                final,
                self.status,
                self.timed_out,
                self.options.timeout_s,
                self.options.if_paid,
                time.monotonic() - self.began,
                self.wallet,
            )
        finally:
            log_result(final)

    def failed(self, exc: LnctlError) -> LnctlError:
        """An error after the claim: the payment stays as it is stored (in flight, for recovery
        to resolve from the node's record); the error returned carries that record."""
        try:
            stored = self.wallet.history.get_payment(self.payment_hash)
        except LnctlError:
            stored = None
        if stored is not None:
            from copy import copy  # only when an error ends a payment

            exc = copy(exc)  # one error may end several payments: each carries its own record
            exc.details = {**exc.details, "payment": payment_document(stored)}
        return exc

    def interrupted(self) -> Interrupted:
        """Ctrl-C while the payment is out: it stays in flight until the node says how it
        ended; the error (exit 130) carries its record."""
        try:
            current = self.wallet.history.get_payment(self.payment_hash)
        except LnctlError:
            current = None
        return Interrupted(
            "interrupted: the payment stays in flight until the node says how it ended",
            hint=f"do not pay again; lnctl lookup {self.payment_hash} resolves it",
            details={"payment": payment_document(current) if current else None},
        )


# -- pay: a single payment ------------------------------------------------------------------------


def pay(
    wallet: Wallet,
    text: str,
    options: PayOptions,
    *,
    amount_msat: int | None = None,
    memo: str | None = None,
    deadline: Deadline | None = None,
    comment: str | None = None,
    idempotency_key: str | None = None,
) -> PaymentDocument:
    """Pay an invoice, a Lightning Address or an LNURL-pay link (its service's invoice, checked
    by ``lnctl.core.lnurlpay``, then paid as any invoice). Returns the payment document on
    success; raises a PaymentError carrying it (``details['payment']``) on any other outcome.
    ``deadline``: the command's, when it began before this payment (else ``options.timeout_s``
    from now); every request, to the LNURL service and to the node, ends by it.
    ``idempotency_key``: a payment already made under it is the outcome, nothing is resolved
    or paid again (``lnctl.core.idempotency``)."""
    started = time.monotonic()
    options.check(memo)
    if deadline is None:
        deadline = Deadline.after(options.timeout_s)
    wallet.deadline = deadline
    key_lock = None
    if idempotency_key is not None:
        from lnctl.core.idempotency import hold_key

        held = hold_key(wallet, idempotency_key, options.if_paid)
        if not isinstance(held, HashLock):
            return held  # the payment made under the key (--if-paid ok)
        key_lock = held
    try:
        if not looks_like_lnurl(text):
            if comment is not None:
                raise InvalidInputError(
                    "--comment is for a Lightning Address or an LNURL", code=Code.USAGE
                )
            recipient = Recipient(idempotency_key=idempotency_key)
            return _pay(wallet, text, options, amount_msat, memo, deadline, recipient, started)
        from lnctl.core.lnurlpay import paid_document, resolve

        resolved = resolve(wallet, text, amount_msat, comment, deadline)
        recipient = Recipient(
            resolved.pay_request.target.text, resolved.pay_request.description, idempotency_key
        )
        doc = _pay(wallet, resolved.bolt11, options, None, memo, deadline, recipient, started)
        return paid_document(doc, resolved)
    finally:
        if key_lock is not None:
            key_lock.release()


def _pay(
    wallet: Wallet,
    text: str,
    options: PayOptions,
    amount_msat: int | None,
    memo: str | None,
    deadline: Deadline,
    recipient: Recipient,
    started: float,
) -> PaymentDocument:
    invoice, amount, cap, deadline = prepare(wallet, text, options, amount_msat, memo, deadline)
    flight = Flight.open(wallet, invoice, amount, cap, options, began=started, deadline=deadline)
    if not isinstance(flight, Flight):
        return flight
    with flight.lock:
        flight.claim(memo, recipient)
        failpoints.hit("after_claim", wallet.env)
        try:
            _send(flight)
        except NotSent as exc:
            raise flight.not_sent(exc.error) from exc.error.__cause__  # the error, as it was
        except KeyboardInterrupt:
            raise flight.interrupted() from None
        except LnctlError as exc:  # not counted, or not known: it stays as it is stored
            raise flight.failed(exc) from exc.__cause__  # the error (or its copy), as it was
        failpoints.hit("after_send", wallet.env)
        try:
            final = flight.record()
        except LnctlError as exc:  # nothing recorded: it stays in flight, for recovery
            raise flight.failed(exc) from exc.__cause__
        return flight.result(final)


def prepare(
    wallet: Wallet,
    text: str,
    options: PayOptions,
    amount_msat: int | None,
    memo: str | None,
    deadline: Deadline | None,
) -> tuple[bolt11.Invoice, int, int, Deadline]:
    """The checks before anything else (``pay`` and ``--dry-run``): the options, the invoice
    (``validate``), what the node must support. (invoice, amount, fee cap, the deadline every
    request to the node ends by: the command's, else ``options.timeout_s`` from now)."""
    options.check(memo)
    if deadline is None:
        deadline = Deadline.after(options.timeout_s)
    wallet.deadline = deadline
    invoice, amount, cap = validate(wallet, text, amount_msat, options.max_fee_msat)
    if options.induce_failures:
        wallet.require("fault_injection", "--induce-failure")
    return invoice, amount, cap, deadline


def _send(flight: Flight) -> None:
    """Ask the node to pay until it succeeds, fails for good, stays pending, or retries or time
    run out; every answer concluded by ``lnctl.backends.outcome``. Raises NotSent when nothing
    was sent."""
    wallet = flight.wallet
    try:
        backend = wallet.backend  # opening the node (its identity check) sends nothing of this
    except NOT_SENT as exc:
        raise NotSent(exc) from exc
    flight.sending(not backend.capabilities.retries_itself)
    while True:
        flight.count_attempt()
        failpoints.hit("before_send", wallet.env)
        flight.sent = time.monotonic()
        status = outcome_of_payment(
            backend,
            flight.invoice,
            flight.amount,
            flight.cap,
            deadline=flight.deadline,
            induce_failure=flight.induced,
        )
        wait = flight.answered(status, time.monotonic() - flight.sent)
        if wait is None:
            return
        time.sleep(wait)


def claim(
    wallet: Wallet,
    invoice: bolt11.Invoice,
    amount: int,
    cap: int,
    memo: str | None,
    recipient: Recipient | None = None,
) -> PaymentRow:
    recipient = recipient or Recipient()
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
        "paid_to": recipient.paid_to,
        "paid_to_description": recipient.description,
        "idempotency_key": recipient.idempotency_key,
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


def undo_claim(wallet: Wallet, payment_hash: str, previous: PaymentRow | None) -> None:
    """After NotSent: the claim is undone when its one request was all there was."""
    current = wallet.history.get_payment(payment_hash)
    if current is not None and current.attempts <= 1:
        wallet.history.abandon_claim(payment_hash, previous)


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
