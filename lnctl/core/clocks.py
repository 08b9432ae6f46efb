"""The two clocks of the payment lifecycle: when a payment may start (``TokenBucket``: a batch's
``--rate-limit``) and when it may be sent again (``RetryClock``: only after a definite transient
failure, with backoff, within the deadline). Pure time arithmetic over ``time.monotonic``: they
ask nothing of the node or the history, and are tested on their own (tests/unit/test_clocks.py).
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    import threading
    from collections.abc import Iterator

    from lnctl.backends.base import PaymentStatus
    from lnctl.deadline import Deadline

BACKOFF_FACTOR_S = 0.2
BACKOFF_MAX_S = 5.0
MIN_ATTEMPT_S = 0.05  # the least time worth starting an attempt with


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


class TokenBucket:
    """At most ``rate`` starts per second: starts spaced at least ``1 / rate`` seconds apart,
    with no burst after an idle spell (a bucket of one token). A bucket that saved up a second's
    worth would let a stalled batch start ``2 * rate`` in one second."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.capacity = 1.0
        self.tokens = self.capacity if rate is None else 1.0
        self.updated = time.monotonic()
        import threading  # a batch's threads: a single pay starts without the module

        self.lock = threading.Lock()

    def try_take(self, *, peek: bool = False) -> float:
        """Take a token if one is there (not when ``peek``): 0 if one was (or is) there, else
        the seconds until the next one."""
        if self.rate is None:
            return 0.0
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                if not peek:
                    self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate

    def give_back(self) -> None:
        """Return a token taken for a start that did not happen."""
        if self.rate is not None:
            with self.lock:
                self.tokens = min(self.capacity, self.tokens + 1)

    def take(self, stop: threading.Event) -> bool:
        """Wait for a token; False when asked to stop first."""
        while not stop.is_set():
            wait = self.try_take()
            if wait == 0:
                return True
            stop.wait(wait)
        return False
