"""The user's view of the node's channels (backends with the ``channels`` capability)."""

from __future__ import annotations

from lnctl.backends.channels import OPEN, receivable_msat, spendable_msat
from lnctl.errors import Code, InvalidInputError

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any

    from lnctl.backends.channels import Channel
    from lnctl.backends.simulated import SimulatedBackend
    from lnctl.core.documents import ChannelBalance
    from lnctl.core.wallet import Wallet


def channel_document(ch: Channel) -> dict[str, Any]:
    doc = {k: v for k, v in ch.items() if k != "htlcs"}
    doc["htlcs"] = [dict(h) for h in ch["htlcs"]]
    doc["spendable_msat"] = spendable_msat(ch)
    doc["receivable_msat"] = receivable_msat(ch)
    return doc


def _node(wallet: Wallet) -> SimulatedBackend:
    wallet.require("channels", "lnctl channel")
    return wallet.simulated


def _check_peer(peer: str) -> str:
    from lnctl.secp256k1 import parse_pubkey

    peer = peer.strip().lower()
    try:
        ok = parse_pubkey(bytes.fromhex(peer)) is not None
    except ValueError:
        ok = False
    if not ok:
        raise InvalidInputError(
            f"not a node id: {peer[:80]!r}",
            code=Code.INVALID_PEER,
            hint="a node id is a 33-byte compressed public key in hex",
        )
    return peer


def open_channel(wallet: Wallet, peer: str, capacity_msat: int, push_msat: int) -> dict[str, Any]:
    node = _node(wallet)
    opened = node.open_channel(_check_peer(peer), capacity_msat, push_msat)
    wallet.note_node()  # the history vouches for the node's record as it is now
    return channel_document(opened)


def close_channel(wallet: Wallet, channel_id: str) -> dict[str, Any]:
    closed = _node(wallet).close_channel(channel_id.strip())
    wallet.note_node()  # a record put back to before the close would reopen the channel
    return channel_document(closed)


def list_channels(wallet: Wallet) -> dict[str, Any]:
    return {"channels": [channel_document(ch) for ch in _node(wallet).channels()]}


def balance(wallet: Wallet) -> ChannelBalance:
    open_channels = [ch for ch in _node(wallet).channels() if ch["state"] == OPEN]
    return {
        "local_msat": sum(ch["local_msat"] for ch in open_channels),
        "remote_msat": sum(ch["remote_msat"] for ch in open_channels),
        "inflight_msat": sum(ch["inflight_msat"] for ch in open_channels),
        "spendable_msat": sum(spendable_msat(ch) for ch in open_channels),
        "receivable_msat": sum(receivable_msat(ch) for ch in open_channels),
        "reserve_msat": sum(ch["reserve_msat"] for ch in open_channels),
        "open_channels": len(open_channels),
    }
