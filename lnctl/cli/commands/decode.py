"""``lnctl decode``: a BOLT 11 invoice, decoded and verified strictly; no wallet is opened."""

from __future__ import annotations

from lnctl.cli.commands import JSON
from lnctl.cli.declare import argument, command, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.cli.state import State


@options
class DecodeOptions:
    invoice: str | None = argument(
        default=None,
        show_default=False,
        help="BOLT 11 invoice (read from stdin when omitted).",
    )
    as_json: bool = JSON


@command("decode", DecodeOptions)
def decode(state: State, opts: DecodeOptions) -> None:
    """Decode and verify a BOLT 11 invoice, strictly. Works without a wallet."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.decode import decode_document

    text = opts.invoice
    if text is None:
        from lnctl.cli.inputs import read_stdin_invoice

        text = read_stdin_invoice()
    deliver(decode_document(text), opts.as_json, render.decoded)


COMMAND = decode
