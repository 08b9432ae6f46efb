"""The payment lifecycle: validate, claim, reserve, send with retries, settle or fail, recover.

Rules that never bend:
- one payment per payment hash at a time, across processes (a per-hash lock plus
  ``UNIQUE(payment_hash)`` in the history store);
- amount + fee cap is reserved as an in-flight HTLC in the ledger before anything is sent;
- only attempts that definitely failed with a transient reason are retried, and never before
  the previous attempt's outcome is known; an outcome that is unknown is looked up, not resent;
- a success is accepted only with a preimage whose SHA-256 is the payment hash;
- a crash at any instant leaves a state that ``recover`` resolves against the backend's record.
"""

from __future__ import annotations

import time
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from lnctl import bolt11, log
from lnctl.backends.base import (
    CANCELED,
    FEE_LIMIT_EXCEEDED,
    INCORRECT_PAYMENT_DETAILS,
    INSUFFICIENT_BALANCE,
    INVOICE_EXPIRED,
    NO_ROUTE,
    TIMEOUT,
    SendResult,
    SendState,
)
from lnctl.bolt11 import MAX_MSAT
from lnctl.core import failpoints
from lnctl.core.invoices import normalize_hash
from lnctl.core.locks import HashLock
from lnctl.errors import (
    DuplicatePaymentError,
    ExitCode,
    InvalidInputError,
    InvalidInvoiceError,
    LnctlError,
    PaymentError,
    PaymentFailedError,
    PaymentPendingError,
    RetriesExhaustedError,
    StorageError,
    check_amount,
)
from lnctl.storage.history import LATENCY_BUCKETS_MS, History
from lnctl.storage.ledger import IN, OUT, spendable_msat

if TYPE_CHECKING:
    import sqlite3

    from lnctl.core.wallet import Wallet

MIN_FEE_CAP_MSAT = 5_000  # the default fee cap is the larger of 5 sat and 1% of the amount
BACKOFF_FACTOR_S = 0.2
BACKOFF_MAX_S = 5.0


def default_fee_cap_msat(amount_msat: int) -> int:
    return max(MIN_FEE_CAP_MSAT, amount_msat // 100)


def payment_document(row: sqlite3.Row | dict[str, Any], memo: str | None = None) -> dict[str, Any]:
    return {
        "id": row["payment_hash"],
        "payment_hash": row["payment_hash"],
        "status": row["status"],
        "attempts": row["attempts"],
        "latency_ms": row["latency_ms"],
        "amount_msat": row["amount_msat"],
        "fee_msat": row["fee_msat"],
        "max_fee_msat": row["max_fee_msat"],
        "preimage": row["preimage"],
        "failure_reason": row["failure_reason"],
        "payee": row["payee"],
        "channel_id": row["channel_id"],
        "memo": memo,
        "created_at": int(row["created_at"]),
        "invoice": row["bolt11"],
    }


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
            f"invoice expired at {invoice.expires_at}",
            code="INVOICE_EXPIRED",
            hint="ask the payee for a new invoice",
        )
    if invoice.amount_msat is None:
        if amount_msat is None:
            raise InvalidInputError(
                "the invoice has no amount", code="AMOUNT_REQUIRED", hint="pass --amount SATS"
            )
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


# -- the history side ------------------------------------------------------------------------------


def _claim(
    wallet: Wallet, invoice: bolt11.Invoice, amount: int, cap: int, memo: str | None, if_paid: str
) -> dict[str, Any] | None:
    """Record the payment IN_FLIGHT (the caller holds the hash lock). Returns the stored
    document instead when it already SUCCEEDED and ``if_paid == 'ok'``."""
    if memo is None:
        return _claim_row(wallet, invoice, amount, cap, None, None, if_paid)
    from lnctl.core.invoices import memo_encryption

    with memo_encryption(wallet) as keyring:
        encrypted = keyring.encrypt(memo, "payment", invoice.payment_hash)
        return _claim_row(wallet, invoice, amount, cap, encrypted, keyring.primary, if_paid)


def _claim_row(
    wallet: Wallet,
    invoice: bolt11.Invoice,
    amount: int,
    cap: int,
    encrypted: str | None,
    key_id: str | None,
    if_paid: str,
) -> dict[str, Any] | None:
    history = wallet.history
    now = time.time()
    with history.transaction() as conn:
        row = history.get_payment(invoice.payment_hash)
        if row is not None and row["status"] == "SUCCEEDED":
            if if_paid == "ok":
                return payment_document(row)
            raise DuplicatePaymentError(
                "this invoice is already paid",
                code="ALREADY_PAID",
                hint=f"lnctl lookup {invoice.payment_hash} shows it; --if-paid ok exits 0 instead",
                details={"payment": payment_document(row)},
            )
        if row is not None and row["status"] == "IN_FLIGHT":
            raise DuplicatePaymentError(
                "a payment of this invoice is already in flight",
                code="ALREADY_IN_FLIGHT",
                hint=f"look it up later: lnctl lookup {invoice.payment_hash}",
                details={"payment": payment_document(row)},
            )
        values = {
            "payment_hash": invoice.payment_hash,
            "bolt11": invoice.bolt11,
            "payee": invoice.payee,
            "description_hash": invoice.description_hash,
            "amount_msat": amount,
            "max_fee_msat": cap,
            "memo": encrypted,
            "memo_key_id": key_id,
            "now": now,
        }
        if row is None:
            conn.execute(
                "INSERT INTO payments (payment_hash, bolt11, payee, description_hash, amount_msat, "
                "max_fee_msat, memo, memo_key_id, created_at, updated_at, status) VALUES "
                "(:payment_hash, :bolt11, :payee, :description_hash, :amount_msat, :max_fee_msat, "
                ":memo, :memo_key_id, :now, :now, 'IN_FLIGHT')",
                values,
            )
        else:  # an earlier try FAILED: paying again is allowed, as a fresh payment
            conn.execute(
                "UPDATE payments SET bolt11 = :bolt11, payee = :payee, "
                "description_hash = :description_hash, amount_msat = :amount_msat, "
                "max_fee_msat = :max_fee_msat, memo = coalesce(:memo, memo), "
                "memo_key_id = coalesce(:memo_key_id, memo_key_id), created_at = :now, "
                "updated_at = :now, status = 'IN_FLIGHT', attempts = 0, fee_msat = NULL, "
                "failure_reason = NULL, preimage = NULL, latency_ms = NULL, channel_id = NULL "
                "WHERE payment_hash = :payment_hash",
                values,
            )
        History.count_memo_encryption(conn, key_id)
    return None


def _count_attempt(wallet: Wallet, payment_hash: str, channel_id: str | None) -> int:
    history = wallet.history
    with history.transaction() as conn:
        conn.execute(
            "UPDATE payments SET attempts = attempts + 1, updated_at = ?, "
            "channel_id = coalesce(?, channel_id) WHERE payment_hash = ?",
            (time.time(), channel_id, payment_hash),
        )
        attempts = conn.execute(
            "SELECT attempts FROM payments WHERE payment_hash = ?", (payment_hash,)
        ).fetchone()[0]
        History.bump(conn, "payment_attempts")
        if attempts > 1:
            History.bump(conn, "payment_retries")
        return int(attempts)


def _record_success(
    wallet: Wallet, payment_hash: str, preimage: str, fee_msat: int, self_payment: bool
) -> sqlite3.Row:
    history = wallet.history
    now = time.time()
    with history.transaction() as conn:
        row = history.get_payment(payment_hash)
        assert row is not None
        if row["status"] == "IN_FLIGHT":
            latency_ms = int((now - row["created_at"]) * 1000)
            conn.execute(
                "UPDATE payments SET status = 'SUCCEEDED', preimage = ?, fee_msat = ?, "
                "failure_reason = NULL, latency_ms = ?, updated_at = ? WHERE payment_hash = ?",
                (preimage, fee_msat, latency_ms, now, payment_hash),
            )
            History.bump(conn, "payments_succeeded")
            History.bump(conn, "payments_sent_msat", delta=row["amount_msat"])
            History.bump(conn, "payment_fees_msat", delta=fee_msat)
            History.record_max(conn, "last_success_timestamp", int(now))
            _observe_latency(conn, latency_ms)
            if self_payment:
                history.settle_invoice(conn, payment_hash, row["amount_msat"])
        final = history.get_payment(payment_hash)
        assert final is not None
        return final


def _record_failure(wallet: Wallet, payment_hash: str, reason: str) -> sqlite3.Row:
    history = wallet.history
    now = time.time()
    with history.transaction() as conn:
        row = history.get_payment(payment_hash)
        assert row is not None
        if row["status"] == "IN_FLIGHT":
            latency_ms = int((now - row["created_at"]) * 1000)
            conn.execute(
                "UPDATE payments SET status = 'FAILED', failure_reason = ?, latency_ms = ?, "
                "updated_at = ? WHERE payment_hash = ?",
                (reason, latency_ms, now, payment_hash),
            )
            History.bump(conn, "payments_failed", reason)
            _observe_latency(conn, latency_ms)
        final = history.get_payment(payment_hash)
        assert final is not None
        return final


def _observe_latency(conn: sqlite3.Connection, latency_ms: int) -> None:
    for bucket in LATENCY_BUCKETS_MS:
        if latency_ms <= bucket:
            History.bump(conn, "payment_latency_bucket", str(bucket))
    History.bump(conn, "payment_latency_count")
    History.bump(conn, "payment_latency_sum_ms", delta=latency_ms)


# -- settle / fail: shared by the payment flow and recovery ----------------------------------------


def _settle(
    wallet: Wallet, payment_hash: str, result: SendResult, amount: int, self_payment: bool
) -> sqlite3.Row:
    preimage = result.preimage or ""
    try:
        proof = sha256(bytes.fromhex(preimage)).hexdigest() == payment_hash
    except ValueError:
        proof = False
    if not proof:
        raise StorageError(
            f"the backend reported success for {payment_hash} without a valid preimage",
            code="INVALID_PREIMAGE",
            hint="the payment is left IN_FLIGHT; check the node before doing anything else",
        )
    fee = int(result.fee_msat or 0)
    wallet.ledger.settle(payment_hash, amount + fee, amount if self_payment else 0)
    failpoints.hit("after_ledger_settle", wallet.env)
    return _record_success(wallet, payment_hash, preimage, fee, self_payment)


def _fail(wallet: Wallet, payment_hash: str, reason: str) -> sqlite3.Row:
    wallet.ledger.release(payment_hash)
    failpoints.hit("after_ledger_release", wallet.env)
    return _record_failure(wallet, payment_hash, reason)


# -- pay -------------------------------------------------------------------------------------------


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
) -> dict[str, Any]:
    """Pay an invoice. Returns the payment document on success; raises a PaymentError carrying
    it (``details['payment']``) on any other outcome."""
    if retries < 1:
        raise InvalidInputError("--retries must be at least 1", code="INVALID_RETRIES")
    if timeout_s <= 0:
        raise InvalidInputError("--timeout must be positive", code="INVALID_TIMEOUT")
    if if_paid not in ("error", "ok"):
        raise InvalidInputError("--if-paid is 'error' or 'ok'", code="INVALID_OPTION")
    started = time.monotonic()
    invoice, amount, cap = validate(wallet, text, amount_msat, max_fee_msat)
    backend = wallet.backend
    payment_hash = invoice.payment_hash
    if dry_run:
        return _dry_run(wallet, invoice, amount, cap)

    lock = HashLock(wallet.home, payment_hash)
    if not lock.try_acquire():
        raise DuplicatePaymentError(
            "a payment of this invoice is already in flight in another process",
            code="ALREADY_IN_FLIGHT",
            hint=f"look it up later: lnctl lookup {payment_hash}",
        )
    with lock:
        stored = _claim(wallet, invoice, amount, cap, memo, if_paid)
        if stored is not None:
            return stored
        failpoints.hit("after_claim", wallet.env)
        try:
            route = backend.quote(invoice, amount)
            if route.fee_msat > cap:
                raise PaymentFailedError(
                    f"the route costs {route.fee_msat} msat, more than the {cap} msat fee cap",
                    code=FEE_LIMIT_EXCEEDED,
                    hint="raise --max-fee",
                    details={"failure_reason": FEE_LIMIT_EXCEEDED},
                )
            channel_id = wallet.ledger.reserve(payment_hash, amount + cap, OUT)
            log.event(
                "debug",
                "payment_reserved",
                payment_hash=payment_hash,
                channel_id=channel_id,
                reserved_msat=amount + cap,
            )
        except PaymentFailedError as exc:
            row = _record_failure(
                wallet, payment_hash, str(exc.details.get("failure_reason", exc.code))
            )
            exc.details["payment"] = payment_document(row)
            raise
        failpoints.hit("after_reserve", wallet.env)
        result = _send_with_retries(
            wallet, invoice, amount, cap, channel_id, started, timeout_s, retries, induce_failures
        )
        try:
            doc = _conclude(wallet, invoice, amount, route.self_payment, result, started, timeout_s)
        except PaymentError as exc:
            _log_result(error_payment(exc))
            raise
        _log_result(doc)
        return doc


def _log_result(doc: dict[str, Any] | None) -> None:
    if doc is not None:
        log.event(
            "info",
            "payment_result",
            payment_hash=doc["payment_hash"],
            outcome=doc["status"],
            attempts=doc["attempts"],
            latency_ms=doc["latency_ms"],
            fee_msat=doc["fee_msat"],
            failure_reason=doc["failure_reason"],
        )


def _send_with_retries(
    wallet: Wallet,
    invoice: bolt11.Invoice,
    amount: int,
    cap: int,
    channel_id: str,
    started: float,
    timeout_s: float,
    retries: int,
    induce_failures: int,
) -> SendResult:
    """Send attempts until one succeeds, fails for good, stays pending, or retries/time run out.
    Exponential backoff with full jitter between definite transient failures only."""
    import backoff

    deadline = started + timeout_s
    backend = wallet.backend

    def remaining() -> float:
        return max(0.0, deadline - time.monotonic())

    @backoff.on_predicate(
        backoff.expo,
        lambda r: r.transient and remaining() > 0,
        max_tries=retries,
        max_time=lambda: max(remaining(), 0.001),
        jitter=backoff.full_jitter,
        factor=BACKOFF_FACTOR_S,
        max_value=BACKOFF_MAX_S,
        logger=None,
    )
    def attempt() -> SendResult:
        number = _count_attempt(wallet, invoice.payment_hash, channel_id)
        failpoints.hit("before_send", wallet.env)
        sent = time.monotonic()
        result = backend.send(
            invoice,
            amount,
            cap,
            number,
            wait_s=remaining(),
            induce_failure=number <= induce_failures,
        )
        failpoints.hit("after_send", wallet.env)
        log.event(
            "info",
            "payment_attempt",
            payment_hash=invoice.payment_hash,
            attempt=number,
            outcome=result.state.value,
            failure_reason=result.failure_reason,
            latency_ms=int((time.monotonic() - sent) * 1000),
        )
        return result

    result: SendResult = attempt()
    return result


def _conclude(
    wallet: Wallet,
    invoice: bolt11.Invoice,
    amount: int,
    self_payment: bool,
    result: SendResult,
    started: float,
    timeout_s: float,
) -> dict[str, Any]:
    payment_hash = invoice.payment_hash
    if result.state is SendState.SUCCEEDED:
        row = _settle(wallet, payment_hash, result, amount, self_payment)
        return payment_document(row)
    if result.state is SendState.PENDING:
        pending = wallet.history.get_payment(payment_hash)
        assert pending is not None
        raise PaymentPendingError(
            f"no outcome within {timeout_s:g} s: the payment is still in flight",
            code="PAYMENT_PENDING",
            hint=f"do not pay again; look it up later: lnctl lookup {payment_hash}",
            details={"payment": payment_document(pending)},
        )
    reason = result.failure_reason or CANCELED
    timed_out = result.transient and time.monotonic() - started >= timeout_s
    if timed_out:
        reason = TIMEOUT
    row = _fail(wallet, payment_hash, reason)
    doc: dict[str, object] = {"payment": payment_document(row)}
    if result.transient:
        raise RetriesExhaustedError(
            f"payment failed after {row['attempts']} attempt(s): {reason}",
            code=reason,
            hint="try again later, or raise --retries / --timeout",
            details=doc,
        )
    raise PaymentFailedError(
        f"payment failed: {reason}", code=reason, hint=_FAILURE_HINTS.get(reason, ""), details=doc
    )


_FAILURE_HINTS = {
    NO_ROUTE: "the payee cannot be reached from this wallet",
    INCORRECT_PAYMENT_DETAILS: "the payee does not know this invoice, or it is already paid",
    INVOICE_EXPIRED: "ask the payee for a new invoice",
}


def _dry_run(wallet: Wallet, invoice: bolt11.Invoice, amount: int, cap: int) -> dict[str, Any]:
    """What paying would do, without reserving, sending or recording anything."""
    doc: dict[str, Any] = {
        "dry_run": True,
        "payment_hash": invoice.payment_hash,
        "amount_msat": amount,
        "max_fee_msat": cap,
        "fee_msat": None,
        "channel_id": None,
        "payee": invoice.payee,
        "self_payment": invoice.payee == wallet.node_key.node_id,
    }
    code: int = ExitCode.OK
    reason: str | None = None
    existing = wallet.history.get_payment(invoice.payment_hash)
    try:
        if existing is not None and existing["status"] in ("SUCCEEDED", "IN_FLIGHT"):
            code, reason = ExitCode.DUPLICATE, f"ALREADY_{existing['status']}"
        else:
            route = wallet.backend.quote(invoice, amount)
            doc["fee_msat"] = route.fee_msat
            best = max(wallet.ledger.channels(), key=spendable_msat, default=None)
            if route.fee_msat > cap:
                code, reason = ExitCode.PAYMENT_FAILED, FEE_LIMIT_EXCEEDED
            elif best is None or spendable_msat(best) < amount + cap:
                code, reason = ExitCode.PAYMENT_FAILED, INSUFFICIENT_BALANCE
            else:
                doc["channel_id"] = best["channel_id"]
    except PaymentFailedError as exc:
        code, reason = exc.exit_code, exc.code
    doc["exit_code"] = int(code)
    doc["would"] = "pay" if code == ExitCode.OK else "fail"
    doc["failure_reason"] = reason
    return doc


# -- receiving on the simulated network ------------------------------------------------------------


def simulate_incoming(wallet: Wallet, text: str, amount_msat: int | None = None) -> dict[str, Any]:
    """The simulated network pays one of our invoices: remote -> local, invoice SETTLED."""
    invoice = bolt11.decode(text)
    if invoice.payee != wallet.node_key.node_id:
        raise InvalidInputError(
            "that invoice was not issued by this wallet", code="NOT_OUR_INVOICE"
        )
    lock = HashLock(wallet.home, invoice.payment_hash)
    if not lock.try_acquire():
        raise DuplicatePaymentError(
            "that invoice is being paid right now", code="ALREADY_IN_FLIGHT"
        )
    with lock:
        amount = _receivable_amount(wallet, invoice.payment_hash, amount_msat)
        channel_id = wallet.ledger.reserve(invoice.payment_hash, amount, IN)
        failpoints.hit("incoming_after_reserve", wallet.env)
        wallet.backend.pay_to_us(invoice.payment_hash, amount)
        failpoints.hit("incoming_after_network", wallet.env)
        _settle_incoming(wallet, invoice.payment_hash, amount)
    final = wallet.history.require_invoice(invoice.payment_hash)
    return {
        "payment_hash": invoice.payment_hash,
        "status": "SETTLED",
        "amount_msat": amount,
        "channel_id": channel_id,
        "settled_at": final["settled_at"],
    }


def _receivable_amount(wallet: Wallet, payment_hash: str, amount_msat: int | None) -> int:
    """The amount the network may pay to this invoice of ours now (the caller holds its lock)."""
    row = wallet.history.get_invoice(payment_hash)
    if row is None:
        raise InvalidInputError("this wallet has no record of that invoice", code="UNKNOWN_INVOICE")
    if row["status"] == "SETTLED":
        raise DuplicatePaymentError("that invoice is already settled", code="ALREADY_PAID")
    own = wallet.history.get_payment(payment_hash)
    if own is not None and own["status"] == "IN_FLIGHT":
        raise DuplicatePaymentError(
            "this wallet is paying that invoice itself", code="ALREADY_IN_FLIGHT"
        )
    if row["expires_at"] <= time.time():
        raise InvalidInvoiceError("that invoice has expired", code="INVOICE_EXPIRED")
    if row["amount_msat"] is not None:
        if amount_msat is not None:
            raise InvalidInputError("the invoice already has an amount", code="AMOUNT_NOT_ALLOWED")
        return int(row["amount_msat"])
    if amount_msat is None:
        raise InvalidInputError(
            "the invoice has no amount", code="AMOUNT_REQUIRED", hint="pass --amount SATS"
        )
    return check_amount(amount_msat)


def _settle_incoming(wallet: Wallet, payment_hash: str, amount: int) -> None:
    # History first, ledger last: the ledger's HTLC is the marker recovery resumes from.
    with wallet.history.transaction() as conn:
        wallet.history.settle_invoice(conn, payment_hash, amount)
    failpoints.hit("incoming_after_history", wallet.env)
    wallet.ledger.settle(payment_hash)


# -- recovery --------------------------------------------------------------------------------------


def resolve(
    wallet: Wallet, htlcs: dict[str, tuple[str, dict[str, Any]]], in_flight: list[sqlite3.Row]
) -> list[dict[str, Any]]:
    """Resolve in-flight payments and HTLCs whose process is gone, against the backend's
    record: SUCCEEDED is debited once, FAILED or never sent is released, PENDING stays."""
    rows = {r["payment_hash"]: r for r in in_flight}
    resolved = []
    for payment_hash in sorted(set(htlcs) | set(rows)):
        lock = HashLock(wallet.home, payment_hash)
        if not lock.try_acquire():
            continue  # alive in another process
        with lock:
            outcome = _resolve(wallet, payment_hash, htlcs.get(payment_hash))
            log.event(
                "info" if outcome else "debug",
                "recovery",
                payment_hash=payment_hash,
                outcome=outcome or "STILL_PENDING",
            )
            if outcome:
                resolved.append({"payment_hash": payment_hash, "outcome": outcome})
    return resolved


def _resolve(
    wallet: Wallet, payment_hash: str, htlc: tuple[str, dict[str, Any]] | None
) -> str | None:
    if htlc is not None and htlc[1]["direction"] == IN:
        if wallet.backend.paid_to_us(payment_hash):
            _settle_incoming(wallet, payment_hash, htlc[1]["amount_msat"])
            return "SETTLED"
        wallet.ledger.release(payment_hash)
        return "RELEASED"
    row = wallet.history.get_payment(payment_hash)
    if row is None:  # a reservation no payment owns cannot be sent: give it back
        wallet.ledger.release(payment_hash)
        return "RELEASED"
    status = wallet.backend.status(payment_hash)
    if status.state is SendState.PENDING:
        return None
    if status.state is SendState.SUCCEEDED:
        _settle(
            wallet,
            payment_hash,
            status,
            row["amount_msat"],
            row["payee"] == wallet.node_key.node_id,
        )
        return "SUCCEEDED"
    _fail(wallet, payment_hash, status.failure_reason or CANCELED)
    return "FAILED"


# -- lookups ---------------------------------------------------------------------------------------


def list_payments(
    wallet: Wallet, status: str | None, limit: int, cursor: int | None
) -> dict[str, Any]:
    from lnctl.core.invoices import reveal_memo

    rows, next_cursor = wallet.history.list_payments(status, limit, cursor)
    return {
        "payments": [payment_document(r, reveal_memo(wallet, r, "payment")) for r in rows],
        "next_cursor": next_cursor,
    }


def lookup(wallet: Wallet, payment_hash: str) -> dict[str, Any]:
    from lnctl.core.invoices import invoice_document, reveal_memo
    from lnctl.errors import NotFoundError

    payment_hash = normalize_hash(payment_hash)
    doc: dict[str, Any] = {"payment_hash": payment_hash, "invoice": None, "payment": None}
    inv = wallet.history.get_invoice(payment_hash)
    if inv is not None:
        doc["invoice"] = invoice_document(wallet, inv)
    pay_row = wallet.history.get_payment(payment_hash)
    if pay_row is not None:
        doc["payment"] = payment_document(pay_row, reveal_memo(wallet, pay_row, "payment"))
    if inv is None and pay_row is None:
        raise NotFoundError(f"no invoice or payment with payment hash {payment_hash}")
    return doc


def error_payment(exc: LnctlError) -> dict[str, Any] | None:
    payment = exc.details.get("payment")
    return payment if isinstance(payment, dict) else None
