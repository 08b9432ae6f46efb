"""Private memos: AES-256-GCM at rest, a keyring of memo keys, rotation.

Stored form (base64 of): version byte 0x01 | key id (8 bytes) | nonce (12 random bytes) |
ciphertext | tag (16 bytes). The associated data binds a ciphertext to its purpose ("invoice" or
"payment"), its key id and its payment hash, so a memo copied onto another record, or any flipped
byte, fails authentication instead of decrypting to the wrong text.

Keys: ``LNCTL_MEMO_KEY`` (base64 of 32 bytes) when set; otherwise the keyring
``$LNCTL_HOME/secrets/memo.keys`` (0600 in a 0700 folder), created on first use. The keyring
names one primary key (used to encrypt) and may hold retiring keys that still decrypt older memos
until rotation has moved them.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import secrets
from hashlib import sha256

from lnctl.errors import Code, CorruptStateError, InvalidInputError, MemoKeyError, StorageError
from lnctl.storage.files import (
    atomic_write,
    check_private,
    create_exclusive,
    ensure_private_dir,
    read_private,
    sweep_temp_files,
)

FORMAT_VERSION = 1
KEY_ID_BYTES = 8
NONCE_BYTES = 12
TAG_BYTES = 16
KEYRING_VERSION = 1
# NIST SP 800-38D caps random-nonce GCM at 2^32 encryptions per key. We warn at 2^30 and refuse
# at 2^31, long before the cap: `lnctl memo rotate-key` starts a fresh count.
WARN_ENCRYPTIONS = 1 << 30
MAX_ENCRYPTIONS = 1 << 31
PURPOSES = ("invoice", "payment")


def key_id(key: bytes) -> str:
    return sha256(b"lnctl memo key id\0" + key).digest()[:KEY_ID_BYTES].hex()


def associated_data(purpose: str, kid: str, payment_hash: str) -> bytes:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown memo purpose {purpose!r}")
    return (
        b"lnctl/memo/v1\0"
        + purpose.encode()
        + b"\0"
        + bytes.fromhex(kid)
        + bytes.fromhex(payment_hash)
    )


def parse_blob(blob: str) -> tuple[str, bytes, bytes]:
    """(key id, nonce, ciphertext+tag) of a stored memo, or MemoKeyError if malformed."""
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MemoKeyError("stored memo is not valid base64: it was altered") from exc
    if len(raw) < 1 + KEY_ID_BYTES + NONCE_BYTES + TAG_BYTES or raw[0] != FORMAT_VERSION:
        raise MemoKeyError(
            "stored memo has an unknown format: it was altered or is from a newer lnctl"
        )
    kid = raw[1 : 1 + KEY_ID_BYTES].hex()
    nonce = raw[1 + KEY_ID_BYTES : 1 + KEY_ID_BYTES + NONCE_BYTES]
    return kid, nonce, raw[1 + KEY_ID_BYTES + NONCE_BYTES :]


class Keyring:
    """Memo keys by id, one of them primary, from ``secrets/memo.keys`` or the environment."""

    def __init__(
        self,
        path: str | None,
        keys: dict[str, bytes],
        primary: str,
        retiring: set[str] | None = None,
        from_env: bool = False,
        rotating: bool = False,
    ) -> None:
        self.path = path
        self.keys = keys
        self.primary = primary
        self.retiring = retiring or set()
        self.from_env = from_env
        self.rotating = rotating  # a rotation started and not yet finished (the marker)

    # -- loading -----------------------------------------------------------------------------------

    @classmethod
    def load(cls, secrets_dir: str, env_key_b64: str | None, *, create: bool) -> Keyring | None:
        """The keyring to use. ``create`` makes the keyring file on first use; without it a
        missing keyring returns None (nothing was ever encrypted)."""
        path = os.path.join(secrets_dir, "memo.keys")
        file_ring = cls._load_file(path, secrets_dir, create=create and env_key_b64 is None)
        if env_key_b64 is None:
            return file_ring
        env_key = _decode_env_key(env_key_b64)
        kid = key_id(env_key)
        keys = dict(file_ring.keys) if file_ring else {}
        keys[kid] = env_key
        return cls(path, keys, kid, from_env=True)

    @classmethod
    def _load_file(cls, path: str, secrets_dir: str, *, create: bool) -> Keyring | None:
        if not os.path.exists(path):
            if not create:
                return None
            ensure_private_dir(secrets_dir)
            key = secrets.token_bytes(32)
            create_exclusive(path, _serialize(key_id(key), {key_id(key): key}, set()))
        check_private(secrets_dir, is_dir=True)
        raw = read_private(path)
        try:
            doc = json.loads(raw)
            if doc.get("version") != KEYRING_VERSION:
                raise CorruptStateError(
                    f"memo keyring {path} has unknown version {doc.get('version')!r}",
                    code=Code.UNKNOWN_SCHEMA,
                    hint="upgrade lnctl; the keyring was not changed",
                )
            keys = {
                kid: base64.b64decode(k["key"], validate=True) for kid, k in doc["keys"].items()
            }
            retiring = {kid for kid, k in doc["keys"].items() if k.get("state") == "retiring"}
            rotating = doc.get("rotating", False)
            if not isinstance(rotating, bool):
                raise ValueError("rotating must be true or false")
            primary = doc["primary"]
            if primary not in keys or any(
                len(k) != 32 or key_id(k) != kid for kid, k in keys.items()
            ):
                raise ValueError("key ids do not match their keys")
        except CorruptStateError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise CorruptStateError(
                f"memo keyring {path} is damaged ({type(exc).__name__})",
                hint="restore it from your backup; lnctl never overwrites a damaged keyring",
            ) from exc
        return cls(path, keys, primary, retiring, rotating=rotating)

    def save(self) -> None:
        assert self.path is not None and not self.from_env
        folder, name = os.path.split(self.path)
        sweep_temp_files(folder, name)  # a crash mid-save may have left one (holding keys)
        atomic_write(
            self.path, _serialize(self.primary, self.keys, self.retiring, rotating=self.rotating)
        )

    # -- use ---------------------------------------------------------------------------------------

    def encrypt(self, text: str, purpose: str, payment_hash: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = secrets.token_bytes(NONCE_BYTES)
        ad = associated_data(purpose, self.primary, payment_hash)
        ct = AESGCM(self.keys[self.primary]).encrypt(nonce, text.encode("utf-8"), ad)
        raw = bytes([FORMAT_VERSION]) + bytes.fromhex(self.primary) + nonce + ct
        return base64.b64encode(raw).decode("ascii")

    def decrypt(self, blob: str, purpose: str, payment_hash: str) -> str:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        kid, nonce, ct = parse_blob(blob)
        key = self.keys.get(kid)
        if key is None and self.path and not self.from_env and os.path.exists(self.path):
            fresh = Keyring._load_file(self.path, os.path.dirname(self.path), create=False)
            key = fresh.keys.get(kid) if fresh else None  # rotated since we loaded it
        if key is None:
            raise MemoKeyError(
                f"memo key {kid} is not available",
                code=Code.MEMO_KEY_MISSING,
                hint="set LNCTL_MEMO_KEY to that key, or restore secrets/memo.keys from a backup",
            )
        try:
            return (
                AESGCM(key).decrypt(nonce, ct, associated_data(purpose, kid, payment_hash)).decode()
            )
        except InvalidTag as exc:
            raise MemoKeyError(
                "memo failed authentication: wrong key, or it was altered or moved",
                code=Code.MEMO_TAMPERED,
                hint="restore the history store or the key from a backup",
            ) from exc


def _decode_env_key(value: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise InvalidInputError(
            "LNCTL_MEMO_KEY is not the base64 of 32 bytes",
            code=Code.INVALID_MEMO_KEY,
            hint="make one with: head -c 32 /dev/urandom | base64",
        )
    return key


def _serialize(
    primary: str, keys: dict[str, bytes], retiring: set[str], *, rotating: bool = False
) -> bytes:
    doc = {
        "version": KEYRING_VERSION,
        "primary": primary,
        "rotating": rotating,
        "keys": {
            kid: {
                "key": base64.b64encode(key).decode(),
                "state": "retiring" if kid in retiring else "active",
            }
            for kid, key in keys.items()
        },
    }
    return json.dumps(doc, indent=1).encode() + b"\n"


class KeyringLock:
    """A lock on the keyring (a sidecar file, never the keyring itself): exclusive to rotate,
    shared from loading the primary key to storing what it encrypted, so a rotation never
    retires a key that a concurrent writer is about to use."""

    def __init__(self, secrets_dir: str, *, shared: bool = False) -> None:
        ensure_private_dir(secrets_dir)
        self.path = os.path.join(secrets_dir, "memo.keys.lock")
        self.mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        self.fd = -1

    def __enter__(self) -> KeyringLock:
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self.fd, self.mode)
        except OSError as exc:
            raise StorageError(f"cannot lock {self.path}: {exc.strerror}") from exc
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)


def new_key() -> tuple[str, bytes]:
    key = secrets.token_bytes(32)
    return key_id(key), key
