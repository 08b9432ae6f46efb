"""A page of a listing (``lnctl payments``, ``lnctl invoices``): the options every listing
takes, declared once, and the one way a page is fetched and shown."""

from __future__ import annotations

from lnctl.cli.declare import option
from lnctl.storage.history import MAX_PAGE

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from lnctl.cli.state import State
    from lnctl.core.wallet import Wallet

LIMIT = option(
    "--limit",
    default=50,
    metavar="N",
    min=1,
    max=MAX_PAGE,
    help=f"At most this many items (1-{MAX_PAGE}).",
)
CURSOR = option(
    "--cursor",
    default=None,
    metavar="CURSOR",
    help="Continue a listing from the previous page's next_cursor.",
)


def show_page(
    state: State,
    lister: Callable[[Wallet, str | None, int, int | None], Mapping[str, Any]],
    render: Callable[[dict[str, Any], bool], None],
    status: str | None,
    limit: int,
    cursor: int | None,
    as_json: bool,
) -> None:
    """A page of a listing, with the warnings of opening the wallet; ``render`` is told
    whether the listing was narrowed (``--status``, ``--cursor``): an empty page then is not
    an empty wallet."""
    from lnctl.cli.output import deliver

    with state.wallet() as wallet:
        doc = lister(wallet, status, limit, cursor)
        warnings = wallet.warnings
    narrowed = status is not None or cursor is not None
    deliver(doc, as_json, lambda d: render(d, narrowed), warnings)
