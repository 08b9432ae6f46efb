"""The lifecycle's two clocks (lnctl.core.clocks), on their own: the retry clock sends again only
after a definite transient failure, with exponential backoff, never past the deadline; the token
bucket holds a batch's --rate-limit."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from lnctl.backends.base import (
    NO_ROUTE,
    TEMPORARY_CHANNEL_FAILURE,
    PaymentState,
    PaymentStatus,
)
from lnctl.core import clocks
from lnctl.core.clocks import BACKOFF_MAX_S, RetryClock, TokenBucket
from lnctl.deadline import Deadline

TRANSIENT = PaymentStatus(PaymentState.FAILED, failure_reason=TEMPORARY_CHANNEL_FAILURE)


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full jitter draws a wait between 0 and the backoff; here it is the backoff itself."""
    monkeypatch.setattr("backoff.full_jitter", lambda value: value)


@pytest.mark.parametrize(
    "status",
    [
        PaymentStatus(PaymentState.SUCCEEDED, preimage="00" * 32, fee_msat=0),
        PaymentStatus(PaymentState.FAILED, failure_reason=NO_ROUTE),  # permanent
        PaymentStatus(PaymentState.PENDING),  # unknown is not failed: never sent again
        PaymentStatus(PaymentState.UNKNOWN),
        PaymentStatus(
            PaymentState.FAILED, failure_reason=TEMPORARY_CHANNEL_FAILURE, duplicate=True
        ),
    ],
)
def test_only_a_definite_transient_failure_is_sent_again(status: PaymentStatus) -> None:
    clock = RetryClock(Deadline.after(60), retries=5, retry_here=True)
    assert clock.after(status, 1, 0.01) == (None, False)
    wait, timed_out = clock.after(TRANSIENT, 1, 0.01)
    assert wait is not None and wait >= 0 and not timed_out


def test_retries_count_every_attempt_and_a_node_that_retries_itself_is_not_retried() -> None:
    clock = RetryClock(Deadline.after(60), retries=3, retry_here=True)
    assert clock.after(TRANSIENT, 2, 0.01)[0] is not None
    assert clock.after(TRANSIENT, 3, 0.01) == (None, False)  # the third of three: the last
    itself = RetryClock(Deadline.after(60), retries=3, retry_here=False)
    assert itself.after(TRANSIENT, 1, 0.01) == (None, False)


def test_backoff_doubles_up_to_its_cap(no_jitter: None) -> None:
    clock = RetryClock(Deadline(None), retries=100, retry_here=True)
    waits = [clock.after(TRANSIENT, n, 0.0)[0] for n in range(1, 9)]
    assert waits == [0.2, 0.4, 0.8, 1.6, 3.2, BACKOFF_MAX_S, BACKOFF_MAX_S, 5.0]


def test_jitter_stays_between_zero_and_the_backoff() -> None:
    for _ in range(200):
        clock = RetryClock(Deadline(None), retries=100, retry_here=True)
        for n, cap in enumerate((0.2, 0.4, 0.8), 1):
            wait = clock.after(TRANSIENT, n, 0.0)[0]
            assert wait is not None and 0 <= wait <= cap


def test_no_attempt_that_could_not_finish_before_the_deadline(no_jitter: None) -> None:
    short = RetryClock(Deadline.after(0.15), retries=5, retry_here=True)
    assert short.after(TRANSIENT, 1, 0.01) == (None, True)  # a 0.2 s wait > 0.15 s left
    # the slowest attempt so far is what the next one is expected to take
    slow = RetryClock(Deadline.after(5), retries=5, retry_here=True)
    assert slow.after(TRANSIENT, 1, 4.9) == (None, True)  # 0.2 + 4.9 > 5 s left
    roomy = RetryClock(Deadline.after(60), retries=5, retry_here=True)
    assert roomy.after(TRANSIENT, 1, 4.9) == (0.2, False)


class FakeTime:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1024.0  # and steps that are exact binary fractions

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(clocks, "time", SimpleNamespace(monotonic=fake.monotonic))
    return fake


def test_bucket_starts_with_one_token_and_refills_at_its_rate(fake_time: FakeTime) -> None:
    bucket = TokenBucket(8)
    assert bucket.try_take() == 0
    assert bucket.try_take() == 0.125  # the next token, an eighth of a second away
    assert bucket.try_take(peek=True) == 0.125
    fake_time.now += 0.0625
    assert bucket.try_take() == 0.0625
    fake_time.now += 0.0625
    assert bucket.try_take() == 0
    assert bucket.try_take() > 0


def test_peek_takes_nothing_and_a_token_given_back_is_there_again(fake_time: FakeTime) -> None:
    bucket = TokenBucket(2)
    assert bucket.try_take(peek=True) == 0
    assert bucket.try_take() == 0  # the peek left it
    assert bucket.try_take() == pytest.approx(0.5)
    bucket.give_back()
    assert bucket.try_take() == 0


def test_bucket_saves_up_no_burst(fake_time: FakeTime) -> None:
    """After an idle hour (or a stalled batch) one start, then the next 1/rate later: never
    more than rate + 1 starts in any one second."""
    bucket = TokenBucket(4)
    fake_time.now += 3600  # idle for an hour
    taken = 0
    while bucket.try_take() == 0:
        taken += 1
    assert taken == 1
    assert bucket.try_take(peek=True) == 0.25


def test_no_rate_limit_never_waits_and_a_stop_ends_a_wait() -> None:
    free = TokenBucket(None)
    assert all(free.try_take() == 0 for _ in range(10_000))
    assert free.take(threading.Event())
    slow = TokenBucket(0.001)  # a token every 1000 s
    assert slow.try_take() == 0
    stop = threading.Event()
    threading.Timer(0.05, stop.set).start()
    assert slow.take(stop) is False
