"""Which payment hash the user means: a whole one, or a unique prefix of one this wallet knows
(as git takes a commit's). Below the invoices, memos and queries that all ask it."""

from __future__ import annotations

from lnctl.core.documents import normalize_hash
from lnctl.errors import Code, InvalidInputError, NotFoundError

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.core.wallet import Wallet

SHOWN_CANDIDATES = 10  # an ambiguous prefix names at most this many of the hashes it matches


def resolve_hash(wallet: Wallet, value: str) -> str:
    """The payment hash the user means: 64 hex characters as they are, or a prefix of at least
    ``MIN_HASH_PREFIX`` (as git takes a commit's) that begins exactly one hash of this wallet's
    invoices and payments. A prefix that begins none is NOT_FOUND; one that begins several is
    AMBIGUOUS_HASH (exit 2), naming them."""
    value = normalize_hash(value, prefix=True)
    if len(value) == 64:
        return value
    found = wallet.history.hashes_with_prefix(value, SHOWN_CANDIDATES + 1)
    if not found:
        raise NotFoundError(f"no invoice or payment with a payment hash beginning {value}")
    if len(found) > 1:
        shown = found[:SHOWN_CANDIDATES]
        more = ", ..." if len(found) > SHOWN_CANDIDATES else ""
        raise InvalidInputError(
            f"payment hash prefix {value} is ambiguous: it begins {', '.join(shown)}{more}",
            code=Code.AMBIGUOUS_HASH,
            hint="give more characters of the hash",
            details={"candidates": shown},
        )
    return found[0]
