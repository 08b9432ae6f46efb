"""The simulated node pays out and settles: one attempt per payment at a time, decided when it is
sent, its HTLC reserved in the channel ledger before the attempt is recorded and settled or
released once the attempt's outcome is visible.

Every step that moves money holds the node lock, and is ordered so that a crash at any instant
leaves a state the node resolves by itself: an HTLC is reserved in the ledger *before* its attempt
is recorded (an HTLC without an attempt was never sent: released), and settled or released only
once its attempt's outcome is visible (an attempt without its HTLC has been applied). An attempt's
outcome is decided when it is sent and visible once its latency (``LNCTL_SIM_LATENCY_MS``) has
passed, so a wallet that stops waiting sees PENDING and a later lookup sees the outcome. The
writes' order that keeps the ledger and the record honest is in ``store.py``'s docstring.

Routing fee rule: 1 sat + 100 ppm of the amount (floored to the msat), for every route, the
self-payment's circular route included.
"""

from __future__ import annotations

import sqlite3
import time

from lnctl import failpoints
from lnctl.backends.base import (
    FEE_LIMIT_EXCEEDED,
    INCORRECT_PAYMENT_DETAILS,
    INSUFFICIENT_BALANCE,
    INVOICE_EXPIRED,
    NO_ROUTE,
    TEMPORARY_CHANNEL_FAILURE,
    PaymentState,
    PaymentStatus,
    Quote,
)
from lnctl.backends.channels import IN, OUT, best_channel, spendable_msat
from lnctl.backends.simulated import ledger as L
from lnctl.backends.simulated.store import NodeStore
from lnctl.errors import LockTimeoutError, PaymentFailedError
from lnctl.records import record, replace
from lnctl.storage.sqlite import transaction

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Literal

    from lnctl.backends.channels import Channel, Htlc
    from lnctl.backends.outcome import Answer
    from lnctl.backends.simulated.ledger import Doc
    from lnctl.bolt11 import Invoice
    from lnctl.deadline import Deadline

FEE_BASE_MSAT = 1_000
FEE_PPM = 100


def routing_fee_msat(amount_msat: int) -> int:
    return FEE_BASE_MSAT + amount_msat * FEE_PPM // 1_000_000


@record(frozen=True, slots=True)
class Outcome:
    """What an attempt comes to at the payee, decided when it is sent."""

    result: Literal["SUCCEEDED", "FAILED"]
    failure_reason: str | None = None
    preimage: str | None = None  # with SUCCEEDED


@record(frozen=True, slots=True)
class Reservation:
    """A payment of a ``send_many`` call whose HTLC is reserved in the ledger."""

    index: int  # its place among the call's requests
    invoice: Invoice
    amount_msat: int
    max_fee_msat: int
    fee_msat: int  # the route's fee, reserved with the amount
    number: int  # the attempt's number
    self_payment: bool
    induce_failure: bool
    channel_id: str  # the channel its HTLC is reserved in


@record(frozen=True, slots=True)
class Attempt:
    """An attempt as the node's record keeps it (``attempts``, and the payment it belongs to)."""

    invoice: Invoice
    number: int
    amount_msat: int
    max_fee_msat: int
    fee_msat: int  # the route's fee (spent only if it succeeds)
    started_at: float
    resolve_at: float  # when its outcome becomes visible
    outcome: Outcome
    self_payment: bool
    channel_id: str | None = None  # the channel its HTLC was reserved in (None: refused first)


class PayingNode(NodeStore):
    """The node's sending and settling, on its record store."""

    def _resolve_left_over(self) -> None:
        self._sweep_if_needed()

    # -- paying out --------------------------------------------------------------------------------

    def quote(self, invoice: Invoice, amount_msat: int) -> Quote:
        if invoice.payee not in (self.node_id(), self.peer_id):
            raise PaymentFailedError(
                f"no route to node {invoice.payee}",
                code=NO_ROUTE,
                hint="the simulated network reaches only this wallet and its peer",
                details={"failure_reason": NO_ROUTE},
            )
        return Quote(routing_fee_msat(amount_msat), invoice.payee == self.node_id())

    def _transient_failure(self, payment_hash: str, attempt: int) -> bool:
        if self.settings.failure_rate <= 0:
            return False
        import random  # only for random faults: not on every command's start

        if self.settings.seed is not None:
            rng: random.Random = random.Random(f"{self.settings.seed}:{payment_hash}:{attempt}")
        else:
            rng = random.SystemRandom()
        return rng.random() < self.settings.failure_rate

    def _decide(
        self,
        invoice: Invoice,
        amount_msat: int,
        attempt: int,
        induce_failure: bool,
        now: float,
        doc: Doc,
    ) -> Outcome:
        """The outcome of one attempt at the payee (the caller holds the node lock, passes the
        ledger as it stands, and applies the effects of a success)."""
        if induce_failure or self._transient_failure(invoice.payment_hash, attempt):
            return Outcome("FAILED", TEMPORARY_CHANNEL_FAILURE)
        if invoice.payee == self.node_id():
            row = self.conn.execute(
                "SELECT preimage, amount_msat, expires_at, settled_at FROM invoices "
                "WHERE payment_hash = ?",
                (invoice.payment_hash,),
            ).fetchone()
            receiving = L.find_htlc(doc, invoice.payment_hash, IN) is not None
        else:
            row = self.conn.execute(
                "SELECT preimage, amount_msat, status FROM remote_invoices WHERE payment_hash = ?",
                (invoice.payment_hash,),
            ).fetchone()
            receiving = row is not None and row["status"] != "OPEN"
        if (
            row is None
            or receiving
            or (invoice.payee == self.node_id() and row["settled_at"] is not None)
            or (row["amount_msat"] is not None and amount_msat < row["amount_msat"])
        ):
            return Outcome("FAILED", INCORRECT_PAYMENT_DETAILS)
        if invoice.is_expired(now):
            return Outcome("FAILED", INVOICE_EXPIRED)
        return Outcome("SUCCEEDED", preimage=str(row["preimage"]))

    def ready_to_pay(self) -> None:
        pass  # the node's key is loaded when it signs; nothing else is needed to pay

    def send(
        self,
        invoice: Invoice,
        amount_msat: int,
        max_fee_msat: int,
        *,
        deadline: Deadline,
        induce_failure: bool = False,
    ) -> Answer:
        [(status, resolve_at)] = self.send_many(
            [(invoice, amount_msat, max_fee_msat, induce_failure)]
        )
        return answer_of(status, resolve_at)

    def send_many(
        self, requests: list[tuple[Invoice, int, int, bool]]
    ) -> list[tuple[PaymentStatus, float]]:
        """Send one attempt for each ``(invoice, amount, fee cap, induce a failure)``, all under
        one hold of the node lock and with the node's durable writes shared: every HTLC is
        reserved in one ledger write, then every attempt is recorded in one transaction, then
        what is already decided is settled or released in one ledger write. The order a crash
        depends on is the same as for one payment (see the module's docstring).

        Returns, for each request, its status right after sending and the time at which its
        outcome becomes visible (PENDING until then). A hash that is paid or in flight at the
        node is not sent again: its status comes back with ``duplicate`` set."""
        out: list[tuple[PaymentStatus, float] | None] = []
        records: list[Attempt] = []
        reserved: list[Reservation] = []
        seen: set[str] = set()
        with self.lock:
            doc = self._settled_ledger()
            now = time.time()
            for invoice, amount_msat, max_fee_msat, induce_failure in requests:
                payment_hash = invoice.payment_hash
                if payment_hash in seen:  # one attempt per hash at a time, even in one call
                    out.append((PaymentStatus(PaymentState.PENDING, duplicate=True), now))
                    continue
                seen.add(payment_hash)
                prior = self._payment_status(payment_hash)
                if prior.state in (PaymentState.SUCCEEDED, PaymentState.PENDING):
                    out.append((replace(prior, duplicate=True), now))
                    continue
                last = self._last_attempt(payment_hash)
                number = 1 if last is None else int(last["attempt"]) + 1
                self_payment = invoice.payee == self.node_id()
                fee = routing_fee_msat(amount_msat)
                immediate: str | None = None
                channel: Channel | None = None
                if invoice.payee not in (self.node_id(), self.peer_id):
                    immediate = NO_ROUTE
                elif fee > max_fee_msat:
                    immediate = FEE_LIMIT_EXCEEDED
                else:
                    channel = best_channel(doc["channels"], OUT)
                    if channel is None or spendable_msat(channel) < amount_msat + fee:
                        immediate = INSUFFICIENT_BALANCE
                if immediate is not None:  # refused at our node: nothing reserved, nothing sent
                    records.append(
                        Attempt(
                            invoice, number, amount_msat, max_fee_msat, fee, now, now,
                            Outcome("FAILED", immediate), self_payment,
                        )
                    )  # fmt: skip
                    out.append(None)
                    continue
                assert channel is not None
                L.reserve(channel, payment_hash, amount_msat + fee, OUT, number)
                reserved.append(
                    Reservation(
                        len(out), invoice, amount_msat, max_fee_msat, fee, number, self_payment,
                        induce_failure, channel["channel_id"],
                    )
                )  # fmt: skip
                out.append(None)
            ledger_seq = 0
            if reserved:
                ledger_seq = self._write_ledger(doc)
                failpoints.hit("node_after_reserve", self.env)
            resolve_at = now + self.settings.latency_ms / 1000
            for r in reserved:
                outcome = self._decide(
                    r.invoice, r.amount_msat, r.number, r.induce_failure, now, doc
                )
                records.append(
                    Attempt(
                        r.invoice, r.number, r.amount_msat, r.max_fee_msat, r.fee_msat, now,
                        resolve_at, outcome, r.self_payment, r.channel_id,
                    )
                )  # fmt: skip
            if records:
                with transaction(self.conn) as conn:
                    for attempt in records:
                        self._record_attempt(attempt)
                    if ledger_seq:
                        self._note_ledger(conn, ledger_seq)
            if reserved:
                failpoints.hit("node_after_record", self.env)
                sent = {r.invoice.payment_hash for r in reserved}
                if resolve_at <= now and self._apply_to(doc, sent):
                    self._write_ledger(doc)
                    failpoints.hit("node_after_settle", self.env)
            statuses = [
                (done if done is not None else (self._payment_status(req[0].payment_hash), 0.0))
                for done, req in zip(out, requests, strict=True)
            ]
        for r in reserved:
            statuses[r.index] = (statuses[r.index][0], resolve_at)
        return statuses

    def settle_many(self, payment_hashes: list[str]) -> list[PaymentStatus]:
        """The status of each hash, after settling or releasing (in one ledger write, under one
        hold of the lock) every HTLC whose outcome is known: a batch's polling step."""
        with self.lock:
            self._settled_ledger()
            return [self._payment_status(h) for h in payment_hashes]

    def _record_attempt(self, attempt: Attempt) -> None:
        """In the record (the caller's transaction): the attempt, its payment and, for a success,
        the invoice it paid."""
        invoice, outcome = attempt.invoice, attempt.outcome
        succeeded = outcome.result == "SUCCEEDED"
        with transaction(self.conn) as conn:
            conn.execute(
                "INSERT INTO payments (payment_hash, bolt11, amount_msat, max_fee_msat, "
                "created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (payment_hash) DO UPDATE SET "
                "amount_msat = excluded.amount_msat, max_fee_msat = excluded.max_fee_msat, "
                "bolt11 = excluded.bolt11",
                (
                    invoice.payment_hash,
                    invoice.bolt11,
                    attempt.amount_msat,
                    attempt.max_fee_msat,
                    attempt.started_at,
                ),
            )
            conn.execute(
                "INSERT INTO attempts (payment_hash, attempt, amount_msat, started_at, resolve_at, "
                "outcome, failure_reason, fee_msat, preimage, route_fee_msat, self_payment, "
                "channel_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    invoice.payment_hash,
                    attempt.number,
                    attempt.amount_msat,
                    attempt.started_at,
                    attempt.resolve_at,
                    outcome.result,
                    outcome.failure_reason,
                    attempt.fee_msat if succeeded else None,
                    outcome.preimage,
                    attempt.fee_msat,
                    int(attempt.self_payment),
                    attempt.channel_id,
                ),
            )
            if not succeeded:
                return
            if attempt.self_payment:
                conn.execute(
                    "UPDATE invoices SET settled_at = ?, received_msat = ? WHERE payment_hash = ?",
                    (attempt.resolve_at, attempt.amount_msat, invoice.payment_hash),
                )
            else:
                conn.execute(
                    "UPDATE remote_invoices SET status = 'SETTLED' WHERE payment_hash = ?",
                    (invoice.payment_hash,),
                )

    def _last_attempt(self, payment_hash: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM attempts WHERE payment_hash = ? ORDER BY attempt DESC LIMIT 1",
            (payment_hash,),
        ).fetchone()
        return row

    def payment_status(self, payment_hash: str) -> PaymentStatus:
        self._apply_if_needed(payment_hash)
        return self._payment_status(payment_hash)

    def _payment_status(self, payment_hash: str) -> PaymentStatus:
        last = self._last_attempt(payment_hash)
        if last is None:
            return PaymentStatus(PaymentState.UNKNOWN)
        if last["resolve_at"] > time.time():
            return PaymentStatus(PaymentState.PENDING)
        if last["outcome"] == "SUCCEEDED":
            return PaymentStatus(
                PaymentState.SUCCEEDED,
                preimage=last["preimage"],
                fee_msat=last["fee_msat"],
                channel_id=last["channel_id"],
            )
        return PaymentStatus(PaymentState.FAILED, failure_reason=last["failure_reason"])

    # -- applying outcomes to the ledger (the node's own recovery) ---------------------------------

    def _apply_if_needed(self, payment_hash: str) -> None:
        """Settle or release this hash's HTLCs whose outcome is known (takes the lock only when
        there is one)."""
        if not self.ledger.may_hold_htlcs():
            return
        doc = self.ledger.read()
        if any(h["payment_hash"] == payment_hash for _, h in L.all_htlcs(doc)):
            try:
                with self.lock:
                    self._apply(payment_hash)
            except LockTimeoutError:
                pass  # the record tells the outcome; the next step that moves money applies it

    def _sweep_if_needed(self) -> Doc:
        """Resolve every HTLC whose outcome is known; the ledger as it is then (takes the lock
        only when there is an HTLC)."""
        doc = self.ledger.read()
        if not L.all_htlcs(doc):
            return doc
        with self.lock:
            return self._settled_ledger()

    def _settled_ledger(self) -> Doc:
        """Under the node lock: the ledger, every HTLC whose outcome is known resolved (and
        written) first. Every step that moves money starts from it, so an outcome that nobody
        has looked at yet never holds funds back; a command that moves nothing does not read
        the ledger at all."""
        doc = self.ledger.read()
        problem = self._mismatch((doc.get("node"), doc.get("seq", 0), doc.get("record_seq", 0)))
        if problem is not None:
            raise problem
        if self._apply_to(doc, {h["payment_hash"] for _, h in L.all_htlcs(doc)}):
            self._write_ledger(doc)
            failpoints.hit("node_after_settle", self.env)
        return doc

    def _apply(self, payment_hash: str) -> None:
        """Under the node lock: resolve the HTLCs of ``payment_hash`` whose outcome is known."""
        doc = self.ledger.read()
        if self._apply_to(doc, {payment_hash}):
            self._write_ledger(doc)
            failpoints.hit("node_after_settle", self.env)

    def _apply_to(self, doc: Doc, payment_hashes: set[str]) -> bool:
        """Under the node lock: resolve, in the ledger ``doc`` (the caller writes it), the HTLCs
        of ``payment_hashes`` whose outcome is known. An HTLC whose attempt was never recorded
        was never sent (its process died in between, as only a holder of the lock can be
        between the two): released. True when ``doc`` changed."""
        changed = False
        now = time.time()
        for ch in doc["channels"]:
            for htlc in list(ch["htlcs"]):
                payment_hash = htlc["payment_hash"]
                if payment_hash not in payment_hashes:
                    continue
                if htlc["direction"] == OUT:
                    changed |= self._apply_out(ch, htlc, now)
                else:
                    paid = self.conn.execute(
                        "SELECT 1 FROM incoming WHERE payment_hash = ?", (payment_hash,)
                    ).fetchone()
                    (L.settle if paid else L.release)(ch, htlc)
                    changed = True
        return changed

    def _apply_out(self, ch: Channel, htlc: Htlc, now: float) -> bool:
        payment_hash = htlc["payment_hash"]
        attempt = htlc.get("attempt", 0)
        if attempt:
            row = self.conn.execute(
                "SELECT * FROM attempts WHERE payment_hash = ? AND attempt = ?",
                (payment_hash, attempt),
            ).fetchone()
        else:  # an HTLC carried over from lnctl 0.1: its last attempt
            row = self._last_attempt(payment_hash)
        if row is None:
            L.release(ch, htlc)
            return True
        if row["resolve_at"] > now:
            return False
        if row["outcome"] == "SUCCEEDED":
            # the HTLC holds amount + the route's fee: all of it is spent
            back = int(row["amount_msat"]) if row["self_payment"] else 0
            L.settle(ch, htlc, htlc["amount_msat"], back)
        else:
            L.release(ch, htlc)
        return True


def answer_of(status: PaymentStatus, resolve_at: float) -> Answer:
    """What the node's record says of an attempt just sent, as an Answer (the node refuses a
    hash it has paid or has in flight: ``duplicate``)."""
    # imported when a payment is sent, not when the node opens for a listing
    from lnctl.backends.outcome import (
        FAILURE,
        IN_FLIGHT_ALREADY,
        PAID_ALREADY,
        PENDING,
        SUCCESS,
        Answer,
    )

    if status.duplicate:
        paid = status.state == PaymentState.SUCCEEDED
        return Answer(PAID_ALREADY if paid else IN_FLIGHT_ALREADY)
    if status.state == PaymentState.SUCCEEDED:
        return Answer(
            SUCCESS,
            preimage=status.preimage,
            fee_msat=status.fee_msat,
            channel_id=status.channel_id,
        )
    if status.state == PaymentState.FAILED:
        return Answer(FAILURE, failure_reason=status.failure_reason)
    return Answer(PENDING, due_s=max(0.0, resolve_at - time.time()))
