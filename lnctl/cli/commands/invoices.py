"""``lnctl invoices``: the wallet's invoices, newest first, memos decrypted."""

from __future__ import annotations

from lnctl.cli.commands import JSON
from lnctl.cli.declare import command, option, options
from lnctl.cli.listing import CURSOR, LIMIT

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Literal

    from lnctl.cli.state import State


@options
class InvoicesOptions:
    status: Literal["open", "settled", "expired"] | None = option(
        "--status", default=None, show_default=False, case_sensitive=False, help="Only these."
    )
    limit: int = LIMIT
    cursor: int | None = CURSOR
    as_json: bool = JSON


@command("invoices", InvoicesOptions)
def invoices(state: State, opts: InvoicesOptions) -> None:
    """List invoices, newest first, memos decrypted."""
    from lnctl.cli import render
    from lnctl.cli.listing import show_page
    from lnctl.core.invoices import list_invoices

    show_page(
        state, list_invoices, render.invoices, opts.status, opts.limit, opts.cursor, opts.as_json
    )


COMMAND = invoices
