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


TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Final


class Code:
    """The error codes of the scripting contract: the ``code`` of an error document, a stable
    name scripts branch on. Plain strings (as ``ExitCode`` holds plain ints), each in the
    README with its exit code (tests/cli/test_readme.py finds every code the code gives, named
    here or not). A payment's failure reason is its error's code too: those are the constants
    of ``lnctl.backends.base`` (``NO_ROUTE``, ``INSUFFICIENT_BALANCE``, ...)."""

    ADMIN_KEY_REQUIRED: Final = "ADMIN_KEY_REQUIRED"
    ALREADY_IN_FLIGHT: Final = "ALREADY_IN_FLIGHT"
    AMBIGUOUS_HASH: Final = "AMBIGUOUS_HASH"
    AMOUNT_NOT_ALLOWED: Final = "AMOUNT_NOT_ALLOWED"
    AMOUNT_REQUIRED: Final = "AMOUNT_REQUIRED"
    AUTH_FAILED: Final = "AUTH_FAILED"
    BACKEND_ERROR: Final = "BACKEND_ERROR"
    BACKEND_REFUSED: Final = "BACKEND_REFUSED"
    BACKEND_UNAVAILABLE: Final = "BACKEND_UNAVAILABLE"
    BATCH_TOO_LARGE: Final = "BATCH_TOO_LARGE"
    CHANNEL_CLOSED: Final = "CHANNEL_CLOSED"
    CHANNEL_NOT_FOUND: Final = "CHANNEL_NOT_FOUND"
    CONFIG_INVALID: Final = "CONFIG_INVALID"
    CORRUPT_STATE: Final = "CORRUPT_STATE"
    DESCRIPTION_TOO_LONG: Final = "DESCRIPTION_TOO_LONG"
    DISK_ERROR: Final = "DISK_ERROR"
    DISK_FULL: Final = "DISK_FULL"
    DUPLICATE_PAYMENT: Final = "DUPLICATE_PAYMENT"
    EXTRA_MISSING: Final = "EXTRA_MISSING"
    HTLCS_IN_FLIGHT: Final = "HTLCS_IN_FLIGHT"
    INPUT_TOO_LARGE: Final = "INPUT_TOO_LARGE"
    INSECURE_URL: Final = "INSECURE_URL"
    INTERNAL_ERROR: Final = "INTERNAL_ERROR"
    INTERRUPTED: Final = "INTERRUPTED"
    INVALID_AMOUNT: Final = "INVALID_AMOUNT"
    INVALID_BACKEND: Final = "INVALID_BACKEND"
    INVALID_BATCH_LINE: Final = "INVALID_BATCH_LINE"
    INVALID_CURSOR: Final = "INVALID_CURSOR"
    INVALID_DESCRIPTION_HASH: Final = "INVALID_DESCRIPTION_HASH"
    INVALID_EXPIRY: Final = "INVALID_EXPIRY"
    INVALID_FEE_CAP: Final = "INVALID_FEE_CAP"
    INVALID_HASH: Final = "INVALID_HASH"
    INVALID_HOME: Final = "INVALID_HOME"
    INVALID_IDEMPOTENCY_KEY: Final = "INVALID_IDEMPOTENCY_KEY"
    INVALID_INPUT: Final = "INVALID_INPUT"
    INVALID_INVOICE: Final = "INVALID_INVOICE"
    INVALID_LIMIT: Final = "INVALID_LIMIT"
    INVALID_MEMO_KEY: Final = "INVALID_MEMO_KEY"
    INVALID_NETWORK: Final = "INVALID_NETWORK"
    INVALID_OPTION: Final = "INVALID_OPTION"
    INVALID_PATH: Final = "INVALID_PATH"
    INVALID_PEER: Final = "INVALID_PEER"
    INVALID_RETRIES: Final = "INVALID_RETRIES"
    INVALID_SETTING: Final = "INVALID_SETTING"
    INVALID_STATUS: Final = "INVALID_STATUS"
    INVALID_TEXT: Final = "INVALID_TEXT"
    INVALID_TIMEOUT: Final = "INVALID_TIMEOUT"
    INVALID_URL: Final = "INVALID_URL"
    LIGHTSPARK_CONFIG_INVALID: Final = "LIGHTSPARK_CONFIG_INVALID"
    LIGHTSPARK_CONFIG_MISSING: Final = "LIGHTSPARK_CONFIG_MISSING"
    LIGHTSPARK_NODE_NOT_FOUND: Final = "LIGHTSPARK_NODE_NOT_FOUND"
    LIGHTSPARK_NODE_UNSUPPORTED: Final = "LIGHTSPARK_NODE_UNSUPPORTED"
    LISTEN_FAILED: Final = "LISTEN_FAILED"
    LNBITS_KEY_INVALID: Final = "LNBITS_KEY_INVALID"
    LNBITS_KEY_MISSING: Final = "LNBITS_KEY_MISSING"
    LNBITS_URL_MISSING: Final = "LNBITS_URL_MISSING"
    LOCKED: Final = "LOCKED"
    LOCK_TIMEOUT: Final = "LOCK_TIMEOUT"
    MEMO_KEY_ERROR: Final = "MEMO_KEY_ERROR"
    MEMO_KEY_EXHAUSTED: Final = "MEMO_KEY_EXHAUSTED"
    MEMO_KEY_FROM_ENV: Final = "MEMO_KEY_FROM_ENV"
    MEMO_KEY_MISSING: Final = "MEMO_KEY_MISSING"
    MEMO_MISMATCH: Final = "MEMO_MISMATCH"
    MEMO_TAMPERED: Final = "MEMO_TAMPERED"
    MEMO_TOO_LONG: Final = "MEMO_TOO_LONG"
    NEEDS_ATTENTION: Final = "NEEDS_ATTENTION"
    NODE_KEY_MISSING: Final = "NODE_KEY_MISSING"
    NODE_PASSWORD_REQUIRED: Final = "NODE_PASSWORD_REQUIRED"
    NODE_PASSWORD_WRONG: Final = "NODE_PASSWORD_WRONG"
    NOT_FOUND: Final = "NOT_FOUND"
    NOT_OUR_INVOICE: Final = "NOT_OUR_INVOICE"
    NO_INVOICE: Final = "NO_INVOICE"
    NO_MEMO: Final = "NO_MEMO"
    OUTPUT_FAILED: Final = "OUTPUT_FAILED"
    PAYMENT_FAILED: Final = "PAYMENT_FAILED"
    PAYMENT_PENDING: Final = "PAYMENT_PENDING"
    PORT_IN_USE: Final = "PORT_IN_USE"
    PUSH_FAILED: Final = "PUSH_FAILED"
    READ_ONLY: Final = "READ_ONLY"
    RETRIES_EXHAUSTED: Final = "RETRIES_EXHAUSTED"
    STORAGE_ERROR: Final = "STORAGE_ERROR"
    UNKNOWN_INVOICE: Final = "UNKNOWN_INVOICE"
    UNKNOWN_SCHEMA: Final = "UNKNOWN_SCHEMA"
    UNSAFE_PERMISSIONS: Final = "UNSAFE_PERMISSIONS"
    UNSUPPORTED_BACKEND: Final = "UNSUPPORTED_BACKEND"
    USAGE: Final = "USAGE"
    WAIT_TIMEOUT: Final = "WAIT_TIMEOUT"
    WALLET_MISMATCH: Final = "WALLET_MISMATCH"
    WRONG_NETWORK: Final = "WRONG_NETWORK"


class LnctlError(Exception):
    """Root of every error lnctl raises on purpose.

    ``code`` is a stable machine-readable name (``INVALID_INVOICE``), ``message`` one line for
    people, ``hint`` what to do about it. ``details`` is extra structured data for ``--json``.
    """

    exit_code: int = ExitCode.INTERNAL
    default_code = Code.INTERNAL_ERROR

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

    default_code = Code.STORAGE_ERROR


class CorruptStateError(StorageError):
    """A file on disk is not what lnctl wrote: refused, never overwritten."""

    default_code = Code.CORRUPT_STATE


class LockTimeoutError(StorageError):
    """Another lnctl process held a lock past the wait: nothing was done (a payment stopped
    here was not sent, and is not recorded)."""

    default_code = Code.LOCK_TIMEOUT


class UnsafePermissionsError(StorageError):
    """A secret is readable by group or others (refused, as ssh does)."""

    default_code = Code.UNSAFE_PERMISSIONS


class MemoKeyError(StorageError):
    """A memo cannot be decrypted: key missing, wrong, or ciphertext tampered with."""

    default_code = Code.MEMO_KEY_ERROR


class InvalidInputError(LnctlError):
    """Usage or invalid input (exit 2)."""

    exit_code = ExitCode.INVALID
    default_code = Code.INVALID_INPUT


class InvalidInvoiceError(InvalidInputError):
    """A BOLT 11 string that a strict reader must refuse."""

    default_code = Code.INVALID_INVOICE


# 21 million BTC in msat (bolt11.MAX_MSAT is the same number; errors.py imports nothing of
# lnctl, and a test keeps the two equal)
MAX_MSAT = 21_000_000 * 100_000_000_000


def check_amount(amount_msat: int, what: str = "the amount") -> int:
    """An amount of msat a user gave: positive and at most 21 million BTC (exit 2 otherwise)."""
    if not 0 < amount_msat <= MAX_MSAT:
        raise InvalidInputError(
            f"{what} must be between 1 msat and 21,000,000 BTC", code=Code.INVALID_AMOUNT
        )
    return amount_msat


def check_text(value: str | None, what: str) -> str | None:
    """Text a user gave (from argv it may hold undecodable bytes as surrogates): UTF-8 or exit 2."""
    if value is not None:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInputError(f"{what} is not valid UTF-8", code=Code.INVALID_TEXT) from exc
    return value


class NotFoundError(InvalidInputError):
    """Nothing is stored under the given payment hash."""

    default_code = Code.NOT_FOUND


class PaymentError(LnctlError):
    """A payment did not succeed. Carries the payment record for ``--json``."""

    exit_code = ExitCode.PAYMENT_FAILED
    default_code = Code.PAYMENT_FAILED


class PaymentFailedError(PaymentError):
    exit_code = ExitCode.PAYMENT_FAILED
    default_code = Code.PAYMENT_FAILED


class RetriesExhaustedError(PaymentError):
    exit_code = ExitCode.RETRIES_EXHAUSTED
    default_code = Code.RETRIES_EXHAUSTED


class DuplicatePaymentError(PaymentError):
    exit_code = ExitCode.DUPLICATE
    default_code = Code.DUPLICATE_PAYMENT


class PaymentPendingError(PaymentError):
    exit_code = ExitCode.PENDING
    default_code = Code.PAYMENT_PENDING


class NeedsAttentionError(PaymentError):
    """A payment whose state the node reported in a way lnctl cannot accept (a success without
    a valid preimage or fee, a fee above the cap): kept aside, never paid again automatically."""

    exit_code = ExitCode.INTERNAL
    default_code = Code.NEEDS_ATTENTION


# -- errors of the node behind the wallet (the backend), mapped to exit codes here -------------


class BackendError(LnctlError):
    """The node answered something lnctl cannot use (exit 1)."""

    default_code = Code.BACKEND_ERROR


class BackendUnavailableError(BackendError):
    """The node cannot be reached (server down, connection refused): nothing was decided."""

    default_code = Code.BACKEND_UNAVAILABLE


class BackendAuthError(BackendError):
    """The node refused our credentials (a wrong or missing key): exit 2, a usage problem."""

    exit_code = ExitCode.INVALID
    default_code = Code.AUTH_FAILED


class UnsupportedError(InvalidInputError):
    """What was asked is not something this backend can do (exit 2)."""

    default_code = Code.UNSUPPORTED_BACKEND


class Interrupted(LnctlError):
    exit_code = ExitCode.INTERRUPTED
    default_code = Code.INTERRUPTED


class Done(Exception):  # noqa: N818 - not an error: a command's chosen exit code
    """A command has printed its whole result and exits with ``code`` (a batch whose worst
    outcome was a failure, or that was interrupted)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code
