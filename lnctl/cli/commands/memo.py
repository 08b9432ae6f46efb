"""``lnctl memo show|verify|rotate-key``: private memos, encrypted at rest."""

from __future__ import annotations

from lnctl.cli.commands import JSON, PAYMENT_HASH
from lnctl.cli.declare import argument, command, group, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.cli.state import State


@options
class ShowOptions:
    payment_hash: str = PAYMENT_HASH
    as_json: bool = JSON


@command("show", ShowOptions)
def show(state: State, opts: ShowOptions) -> None:
    """Decrypt and show one memo."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.memos import show as core_show

    with state.wallet() as wallet:
        doc = core_show(wallet, opts.payment_hash)
    deliver(doc, opts.as_json, render.memo)


@options
class VerifyOptions:
    # declared here, not PAYMENT_HASH: mypy reads a field as required only from an argument()
    # call, and TEXT (required) follows
    payment_hash: str = argument(
        metavar="PAYMENT_HASH", help="64 hex characters, or a unique prefix (8 or more)."
    )
    text: str = argument(metavar="TEXT", help="The text to check.")
    as_json: bool = JSON


@command("verify", VerifyOptions)
def verify(state: State, opts: VerifyOptions) -> None:
    """Check TEXT against the private memo (or, without one, the public description). Exits 0
    on a match, 2 (MEMO_MISMATCH) otherwise."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.memos import memo_verify
    from lnctl.errors import Code, InvalidInputError

    with state.wallet() as wallet:
        doc = memo_verify(wallet, opts.payment_hash, opts.text)
    if not doc["match"]:
        raise InvalidInputError(
            "the text does not match the memo (or the invoice's description)",
            code=Code.MEMO_MISMATCH,
            hint="check for a typo or extra spaces",
            details={
                "description_hash": doc["description_hash"],
                "text_sha256": doc["text_sha256"],
            },
        )
    deliver(doc, opts.as_json, render.memo_match)


@options
class RotateKeyOptions:
    as_json: bool = JSON


@command("rotate-key", RotateKeyOptions)
def rotate_key(state: State, opts: RotateKeyOptions) -> None:
    """New primary memo key; every memo re-encrypted under it; old keys retired once unused.
    Run again after an interruption to finish."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.memos import rotate_key as core_rotate

    with state.wallet() as wallet:
        doc = core_rotate(wallet)
        warnings = wallet.warnings
    deliver(doc, opts.as_json, render.rotation, warnings)


COMMAND = group(
    "memo",
    help="Private memos: encrypted at rest (AES-256-GCM).",
    subcommands=(show, verify, rotate_key),
)
