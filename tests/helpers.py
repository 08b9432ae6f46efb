"""Helpers for tests that look inside a wallet home."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import coincurve

from lnctl import bolt11

T = TypeVar("T")

CAPACITY_MSAT = 1_000_000_000
RESERVE_MSAT = 10_000_000


def ledger(home: Path) -> dict[str, Any]:
    return json.loads((home / "simnet" / "channels.json").read_text())  # type: ignore[no-any-return]


def check_ledger(home: Path) -> dict[str, Any]:
    """The on-disk invariants of the channel ledger, asserted."""
    doc = ledger(home)
    for ch in doc["channels"]:
        assert ch["local_msat"] + ch["remote_msat"] + ch["inflight_msat"] == ch["capacity_msat"]
        assert min(ch["local_msat"], ch["remote_msat"], ch["inflight_msat"]) >= 0
        assert sum(h["amount_msat"] for h in ch["htlcs"]) == ch["inflight_msat"]
    return doc


def rows(home: Path, sql: str, *args: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(home / "history.sqlite")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def wait_for(condition: Callable[[], T], what: str, seconds: float = 30) -> T:
    """Until ``condition()`` is true (its value is returned), asked every 20 ms; after
    ``seconds`` an AssertionError saying ``what`` never happened. A test waits for the state it
    needs (a row, a request, a line), not for a time a loaded machine may not keep."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.02)


def wait_for_attempt(home: Path, seconds: float = 20) -> None:
    """Until the simulated network has received a payment attempt."""

    def attempted() -> bool:
        try:
            return bool(network_rows(home, "SELECT 1 FROM attempts"))
        except sqlite3.OperationalError:  # the network's store is not there yet
            return False

    wait_for(attempted, "a payment attempt to reach the network", seconds)


def network_rows(home: Path, sql: str, *args: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(home / "simnet" / "network.sqlite")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def foreign_invoice(
    amount_msat: int | None = 1_000_000,
    network: str = "regtest",
    key: coincurve.PrivateKey | None = None,
    expiry: int = 3600,
) -> str:
    """An invoice of some other node (a random key unless one is given)."""
    import hashlib
    import os

    key = key or coincurve.PrivateKey()
    return bolt11.encode(
        network=network,
        amount_msat=amount_msat,
        payment_hash=hashlib.sha256(os.urandom(32)).digest(),
        payment_secret=os.urandom(32),
        description="elsewhere",
        expiry=expiry,
        sign=lambda m: key.sign_recoverable(m, hasher=None),
    )


def peer_key(home: Path) -> coincurve.PrivateKey:
    secret = bytes.fromhex((home / "simnet" / "peer.key").read_text().strip())
    return coincurve.PrivateKey(secret)


def fee(amount_msat: int) -> int:
    return 1000 + amount_msat * 100 // 1_000_000


def settled_books(home: Path) -> tuple[dict[str, Any], set[str]]:
    """After recovery: no HTLC in the ledger, no payment in flight, and the history and the
    node agreeing on which payments succeeded. (The ledger, the succeeded hashes.)"""
    doc = check_ledger(home)
    assert all(not ch["htlcs"] for ch in doc["channels"]), doc
    assert rows(home, "SELECT 1 FROM payments WHERE status = 'IN_FLIGHT'") == []
    succeeded = {
        r[0] for r in rows(home, "SELECT payment_hash FROM payments WHERE status = 'SUCCEEDED'")
    }
    on_network = {
        r[0]
        for r in network_rows(home, "SELECT payment_hash FROM attempts WHERE outcome = 'SUCCEEDED'")
    }
    assert succeeded == on_network
    return doc, succeeded


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files in ``folder`` (for a
    loopback HTTPS server in a test)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lnctl test server")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
