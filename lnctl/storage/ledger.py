"""The JSON channel ledger, ``$LNCTL_HOME/channels.json``.

Per channel: capacity, local, remote, in-flight HTLCs keyed by payment hash, the channel reserve
(1% of capacity, as BOLT 2's), state and timestamps. On disk at every instant::

    local_msat + remote_msat + inflight_msat == capacity_msat,  nothing negative,
    inflight_msat == sum of the channel's HTLC amounts.

Every change is one transaction between processes: lock a sidecar file (``channels.json.lock``,
never the file being replaced), read, change, check the invariants, write a temp file in the same
folder, fsync, ``os.replace``, fsync the folder, unlock. A corrupt file or an unknown schema
version is refused and never overwritten.
"""

from __future__ import annotations

import fcntl
import json
import os
import time

from lnctl.errors import (
    CorruptStateError,
    InvalidInputError,
    NotFoundError,
    PaymentFailedError,
    StorageError,
    check_amount,
)
from lnctl.storage.files import atomic_write, sweep_temp_files

SCHEMA_VERSION = 1
FILENAME = "channels.json"
RESERVE_PPM = 10_000  # 1% of capacity
OPEN, CLOSED = "OPEN", "CLOSED"
OUT, IN = "out", "in"

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")
    Doc = dict[str, Any]
    Channel = dict[str, Any]


def spendable_msat(ch: Channel) -> int:
    """What a new outgoing HTLC may take: local balance above the reserve (in-flight HTLCs have
    already left ``local_msat``)."""
    if ch["state"] != OPEN:
        return 0
    return max(0, int(ch["local_msat"]) - int(ch["reserve_msat"]))


def receivable_msat(ch: Channel) -> int:
    if ch["state"] != OPEN:
        return 0
    return max(0, int(ch["remote_msat"]) - int(ch["reserve_msat"]))


def _check_channel(ch: Channel) -> None:
    ints = ("capacity_msat", "local_msat", "remote_msat", "inflight_msat", "reserve_msat")
    for key in ints:
        if type(ch.get(key)) is not int or ch[key] < 0:
            raise ValueError(f"{key} must be a non-negative integer")
    if ch["state"] not in (OPEN, CLOSED):
        raise ValueError(f"unknown channel state {ch['state']!r}")
    htlcs = ch["htlcs"]
    if not isinstance(htlcs, dict):
        raise ValueError("htlcs must be an object")
    total = 0
    for h in htlcs.values():
        if (
            type(h.get("amount_msat")) is not int
            or h["amount_msat"] <= 0
            or h.get("direction") not in (OUT, IN)
        ):
            raise ValueError("invalid HTLC")
        total += h["amount_msat"]
    if total != ch["inflight_msat"]:
        raise ValueError("inflight_msat differs from the sum of HTLCs")
    if ch["local_msat"] + ch["remote_msat"] + ch["inflight_msat"] != ch["capacity_msat"]:
        raise ValueError("local + remote + inflight != capacity")


def check_document(doc: Any) -> Doc:
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise LookupError(doc.get("schema_version"))
    if not isinstance(doc.get("channels"), list):
        raise ValueError("channels must be a list")
    ids = set()
    for ch in doc["channels"]:
        _check_channel(ch)
        if ch["channel_id"] in ids:
            raise ValueError("duplicate channel id")
        ids.add(ch["channel_id"])
    return doc


class Ledger:
    def __init__(self, home: str) -> None:
        self.home = home
        self.path = os.path.join(home, FILENAME)
        self.lock_path = self.path + ".lock"

    # -- reading -----------------------------------------------------------------------------------

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def read(self) -> Doc:
        """The ledger as it is on disk (no lock needed: files are replaced atomically)."""
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return {"schema_version": SCHEMA_VERSION, "channels": []}
        except OSError as exc:
            raise StorageError(f"cannot read {self.path}: {exc.strerror}") from exc
        try:
            return check_document(json.loads(raw))
        except LookupError as exc:
            raise CorruptStateError(
                f"channel ledger {self.path} has unknown schema version {exc.args[0]!r}",
                code="UNKNOWN_SCHEMA",
                hint="upgrade lnctl; the ledger was not changed",
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CorruptStateError(
                f"channel ledger {self.path} is corrupt: {exc}",
                hint="restore it from a backup; lnctl never overwrites a corrupt ledger",
            ) from None

    def channels(self) -> list[Channel]:
        return list(self.read()["channels"])

    def htlcs(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Every in-flight HTLC: payment hash -> (channel id, HTLC)."""
        out = {}
        for ch in self.read()["channels"]:
            for payment_hash, htlc in ch["htlcs"].items():
                out[payment_hash] = (ch["channel_id"], htlc)
        return out

    # -- the one way to change it ------------------------------------------------------------------

    def _lock(self) -> int:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(f"cannot open {self.lock_path}: {exc.strerror}") from exc
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def update(self, change: Callable[[Doc], T]) -> T:
        """Run ``change`` on the current document under the lock and write the result atomically.
        ``change`` mutates the document in place and returns a value; if it raises, nothing is
        written."""
        fd = self._lock()
        try:
            sweep_temp_files(self.home, FILENAME)
            doc = self.read()
            result = change(doc)
            doc["updated_at"] = int(time.time())
            try:
                check_document(doc)
            except (ValueError, LookupError) as exc:  # a bug, never written to disk
                raise StorageError(f"refusing to write an inconsistent ledger: {exc}") from exc
            atomic_write(self.path, (json.dumps(doc, indent=2) + "\n").encode())
            return result
        finally:
            os.close(fd)  # closing releases the lock

    # -- operations --------------------------------------------------------------------------------

    def ensure_channel(self, peer: str, capacity_msat: int) -> None:
        """On first use, one OPEN channel of ``capacity_msat`` to ``peer``, all of it local."""
        if self.exists():
            return

        def change(doc: Doc) -> None:
            if not doc["channels"]:
                doc["channels"].append(_new_channel(doc, peer, capacity_msat, 0))

        self.update(change)

    def open_channel(self, peer: str, capacity_msat: int, push_msat: int) -> Channel:
        check_amount(capacity_msat, "the capacity")
        if not 0 <= push_msat <= capacity_msat:
            raise InvalidInputError(
                "push must be between 0 and the capacity", code="INVALID_AMOUNT"
            )

        def change(doc: Doc) -> Channel:
            ch = _new_channel(doc, peer, capacity_msat, push_msat)
            doc["channels"].append(ch)
            return ch

        return self.update(change)

    def close_channel(self, channel_id: str) -> Channel:
        def change(doc: Doc) -> Channel:
            ch = _find(doc, channel_id)
            if ch["state"] == CLOSED:
                raise InvalidInputError(
                    f"channel {channel_id} is already closed", code="CHANNEL_CLOSED"
                )
            if ch["htlcs"]:
                raise InvalidInputError(
                    f"channel {channel_id} has {len(ch['htlcs'])} HTLC(s) in flight",
                    code="HTLCS_IN_FLIGHT",
                    hint="wait for the payments to resolve (lnctl payments --status in_flight)",
                )
            ch["state"] = CLOSED
            ch["closed_at"] = ch["updated_at"] = int(time.time())
            return dict(ch)

        return self.update(change)

    def reserve(self, payment_hash: str, amount_msat: int, direction: str) -> str:
        """Reserve an HTLC of ``amount_msat`` on the OPEN channel with the most room: an outgoing
        one leaves local, an incoming one leaves remote. Returns the channel id. Idempotent for a
        hash that is already reserved."""

        def change(doc: Doc) -> str:
            for ch in doc["channels"]:
                if payment_hash in ch["htlcs"]:
                    return str(ch["channel_id"])
            room = spendable_msat if direction == OUT else receivable_msat
            best = max(doc["channels"], key=room, default=None)
            if best is None or room(best) < amount_msat:
                have = room(best) if best else 0
                side = "spendable" if direction == OUT else "inbound"
                raise PaymentFailedError(
                    f"not enough {side} liquidity: need {amount_msat} msat, have {have} msat",
                    code="INSUFFICIENT_BALANCE",
                    hint="open a channel or receive first (lnctl channel balance)",
                    details={"failure_reason": "INSUFFICIENT_BALANCE"},
                )
            side_key = "local_msat" if direction == OUT else "remote_msat"
            best[side_key] -= amount_msat
            best["inflight_msat"] += amount_msat
            best["htlcs"][payment_hash] = {
                "amount_msat": amount_msat,
                "direction": direction,
                "created_at": int(time.time()),
            }
            best["updated_at"] = int(time.time())
            return str(best["channel_id"])

        return self.update(change)

    def settle(self, payment_hash: str, spent_msat: int = 0, returned_msat: int = 0) -> bool:
        """Resolve an HTLC as paid. Outgoing: ``spent_msat`` (amount + fee) goes to remote, the
        rest of the reservation back to local, and ``returned_msat`` (a self-payment coming back)
        from remote to local. Incoming: the whole HTLC goes to local. False if no such HTLC."""

        def change(doc: Doc) -> bool:
            ch = _htlc_channel(doc, payment_hash)
            if ch is None:
                return False
            htlc = ch["htlcs"].pop(payment_hash)
            amount = htlc["amount_msat"]
            ch["inflight_msat"] -= amount
            if htlc["direction"] == IN:
                ch["local_msat"] += amount
            else:
                if not 0 <= spent_msat <= amount or returned_msat > spent_msat:
                    raise StorageError(f"settling {spent_msat} msat of a {amount} msat reservation")
                ch["local_msat"] += amount - spent_msat + returned_msat
                ch["remote_msat"] += spent_msat - returned_msat
            ch["updated_at"] = int(time.time())
            return True

        return self.update(change)

    def release(self, payment_hash: str) -> bool:
        """Resolve an HTLC as failed: the reservation goes back where it came from."""

        def change(doc: Doc) -> bool:
            ch = _htlc_channel(doc, payment_hash)
            if ch is None:
                return False
            htlc = ch["htlcs"].pop(payment_hash)
            ch["inflight_msat"] -= htlc["amount_msat"]
            ch["local_msat" if htlc["direction"] == OUT else "remote_msat"] += htlc["amount_msat"]
            ch["updated_at"] = int(time.time())
            return True

        return self.update(change)


def _htlc_channel(doc: Doc, payment_hash: str) -> Channel | None:
    for ch in doc["channels"]:
        if payment_hash in ch["htlcs"]:
            return ch  # type: ignore[no-any-return]
    return None


def _find(doc: Doc, channel_id: str) -> Channel:
    matches = [ch for ch in doc["channels"] if ch["channel_id"] == channel_id]
    if not matches:
        raise NotFoundError(
            f"no channel {channel_id}", code="CHANNEL_NOT_FOUND", hint="see lnctl channel list"
        )
    return matches[0]  # type: ignore[no-any-return]


def _new_channel(doc: Doc, peer: str, capacity_msat: int, push_msat: int) -> Channel:
    now = int(time.time())
    block = 800_000 + len(doc["channels"])
    return {
        "channel_id": f"{block}x1x0",
        "peer": peer,
        "capacity_msat": capacity_msat,
        "local_msat": capacity_msat - push_msat,
        "remote_msat": push_msat,
        "inflight_msat": 0,
        "htlcs": {},
        "reserve_msat": capacity_msat * RESERVE_PPM // 1_000_000,
        "state": OPEN,
        "opened_at": now,
        "updated_at": now,
        "closed_at": None,
    }
