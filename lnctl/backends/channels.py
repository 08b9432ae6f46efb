"""A node's channels as the contract shows them (backends with the ``channels`` capability), and
what a caller may compute from one. Amounts are integers of msat; in every channel::

    local_msat + remote_msat + inflight_msat == capacity_msat,  nothing negative,
    inflight_msat == the sum of its HTLCs' amounts.

``reserve_msat`` is what each side must keep in the channel (BOLT 2's channel reserve): a new
HTLC may take only what lies above it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Final, Literal, NotRequired, TypedDict

    State = Literal["OPEN", "CLOSED"]
    Direction = Literal["out", "in"]

    class Htlc(TypedDict):
        """An HTLC in flight: an outgoing one holds amount + fee taken from local, an incoming
        one its amount taken from remote."""

        payment_hash: str
        direction: Direction
        amount_msat: int
        attempt: NotRequired[int]  # the node's attempt it belongs to (absent or 0: lnctl 0.1's)
        created_at: NotRequired[int]

    class Channel(TypedDict):
        channel_id: str
        peer: str  # the peer's node id
        capacity_msat: int
        local_msat: int
        remote_msat: int
        inflight_msat: int
        htlcs: list[Htlc]
        reserve_msat: int
        state: State
        opened_at: int
        updated_at: int
        closed_at: int | None


OPEN: Final = "OPEN"
CLOSED: Final = "CLOSED"
OUT: Final = "out"  # an HTLC this node offers (paying)
IN: Final = "in"  # an HTLC offered to this node (being paid)


def spendable_msat(ch: Channel) -> int:
    """What a new outgoing HTLC may take: local balance above the reserve (in-flight HTLCs have
    already left ``local_msat``)."""
    if ch["state"] != OPEN:
        return 0
    return max(0, int(ch["local_msat"]) - int(ch["reserve_msat"]))


def receivable_msat(ch: Channel) -> int:
    """What a new incoming HTLC may bring: remote balance above the peer's reserve."""
    if ch["state"] != OPEN:
        return 0
    return max(0, int(ch["remote_msat"]) - int(ch["reserve_msat"]))


def best_channel(channels: list[Channel], direction: Direction) -> Channel | None:
    """The channel with the most room for a new HTLC in ``direction`` (None: no channel)."""
    room = spendable_msat if direction == OUT else receivable_msat
    return max(channels, key=room, default=None)
