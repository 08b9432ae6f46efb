"""One deadline per command, on ``time.monotonic``'s clock, passed down to every call that waits.

``--timeout`` is a promise to scripts: the command ends by then, whatever a server does (answers
one byte a second, freezes, restarts). Every connect, every read and every lookup is bounded by
the time left; a request that would wait longer than its own cap (a read that is not a payment)
is bounded by the earlier of the two.
"""

from __future__ import annotations

import time


class Deadline:
    """A moment on ``time.monotonic``'s clock (``at``), or none (``at`` is None: no limit)."""

    __slots__ = ("at",)

    def __init__(self, at: float | None = None) -> None:
        self.at = at

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        """The deadline ``seconds`` from now (None: no deadline)."""
        return cls(None if seconds is None else time.monotonic() + seconds)

    def left(self) -> float:
        """Seconds left (infinite without a deadline; zero or less once it has passed)."""
        return float("inf") if self.at is None else self.at - time.monotonic()

    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def within(self, seconds: float) -> Deadline:
        """The earlier of this deadline and ``seconds`` from now (a request's own cap)."""
        cap = time.monotonic() + seconds
        return Deadline(cap if self.at is None else min(self.at, cap))

    def sleep(self, seconds: float) -> bool:
        """Sleep ``seconds``, or until the deadline if it comes first; False if no time is left
        after the sleep."""
        wait = min(seconds, self.left())
        if wait > 0:
            time.sleep(wait)
        return not self.expired()

    def __repr__(self) -> str:
        return "Deadline(none)" if self.at is None else f"Deadline(in {self.left():.3f} s)"


NO_DEADLINE = Deadline()
