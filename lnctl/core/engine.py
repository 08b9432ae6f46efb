"""Group commit: a batch on the embedded node shares its durable writes among the payments in
flight (``pay --file`` on the simulated backend).

Each payment is still a single pay in every rule (``lnctl.core.payments``: validation, the
per-hash lock, duplicates, the fee cap, retries for transient failures only, the outcome
checks). What changes is that the payments in flight take each durable step together. A round:

1. admits the lines that may start (at most ``--concurrency`` in flight, one ``--rate-limit``
   token each): validates each, takes its hash lock and checks the history, as a single pay;
2. claims them and counts their first attempts in one history transaction (one commit);
3. sends them in one call to the node (``SimulatedBackend.send_many``: the HTLCs reserved in
   one ledger write, the attempts recorded in one transaction, what is decided settled in one
   more ledger write);
4. sends the retries that are due (their attempts counted in one commit) and polls the
   payments whose outcome is due (``settle_many``: one ledger write);
5. records every outcome now known in one history transaction, and only then reports them.

Every claim and result is committed (``synchronous=FULL``) before it is reported, and the
order of the durable writes is that of a single payment, so a ``kill -9`` at any instant leaves
states that recovery resolves payment by payment, exactly as after a single pay.
"""

from __future__ import annotations

import time
from collections import deque

from lnctl import failpoints
from lnctl.backends.base import TIMEOUT, PaymentState, PaymentStatus
from lnctl.backends.outcome import NOT_SENT, NotSent, settle
from lnctl.backends.simulated.node import answer_of
from lnctl.core.documents import payment_document
from lnctl.core.locks import HashLock
from lnctl.core.payments import (
    RetryClock,
    claim,
    existing_outcome,
    lock_busy,
    log_attempt,
    log_result,
    outcome,
    undo_claim,
    validate,
)
from lnctl.deadline import Deadline
from lnctl.errors import LnctlError
from lnctl.records import replace

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    import threading
    from collections.abc import Callable
    from typing import Any

    from lnctl.bolt11 import Invoice
    from lnctl.core.batch import Line, TokenBucket
    from lnctl.core.documents import PaymentDocument
    from lnctl.core.wallet import Wallet
    from lnctl.storage.rows import PaymentRow


class Flight:
    """One payment of the batch between its claim and its result."""

    __slots__ = (
        "index", "began", "invoice", "amount", "cap", "lock", "previous", "row", "clock",
        "number", "sent", "due", "poll", "status", "timed_out",
    )  # fmt: skip

    def __init__(
        self,
        index: int,
        began: float,
        invoice: Invoice,
        amount: int,
        cap: int,
        lock: HashLock,
        previous: PaymentRow | None,
        clock: RetryClock,
    ) -> None:
        self.index = index
        self.began = began
        self.invoice = invoice
        self.amount = amount
        self.cap = cap
        self.lock = lock
        self.previous = previous  # the record before this claim (None, or a FAILED one)
        self.clock = clock
        self.row: PaymentRow | None = None
        self.number = 0  # the attempt being sent
        self.sent = 0.0  # when it was sent (monotonic)
        self.due = 0.0  # when to act next (monotonic): send again, or ask the node
        self.poll = False  # what to do then: ask the node (True) or send again (False)
        self.status: PaymentStatus | None = None  # the last answer
        self.timed_out = False

    @property
    def payment_hash(self) -> str:
        return self.invoice.payment_hash


class Engine:
    """Runs a batch's payments on the embedded node in rounds of shared commits. Results go to
    ``finish(index, began, document or error)`` in the order they are known."""

    def __init__(
        self,
        wallet: Wallet,
        lines: list[Line],
        *,
        concurrency: int,
        bucket: TokenBucket,
        stop: threading.Event,
        pay_options: dict[str, Any],
        finish: Callable[[int, float, PaymentDocument | LnctlError], None],
    ) -> None:
        self.wallet = wallet
        self.node = wallet.simulated
        self.lines = lines
        self.concurrency = concurrency
        self.bucket = bucket
        self.stop = stop
        self.max_fee_msat: int | None = pay_options.get("max_fee_msat")
        self.timeout_s: float = pay_options.get("timeout_s", 30.0)
        self.retries: int = pay_options.get("retries", 3)
        self.induce_failures: int = pay_options.get("induce_failures", 0)
        self.if_paid: str = pay_options.get("if_paid", "error")
        self.finish = finish
        self.todo = deque(range(len(lines)))
        self.flights: dict[str, Flight] = {}  # by payment hash
        self.deferred: dict[str, list[int]] = {}  # lines waiting for their hash's flight to end

    def run(self) -> None:
        try:
            self._rounds()
        finally:  # stopped by an error: what is in flight is left to recovery, locks released
            for flight in self.flights.values():
                flight.lock.release()

    def _rounds(self) -> None:
        while True:
            admitted = self._admit()
            if admitted:
                self._claim(admitted)
                self._send([f for f in admitted if f.row is not None])
            now = time.monotonic()
            due = [f for f in self.flights.values() if f.status is None and f.due <= now]
            if due:
                self._poll([f for f in due if f.poll])
                self._send([f for f in due if not f.poll], retry=True)
            self._conclude([f for f in self.flights.values() if f.status is not None])
            if not self.flights and (not self.todo or self.stop.is_set()):
                return
            if not admitted and not due:
                self._sleep()

    # -- 1. admission ------------------------------------------------------------------------------

    def _admit(self) -> list[Flight]:
        admitted: list[Flight] = []
        while (
            self.todo
            and not self.stop.is_set()
            and len(self.flights) < self.concurrency
            and self.bucket.try_take() == 0
        ):
            flight = self._start(self.todo.popleft())
            if flight is not None:
                admitted.append(flight)
                self.flights[flight.payment_hash] = flight
        return admitted

    def _start(self, index: int) -> Flight | None:
        """Validate a line, take its hash lock and check the history, as ``pay`` does. A line
        whose hash is in flight in this batch waits for that payment's end."""
        began = time.monotonic()
        line = self.lines[index]
        wallet = self.wallet
        try:
            invoice, amount, cap = validate(
                wallet, line.invoice, line.amount_msat, self.max_fee_msat
            )
            if invoice.payment_hash in self.flights:
                self.deferred.setdefault(invoice.payment_hash, []).append(index)
                self.bucket.give_back()
                return None
            lock = HashLock(wallet.home, invoice.payment_hash)
            if not lock.try_acquire():
                self.finish(index, began, lock_busy(wallet, invoice.payment_hash, self.if_paid))
                return None
        except LnctlError as exc:
            self.finish(index, began, exc)
            return None
        try:
            previous = wallet.history.get_payment(invoice.payment_hash)
            already = existing_outcome(previous, self.if_paid)
        except LnctlError as exc:
            lock.release()
            self.finish(index, began, exc)
            return None
        if already is not None:
            lock.release()
            self.finish(index, began, already)
            return None
        clock = RetryClock(
            Deadline(began + self.timeout_s),
            self.retries,
            not self.node.capabilities.retries_itself,
        )
        return Flight(index, began, invoice, amount, cap, lock, previous, clock)

    # -- 2. claims ---------------------------------------------------------------------------------

    def _claim(self, flights: list[Flight]) -> None:
        """Claim every admitted payment and count its first attempt: one commit."""
        history = self.wallet.history
        try:
            with history.transaction():
                for f in flights:
                    f.row = claim(self.wallet, f.invoice, f.amount, f.cap, None)
                    f.number = history.count_attempt(f.payment_hash)
        except LnctlError as exc:  # nothing was claimed: the transaction is rolled back
            for f in flights:
                f.row = None
                self._end(f, exc)
            return
        failpoints.hit("after_claim", self.wallet.env)

    # -- 3. sending --------------------------------------------------------------------------------

    def _send(self, flights: list[Flight], retry: bool = False) -> None:
        if not flights:
            return
        history = self.wallet.history
        if retry:
            try:
                with history.transaction():
                    for f in flights:
                        f.number = history.count_attempt(f.payment_hash)
            except LnctlError as exc:  # not counted, not sent: each stays as it was
                for f in flights:
                    self._fail_in_flight(f, exc)
                return
        failpoints.hit("before_send", self.wallet.env)
        sent = time.monotonic()
        try:
            answers = self.node.send_many(
                [(f.invoice, f.amount, f.cap, f.number <= self.induce_failures) for f in flights]
            )
        except NOT_SENT as exc:
            for f in flights:
                undo_claim(self.wallet, f.payment_hash, f.previous)
                self._end(f, exc)
            return
        except LnctlError as exc:  # what the node did is not known: each stays in flight
            for f in flights:
                self._fail_in_flight(f, exc)
            return
        now = time.monotonic()
        for f, (status, resolve_at) in zip(flights, answers, strict=True):
            f.sent = sent
            answer = answer_of(status, resolve_at)
            if answer.due_s is not None:  # in flight at the node: polled when it is due
                f.poll = True
                f.due = min(now + answer.due_s, self._deadline(f))
                continue
            try:  # the node's record is the lookup: it answered from it, in the same step
                concluded = settle(answer, f.payment_hash, _known(status), f.clock.deadline)
            except NotSent as exc:
                undo_claim(self.wallet, f.payment_hash, f.previous)
                self._end(f, exc.error)
                continue
            self._answered(f, concluded, now - sent)

    def _poll(self, flights: list[Flight]) -> None:
        """Ask the node how the payments due have ended (one ledger write for all)."""
        if not flights:
            return
        try:
            statuses = self.node.settle_many([f.payment_hash for f in flights])
        except LnctlError as exc:
            for f in flights:
                self._fail_in_flight(f, exc)
            return
        now = time.monotonic()
        for f, status in zip(flights, statuses, strict=True):
            if status.state is PaymentState.PENDING and now < self._deadline(f):
                f.due = min(now + 0.005, self._deadline(f))  # asked a hair early: ask again
                continue
            self._answered(f, status, now - f.sent)

    @staticmethod
    def _deadline(f: Flight) -> float:
        at = f.clock.deadline.at
        assert at is not None
        return at

    def _answered(self, f: Flight, status: PaymentStatus, took: float) -> None:
        log_attempt(f.payment_hash, f.number, status, took)
        wait, timed_out = f.clock.after(status, f.number, took)
        if wait is None:
            f.status, f.timed_out = status, timed_out
        else:
            f.poll, f.due = False, time.monotonic() + wait

    # -- 5. results --------------------------------------------------------------------------------

    def _conclude(self, flights: list[Flight]) -> None:
        """Record every known outcome in one commit, then report each."""
        if not flights:
            return
        failpoints.hit("after_send", self.wallet.env)
        from lnctl.core.settle import conclude

        history = self.wallet.history
        finals: list[PaymentRow] = []
        try:
            with history.transaction():
                for f in flights:
                    assert f.status is not None and f.row is not None
                    recorded = (
                        replace(f.status, failure_reason=TIMEOUT) if f.timed_out else f.status
                    )
                    current = history.get_payment(f.payment_hash) or f.row
                    finals.append(conclude(self.wallet, current, recorded, note=False))
                self.wallet.note_node()  # the node's step the history has seen, once a round
        except LnctlError as exc:  # nothing recorded: each stays in flight, for recovery
            for f in flights:
                self._fail_in_flight(f, exc)
            return
        for f, final in zip(flights, finals, strict=True):
            assert f.status is not None
            try:
                result: PaymentDocument | LnctlError = outcome(
                    final,
                    f.status,
                    f.timed_out,
                    self.timeout_s,
                    self.if_paid,
                    time.monotonic() - f.began,
                    self.wallet,
                )
            except LnctlError as exc:
                result = exc
            log_result(final)
            self._end(f, result)

    def _fail_in_flight(self, f: Flight, exc: LnctlError) -> None:
        """An error after the claim: the payment stays as it is stored (in flight, for
        recovery to resolve from the node's record); the error carries it."""
        try:
            stored = self.wallet.history.get_payment(f.payment_hash)
        except LnctlError:
            stored = None
        if stored is not None:
            from copy import copy

            exc = copy(exc)  # one error may end several payments: each carries its own record
            exc.details = {**exc.details, "payment": payment_document(stored)}
        self._end(f, exc)

    def _end(self, f: Flight, result: PaymentDocument | LnctlError) -> None:
        self.flights.pop(f.payment_hash, None)
        f.lock.release()
        waiting = self.deferred.pop(f.payment_hash, [])
        self.todo.extendleft(reversed(waiting))
        self.finish(f.index, f.began, result)

    def _sleep(self) -> None:
        """Until the next flight is due or the next token comes (or a stop is asked)."""
        now = time.monotonic()
        waits = [f.due - now for f in self.flights.values() if f.status is None]
        if self.todo and not self.stop.is_set() and len(self.flights) < self.concurrency:
            waits.append(self.bucket.try_take(peek=True))
        self.stop.wait(max(0.0, min(waits, default=0.05)))


def _known(status: PaymentStatus) -> Callable[[str], PaymentStatus]:
    """A lookup that answers what the node has just said (the embedded node answers from its
    record, in the step that acted: nothing more to ask)."""
    return lambda _payment_hash: status
