"""Memo encryption: round trip, tamper evidence, nonce uniqueness, keys (issue 4)."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lnctl.errors import CorruptStateError, InvalidInputError, MemoKeyError, UnsafePermissionsError
from lnctl.memo import NONCE_BYTES, Keyring, parse_blob

H1 = hashlib.sha256(b"one").hexdigest()
H2 = hashlib.sha256(b"two").hexdigest()


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    ring = Keyring.load(str(tmp_path / "secrets"), None, create=True)
    assert ring is not None
    return ring


def test_keyring_is_created_private(tmp_path: Path, keyring: Keyring) -> None:
    path = tmp_path / "secrets" / "memo.keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    again = Keyring.load(str(tmp_path / "secrets"), None, create=False)
    assert again is not None and again.primary == keyring.primary


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # the keyring is reusable
@given(text=st.one_of(st.text(), st.just(""), st.text(min_size=4096, max_size=4096)))
def test_round_trip_any_unicode(keyring: Keyring, text: str) -> None:
    blob = keyring.encrypt(text, "invoice", H1)
    assert keyring.decrypt(blob, "invoice", H1) == text


def test_round_trip_4_kib(keyring: Keyring) -> None:
    text = "é" * 2048  # 4 KiB of UTF-8
    assert keyring.decrypt(keyring.encrypt(text, "payment", H1), "payment", H1) == text


def test_every_single_byte_flip_is_detected(keyring: Keyring) -> None:
    blob = keyring.encrypt("meet at the usual place", "invoice", H1)
    raw = base64.b64decode(blob)
    for i in range(len(raw)):
        for mask in (0x01, 0x80, 0xFF):
            bad = raw[:i] + bytes([raw[i] ^ mask]) + raw[i + 1 :]
            with pytest.raises(MemoKeyError):
                keyring.decrypt(base64.b64encode(bad).decode(), "invoice", H1)


def test_swapping_records_or_purposes_is_detected(keyring: Keyring) -> None:
    a = keyring.encrypt("for A", "invoice", H1)
    b = keyring.encrypt("for B", "invoice", H2)
    with pytest.raises(MemoKeyError, match="authentication"):
        keyring.decrypt(a, "invoice", H2)
    with pytest.raises(MemoKeyError, match="authentication"):
        keyring.decrypt(b, "invoice", H1)
    with pytest.raises(MemoKeyError, match="authentication"):
        keyring.decrypt(a, "payment", H1)


def test_truncated_or_garbage_blobs_are_refused(keyring: Keyring) -> None:
    blob = keyring.encrypt("x", "invoice", H1)
    for bad in (blob[:10], "not base64!!", "", base64.b64encode(b"\x02" + bytes(40)).decode()):
        with pytest.raises(MemoKeyError):
            keyring.decrypt(bad, "invoice", H1)


def test_no_repeated_nonce_in_100k_encryptions(keyring: Keyring) -> None:
    nonces = set()
    for _ in range(100_000):
        _, nonce, _ = parse_blob(keyring.encrypt("m", "invoice", H1))
        assert len(nonce) == NONCE_BYTES
        nonces.add(nonce)
    assert len(nonces) == 100_000


def test_environment_key(tmp_path: Path, keyring: Keyring) -> None:
    env_key = base64.b64encode(os.urandom(32)).decode()
    ring = Keyring.load(str(tmp_path / "secrets"), env_key, create=True)
    assert ring is not None and ring.primary != keyring.primary
    blob = ring.encrypt("env", "invoice", H1)
    old = keyring.encrypt("file", "invoice", H1)
    assert ring.decrypt(old, "invoice", H1) == "file"  # keyring keys still decrypt
    with pytest.raises(MemoKeyError, match="not available"):
        keyring.decrypt(blob, "invoice", H1)
    for bad in ("short", base64.b64encode(os.urandom(16)).decode()):
        with pytest.raises(InvalidInputError):
            Keyring.load(str(tmp_path / "secrets"), bad, create=True)


def test_unsafe_or_damaged_keyring_is_refused(tmp_path: Path, keyring: Keyring) -> None:
    path = tmp_path / "secrets" / "memo.keys"
    path.chmod(0o644)
    with pytest.raises(UnsafePermissionsError, match="too open"):
        Keyring.load(str(tmp_path / "secrets"), None, create=False)
    path.chmod(0o600)
    path.write_text("{broken")
    with pytest.raises(CorruptStateError):
        Keyring.load(str(tmp_path / "secrets"), None, create=False)
    assert path.read_text() == "{broken"
