"""A hypothesis state machine over open / pay / settle / fail / close / crash / restore: the
ledger and the history keep their invariants and agree with the network's record after every
step. A restore puts back some of the stores (history, node record, ledger) from an older
snapshot: it is refused with every file left as it was put back, or the books still balance."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from lnctl import failpoints
from lnctl.config import Config
from lnctl.core import channels, payments
from lnctl.core.invoices import create_invoice
from lnctl.core.recovery import recover
from lnctl.core.simulate import incoming
from lnctl.core.wallet import Wallet
from lnctl.errors import CorruptStateError, LnctlError
from tests.cli.test_crash import PAY_CASES, RECEIVE_CASES
from tests.helpers import check_ledger, fee, network_rows, rows

PAY_POINTS = [None] + [case[0] for case in PAY_CASES]
STORES = {
    "history": ["history.sqlite", "history.sqlite-wal", "history.sqlite-shm"],
    "record": ["simnet/network.sqlite", "simnet/network.sqlite-wal", "simnet/network.sqlite-shm"],
    "ledger": ["simnet/channels.json"],
}
RECEIVE_POINTS = [None] + [case[0] for case in RECEIVE_CASES]


class Crash(BaseException):
    """The process died here (SIGKILL in real runs)."""


class WalletMachine(RuleBasedStateMachine):
    latency_ms = 0

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp())
        self.home = self.tmp / "home"
        self.crash_at: str | None = None
        self.snapshots: list[dict[str, bytes | None]] = []
        self.original_hit = failpoints.hit
        failpoints.hit = self._hit
        self.wallet = self._open()
        self.wallet.backend  # noqa: B018 - the node opens with its first channel
        self.initial = self._totals()

    def _hit(self, name: str, env: dict[str, str]) -> None:
        if name == self.crash_at:
            self.crash_at = None
            raise Crash(name)

    def _open(self) -> Wallet:
        env = {"LNCTL_HOME": str(self.home), "LNCTL_SIM_LATENCY_MS": str(self.latency_ms)}
        return Wallet(Config.from_env(env))

    def _restart(self) -> None:
        self.wallet.close()
        self.wallet = self._open()
        recover(self.wallet)

    def _totals(self) -> tuple[int, int]:
        chans = check_ledger(self.home)["channels"]
        return sum(c["local_msat"] for c in chans), sum(c["remote_msat"] for c in chans)

    def _attempt(self, point: str | None, action) -> None:  # type: ignore[no-untyped-def]
        self.crash_at = point
        try:
            action()
        except Crash:
            self._restart()
        except LnctlError:
            pass
        self.crash_at = None

    @rule(sats=st.integers(1, 400_000), induce=st.integers(0, 3), point=st.sampled_from(PAY_POINTS))
    def pay_remote(self, sats: int, induce: int, point: str | None) -> None:
        [new] = self.wallet.simulated.create_remote_invoices(sats * 1000, "", 3600, 1)
        timeout = 0.01 if self.latency_ms and sats % 2 else 30.0  # some stay pending
        self._attempt(
            point,
            lambda: payments.pay(
                self.wallet,
                new.bolt11,
                payments.PayOptions(induce_failures=induce, retries=2, timeout_s=timeout),
            ),
        )

    @rule(sats=st.integers(1, 100_000), point=st.sampled_from(PAY_POINTS))
    def pay_self(self, sats: int, point: str | None) -> None:
        inv = create_invoice(
            self.wallet, amount_msat=sats * 1000, description="", memo=None, expiry=3600
        )
        self._attempt(
            point, lambda: payments.pay(self.wallet, inv["invoice"], payments.PayOptions())
        )

    @rule(sats=st.integers(1, 100_000), point=st.sampled_from(RECEIVE_POINTS))
    def receive(self, sats: int, point: str | None) -> None:
        inv = create_invoice(
            self.wallet, amount_msat=sats * 1000, description="", memo=None, expiry=3600
        )
        self._attempt(point, lambda: incoming(self.wallet, inv["invoice"], None))

    @rule(capacity=st.integers(20_000, 2_000_000), push_ppm=st.integers(0, 1_000_000))
    def open_channel(self, capacity: int, push_ppm: int) -> None:
        push = capacity * push_ppm // 1_000_000
        before = self._totals()
        # through the wallet, as lnctl channel open: the history notes the node's step after it
        channels.open_channel(self.wallet, self.wallet.simulated.peer_id, capacity * 1000,
                              push * 1000)  # fmt: skip
        self.initial = (self.initial[0] + (capacity - push) * 1000, self.initial[1] + push * 1000)
        assert self._totals() == (before[0] + (capacity - push) * 1000, before[1] + push * 1000)

    @rule(index=st.integers(0, 5))
    def close_channel(self, index: int) -> None:
        chans = self.wallet.simulated.channels()
        if index < len(chans):
            try:
                channels.close_channel(self.wallet, chans[index]["channel_id"])
            except LnctlError:
                pass

    @rule()
    def crash_and_recover(self) -> None:
        self._restart()

    @rule()
    def snapshot(self) -> None:
        """A backup of the stores, taken between two commands."""
        if len(self.snapshots) < 5:
            self.snapshots.append(self._stores())

    @rule(data=st.data())
    def restore_older(self, data: st.DataObject) -> None:
        """Some stores put back from an older snapshot (never all three: a whole older wallet
        is consistent in itself, and the books of this machine would not be its books)."""
        if not self.snapshots:
            return
        older = data.draw(st.sampled_from(self.snapshots), label="snapshot")
        groups = data.draw(
            st.sets(st.sampled_from(sorted(STORES)), min_size=1, max_size=2), label="restored"
        )
        self.wallet.close()
        current = self._stores()
        self._put_back(older, groups)
        put_back = self._stores()
        try:
            self.wallet = self._open()
            recover(self.wallet)
        except CorruptStateError as exc:
            assert exc.code == "CORRUPT_STATE", exc.code
            self.wallet.close()
            # refused: nothing written, nothing made (SQLite itself may fold a copied -wal into
            # its store when it closes: the records are compared, not the bytes)
            assert _records(self._stores()) == _records(put_back)
            self._put_back(current, set(STORES))
            self.wallet = self._open()
            recover(self.wallet)
            return
        # not refused: only what cannot harm (the history alone, brought up to the node's
        # record; or what no step since has changed); the invariants check the books

    def _stores(self) -> dict[str, bytes | None]:
        return {
            name: (self.home / name).read_bytes() if (self.home / name).exists() else None
            for names in STORES.values()
            for name in names
        }

    def _put_back(self, snap: dict[str, bytes | None], groups: set[str]) -> None:
        for group in groups:
            for name in STORES[group]:
                (self.home / name).unlink(missing_ok=True)
                if snap[name] is not None:
                    (self.home / name).write_bytes(snap[name])  # type: ignore[arg-type]

    @invariant()
    def books_balance(self) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000 + 0.01)  # let pending attempts resolve
        recover(self.wallet)
        doc = check_ledger(self.home)
        assert all(not ch["htlcs"] for ch in doc["channels"])
        assert rows(self.home, "SELECT 1 FROM payments WHERE status = 'IN_FLIGHT'") == []
        succeeded = rows(
            self.home,
            "SELECT payment_hash, amount_msat, fee_msat, payee FROM "
            "payments WHERE status = 'SUCCEEDED'",
        )
        on_network = {
            r[0]
            for r in network_rows(
                self.home, "SELECT payment_hash FROM attempts WHERE outcome = 'SUCCEEDED'"
            )
        }
        assert {r["payment_hash"] for r in succeeded} == on_network
        me = self.wallet.node_id()
        out = sum(r["fee_msat"] + (0 if r["payee"] == me else r["amount_msat"]) for r in succeeded)
        assert all(r["fee_msat"] == fee(r["amount_msat"]) for r in succeeded)
        received = sum(r[0] for r in network_rows(self.home, "SELECT amount_msat FROM incoming"))
        local, remote = self._totals()
        assert local == self.initial[0] - out + received
        assert remote == self.initial[1] + out - received

    def teardown(self) -> None:
        failpoints.hit = self.original_hit
        self.wallet.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _records(stores: dict[str, bytes | None]) -> dict[str, object]:
    """What the stores hold: each SQLite store's rows (dumped from a copy), the ledger's bytes."""
    out: dict[str, object] = {"ledger": stores["simnet/channels.json"]}
    with tempfile.TemporaryDirectory() as tmp:
        for group in ("history", "record"):
            names = STORES[group]
            if stores[names[0]] is None:
                out[group] = None
                continue
            for name in names:
                if stores[name] is not None:
                    (Path(tmp) / Path(name).name).write_bytes(stores[name])  # type: ignore[arg-type]
            conn = sqlite3.connect(Path(tmp) / Path(names[0]).name)
            out[group] = list(conn.iterdump())
            conn.close()
    return out


WalletMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _no_lnctl_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("LNCTL_"):
            monkeypatch.delenv(key)


TestWallet = WalletMachine.TestCase


class SlowNodeMachine(WalletMachine):
    """The same, on a node whose attempts take 30 ms: payments that stop waiting after 10 ms are
    PENDING, and recovery resolves them once the node has the outcome."""

    latency_ms = 30


SlowNodeMachine.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSlowNode = SlowNodeMachine.TestCase
