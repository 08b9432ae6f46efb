"""The one exception tree of lnctl and the exit-code table of the scripting contract.

Nothing below ``lnctl.cli`` prints or exits: it raises one of these, and the CLI's single
handler turns it into an exit code and a one-line message (or a JSON error document).
"""

from __future__ import annotations


class ExitCode:
    """Exit codes users' scripts branch on. Stable: never renumber.

    Plain ints rather than an IntEnum: importing enum is a quarter of ``lnctl decode``'s
    start-up, and every command imports this module."""

    OK = 0
    INTERNAL = 1  # internal or storage error (corrupt state, unsafe key file, disk)
    INVALID = 2  # usage or invalid input: bad invoice, wrong network, expired, unsupported
    PAYMENT_FAILED = 3  # failed permanently (no route, not enough liquidity, ...)
    RETRIES_EXHAUSTED = 4  # failed after retries (transient failures, or out of time)
    DUPLICATE = 5  # already paid or already in flight
    PENDING = 6  # outcome still unknown: do not pay again, look it up
    INTERRUPTED = 130


class LnctlError(Exception):
    """Root of every error lnctl raises on purpose.

    ``code`` is a stable machine-readable name (``INVALID_INVOICE``), ``message`` one line for
    people, ``hint`` what to do about it. ``details`` is extra structured data for ``--json``.
    """

    exit_code: int = ExitCode.INTERNAL
    default_code = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str = "",
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.hint = hint
        self.details = details or {}


class StorageError(LnctlError):
    """The wallet's files cannot be read or written (disk, permissions, locks)."""

    default_code = "STORAGE_ERROR"


class CorruptStateError(StorageError):
    """A file on disk is not what lnctl wrote: refused, never overwritten."""

    default_code = "CORRUPT_STATE"


class LockTimeoutError(StorageError):
    """Another lnctl process held a lock past the wait: nothing was done (a payment stopped
    here was not sent, and is not recorded)."""

    default_code = "LOCK_TIMEOUT"


class UnsafePermissionsError(StorageError):
    """A secret is readable by group or others (refused, as ssh does)."""

    default_code = "UNSAFE_PERMISSIONS"


class MemoKeyError(StorageError):
    """A memo cannot be decrypted: key missing, wrong, or ciphertext tampered with."""

    default_code = "MEMO_KEY_ERROR"


class InvalidInputError(LnctlError):
    """Usage or invalid input (exit 2)."""

    exit_code = ExitCode.INVALID
    default_code = "INVALID_INPUT"


class InvalidInvoiceError(InvalidInputError):
    """A BOLT 11 string that a strict reader must refuse."""

    default_code = "INVALID_INVOICE"


# 21 million BTC in msat (bolt11.MAX_MSAT is the same number; errors.py imports nothing of
# lnctl, and a test keeps the two equal)
MAX_MSAT = 21_000_000 * 100_000_000_000


def check_amount(amount_msat: int, what: str = "the amount") -> int:
    """An amount of msat a user gave: positive and at most 21 million BTC (exit 2 otherwise)."""
    if not 0 < amount_msat <= MAX_MSAT:
        raise InvalidInputError(
            f"{what} must be between 1 msat and 21,000,000 BTC", code="INVALID_AMOUNT"
        )
    return amount_msat


def check_text(value: str | None, what: str) -> str | None:
    """Text a user gave (from argv it may hold undecodable bytes as surrogates): UTF-8 or exit 2."""
    if value is not None:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInputError(f"{what} is not valid UTF-8", code="INVALID_TEXT") from exc
    return value


class NotFoundError(InvalidInputError):
    """Nothing is stored under the given payment hash."""

    default_code = "NOT_FOUND"


class PaymentError(LnctlError):
    """A payment did not succeed. Carries the payment record for ``--json``."""

    exit_code = ExitCode.PAYMENT_FAILED
    default_code = "PAYMENT_FAILED"


class PaymentFailedError(PaymentError):
    exit_code = ExitCode.PAYMENT_FAILED
    default_code = "PAYMENT_FAILED"


class RetriesExhaustedError(PaymentError):
    exit_code = ExitCode.RETRIES_EXHAUSTED
    default_code = "RETRIES_EXHAUSTED"


class DuplicatePaymentError(PaymentError):
    exit_code = ExitCode.DUPLICATE
    default_code = "DUPLICATE_PAYMENT"


class PaymentPendingError(PaymentError):
    exit_code = ExitCode.PENDING
    default_code = "PAYMENT_PENDING"


class NeedsAttentionError(PaymentError):
    """A payment whose state the node reported in a way lnctl cannot accept (a success without
    a valid preimage or fee, a fee above the cap): kept aside, never paid again automatically."""

    exit_code = ExitCode.INTERNAL
    default_code = "NEEDS_ATTENTION"


# -- errors of the node behind the wallet (the backend), mapped to exit codes here -------------


class BackendError(LnctlError):
    """The node answered something lnctl cannot use (exit 1)."""

    default_code = "BACKEND_ERROR"


class BackendUnavailableError(BackendError):
    """The node cannot be reached (server down, connection refused): nothing was decided."""

    default_code = "BACKEND_UNAVAILABLE"


class BackendAuthError(BackendError):
    """The node refused our credentials (a wrong or missing key): exit 2, a usage problem."""

    exit_code = ExitCode.INVALID
    default_code = "AUTH_FAILED"


class UnsupportedError(InvalidInputError):
    """What was asked is not something this backend can do (exit 2)."""

    default_code = "UNSUPPORTED_BACKEND"


class Interrupted(LnctlError):
    exit_code = ExitCode.INTERRUPTED
    default_code = "INTERRUPTED"


class Done(Exception):  # noqa: N818 - not an error: a command's chosen exit code
    """A command has printed its whole result and exits with ``code`` (a batch whose worst
    outcome was a failure, or that was interrupted)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code
