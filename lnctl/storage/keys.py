"""The node's secp256k1 identity key, kept in ``$LNCTL_HOME/secrets/node.key`` (0600)."""

from __future__ import annotations

import os

from lnctl.errors import CorruptStateError
from lnctl.storage.files import check_private, create_exclusive, ensure_private_dir, read_private

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from coincurve import PrivateKey

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class NodeKey:
    """A node's private key. Signing goes through libsecp256k1 (coincurve), imported on use."""

    __slots__ = ("_secret", "_private", "_node_id")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32 or not 0 < int.from_bytes(secret, "big") < N:
            raise ValueError("not a valid secp256k1 secret key")
        self._secret = secret
        self._private: PrivateKey | None = None
        self._node_id: bytes | None = None

    def _key(self) -> PrivateKey:
        if self._private is None:
            from coincurve import PrivateKey

            self._private = PrivateKey(self._secret)
        return self._private

    @property
    def public_key(self) -> bytes:
        if self._node_id is None:
            self._node_id = self._key().public_key.format(compressed=True)
        return self._node_id

    @property
    def node_id(self) -> str:
        return self.public_key.hex()

    def digest(self) -> str:
        """A digest of the secret that identifies the key without elliptic-curve arithmetic
        (nor libsecp256k1's 15 ms import): domain-separated SHA-256, which reveals nothing
        of a uniformly random 256-bit secret."""
        from hashlib import sha256

        return sha256(b"lnctl node key\x00" + self._secret).hexdigest()

    def sign_recoverable(self, msg32: bytes) -> bytes:
        """65 bytes: r, s (low-S), recovery id."""
        sig: bytes = self._key().sign_recoverable(msg32, hasher=None)
        return sig

    def __repr__(self) -> str:  # never show the secret
        return "NodeKey(<secret>)"


def load_or_create_key(path: str) -> NodeKey:
    """Load the key at ``path``, creating it (0600, in a 0700 folder) on first use.

    Concurrent first uses agree on one key: the file appears complete or not at all.
    A key file that group or others can read is refused.
    """
    folder = os.path.dirname(path)
    ensure_private_dir(folder)
    if not os.path.lexists(path):
        create_exclusive(path, os.urandom(32).hex().encode() + b"\n")
    return read_key(path)


def read_key(path: str) -> NodeKey:
    """Load an existing key file: opened without following a symlink, and its permissions
    checked on the opened file (no race between the check and the read)."""
    check_private(os.path.dirname(path), is_dir=True)
    raw = read_private(path).strip()
    try:
        return NodeKey(bytes.fromhex(raw.decode("ascii")))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptStateError(
            f"{path} does not hold a valid node key",
            hint="restore it from your backup; lnctl never overwrites a key file",
        ) from exc
