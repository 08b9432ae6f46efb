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
from lnctl.backends.base import PaymentState
from lnctl.backends.outcome import NOT_SENT, NotSent, settle
from lnctl.backends.simulated.node import answer_of
from lnctl.core.payments import Flight, validate
from lnctl.deadline import Deadline
from lnctl.errors import LnctlError

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Sequence
    from typing import Protocol

    from lnctl.backends.base import PaymentStatus
    from lnctl.core.clocks import TokenBucket
    from lnctl.core.documents import PaymentDocument
    from lnctl.core.payments import PayOptions
    from lnctl.core.wallet import Wallet
    from lnctl.storage.rows import PaymentRow

    class Asked(Protocol):
        """What the engine reads of a batch's line: the invoice, and an amount for one
        without (``lnctl.core.batch.Line``)."""

        @property
        def invoice(self) -> str: ...
        @property
        def amount_msat(self) -> int | None: ...


class Engine:
    """Runs a batch's payments on the embedded node in rounds of shared commits, each payment a
    ``Flight`` (``lnctl.core.payments``) that goes through the same steps as a single ``pay``.
    Results go to ``finish(index, began, document or error)`` in the order they are known."""

    def __init__(
        self,
        wallet: Wallet,
        lines: Sequence[Asked],
        *,
        concurrency: int,
        bucket: TokenBucket,
        stop: threading.Event,
        options: PayOptions,
        finish: Callable[[int, float, PaymentDocument | LnctlError], None],
    ) -> None:
        self.wallet = wallet
        self.node = wallet.simulated
        self.lines = lines
        self.concurrency = concurrency
        self.bucket = bucket
        self.stop = stop
        self.options = options
        self.finish = finish
        self.todo = deque(range(len(lines)))
        self.flights: dict[str, Flight] = {}  # by payment hash
        self.deferred: dict[str, list[int]] = {}  # lines waiting for their hash's flight to end

    def run(self) -> None:
        try:
            self._rounds()
        except KeyboardInterrupt:  # as a single pay: what is out stays in flight, with its record
            for flight in list(self.flights.values()):
                self._end(flight, flight.interrupted())
            raise
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
        """Validate a line and open its flight, as ``pay`` does. A line whose hash is in flight
        in this batch waits for that payment's end."""
        began = time.monotonic()
        line = self.lines[index]
        try:
            invoice, amount, cap = validate(
                self.wallet, line.invoice, line.amount_msat, self.options.max_fee_msat
            )
            if invoice.payment_hash in self.flights:
                self.deferred.setdefault(invoice.payment_hash, []).append(index)
                self.bucket.give_back()
                return None
            flight = Flight.open(
                self.wallet, invoice, amount, cap, self.options,
                began=began, deadline=Deadline(began + self.options.timeout_s), index=index,
            )  # fmt: skip
        except LnctlError as exc:
            self.finish(index, began, exc)
            return None
        if not isinstance(flight, Flight):  # already paid (--if-paid ok), or paid elsewhere
            self.finish(index, began, flight)
            return None
        flight.sending(not self.node.capabilities.retries_itself)
        return flight

    # -- 2. claims ---------------------------------------------------------------------------------

    def _claim(self, flights: list[Flight]) -> None:
        """Claim every admitted payment and count its first attempt: one commit."""
        try:
            with self.wallet.history.transaction():
                for f in flights:
                    f.claim()
                    f.count_attempt()
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
        if retry:
            try:
                with self.wallet.history.transaction():
                    for f in flights:
                        f.count_attempt()
            except LnctlError as exc:  # not counted, not sent: each stays as it was
                for f in flights:
                    self._end(f, f.failed(exc))
                return
        failpoints.hit("before_send", self.wallet.env)
        sent = time.monotonic()
        try:
            answers = self.node.send_many(
                [(f.invoice, f.amount, f.cap, f.induced) for f in flights]
            )
        except NOT_SENT as exc:
            for f in flights:
                self._end(f, f.not_sent(exc))
            return
        except LnctlError as exc:  # what the node did is not known: each stays in flight
            for f in flights:
                self._end(f, f.failed(exc))
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
                concluded = settle(answer, f.payment_hash, _known(status), f.deadline)
            except NotSent as exc:
                self._end(f, f.not_sent(exc.error))
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
                self._end(f, f.failed(exc))
            return
        now = time.monotonic()
        for f, status in zip(flights, statuses, strict=True):
            if status.state == PaymentState.PENDING and now < self._deadline(f):
                f.due = min(now + 0.005, self._deadline(f))  # asked a hair early: ask again
                continue
            self._answered(f, status, now - f.sent)

    @staticmethod
    def _deadline(f: Flight) -> float:
        at = f.deadline.at
        assert at is not None
        return at

    def _answered(self, f: Flight, status: PaymentStatus, took: float) -> None:
        wait = f.answered(status, took)
        if wait is not None:
            f.poll, f.due = False, time.monotonic() + wait

    # -- 5. results --------------------------------------------------------------------------------

    def _conclude(self, flights: list[Flight]) -> None:
        """Record every known outcome in one commit, then report each."""
        if not flights:
            return
        failpoints.hit("after_send", self.wallet.env)
        finals: list[PaymentRow] = []
        try:
            with self.wallet.history.transaction():
                for f in flights:
                    finals.append(f.record(note=False))
                self.wallet.note_node()  # the node's step the history has seen, once a round
        except LnctlError as exc:  # nothing recorded: each stays in flight, for recovery
            for f in flights:
                self._end(f, f.failed(exc))
            return
        for f, final in zip(flights, finals, strict=True):
            try:
                result: PaymentDocument | LnctlError = f.result(final)
            except LnctlError as exc:
                result = exc
            self._end(f, result)

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
