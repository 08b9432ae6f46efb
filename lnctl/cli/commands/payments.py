"""``lnctl payments``: the wallet's payments, newest first."""

from __future__ import annotations

from lnctl.cli.commands import JSON
from lnctl.cli.declare import command, option, options
from lnctl.cli.listing import CURSOR, LIMIT

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Literal

    from lnctl.cli.state import State


@options
class PaymentsOptions:
    status: Literal["succeeded", "failed", "in_flight", "needs_attention"] | None = option(
        "--status", default=None, show_default=False, case_sensitive=False, help="Only these."
    )
    limit: int = LIMIT
    cursor: int | None = CURSOR
    as_json: bool = JSON


@command("payments", PaymentsOptions)
def payments(state: State, opts: PaymentsOptions) -> None:
    """List payments, newest first."""
    from lnctl.cli import render
    from lnctl.cli.listing import show_page
    from lnctl.core.queries import list_payments

    show_page(
        state, list_payments, render.payments, opts.status, opts.limit, opts.cursor, opts.as_json
    )


COMMAND = payments
