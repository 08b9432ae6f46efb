"""Public-key side of secp256k1 ECDSA in pure Python: verify and recover.

Decoding an invoice only handles public data (a signature and a message), so there is no secret
to leak through timing. Doing it here instead of loading libsecp256k1 keeps ``lnctl decode`` fast
to start (the library costs more to load than the arithmetic costs to run once); a process that
recovers many payees loads it after ``LOAD_AFTER`` of them. Signing, which uses
the node's secret key, goes through libsecp256k1 (coincurve). The tests check this module
against libsecp256k1 on random keys and messages, high-S and invalid signatures included.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from types import ModuleType

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = N // 2
GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798
GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8

_Jacobian = tuple[int, int, int]
_INFINITY: _Jacobian = (0, 1, 0)


def _double(pt: _Jacobian) -> _Jacobian:
    x, y, z = pt
    if z == 0 or y == 0:
        return _INFINITY
    ysq = y * y % P
    s = 4 * x * ysq % P
    m = 3 * x * x % P
    nx = (m * m - 2 * s) % P
    ny = (m * (s - nx) - 8 * ysq * ysq) % P
    nz = 2 * y * z % P
    return nx, ny, nz


def _add(p1: _Jacobian, p2: _Jacobian) -> _Jacobian:
    if p1[2] == 0:
        return p2
    if p2[2] == 0:
        return p1
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1 = z1 * z1 % P
    z2z2 = z2 * z2 % P
    u1 = x1 * z2z2 % P
    u2 = x2 * z1z1 % P
    s1 = y1 * z2 * z2z2 % P
    s2 = y2 * z1 * z1z1 % P
    if u1 == u2:
        return _double(p1) if s1 == s2 else _INFINITY
    h = (u2 - u1) % P
    r = (s2 - s1) % P
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    nx = (r * r - hhh - 2 * v) % P
    ny = (r * (v - nx) - s1 * hhh) % P
    nz = h * z1 * z2 % P
    return nx, ny, nz


def _mul_add(a: int, pa: _Jacobian, b: int, pb: _Jacobian) -> _Jacobian:
    """a*pa + b*pb with Shamir's trick (public scalars only)."""
    both = _add(pa, pb)
    acc = _INFINITY
    for i in range(max(a.bit_length(), b.bit_length()) - 1, -1, -1):
        acc = _double(acc)
        bit_a = (a >> i) & 1
        bit_b = (b >> i) & 1
        if bit_a and bit_b:
            acc = _add(acc, both)
        elif bit_a:
            acc = _add(acc, pa)
        elif bit_b:
            acc = _add(acc, pb)
    return acc


def _affine(pt: _Jacobian) -> tuple[int, int] | None:
    x, y, z = pt
    if z == 0:
        return None
    zinv = pow(z, -1, P)
    zinv2 = zinv * zinv % P
    return x * zinv2 % P, y * zinv2 * zinv % P


def _lift_x(x: int, odd: int) -> _Jacobian | None:
    if not 0 <= x < P:
        return None
    ysq = (pow(x, 3, P) + 7) % P
    y = pow(ysq, (P + 1) // 4, P)
    if y * y % P != ysq:
        return None
    if y & 1 != odd:
        y = P - y
    return x, y, 1


def parse_pubkey(data: bytes) -> _Jacobian | None:
    """A compressed SEC1 public key (33 bytes), or None when it is not a point on the curve."""
    if len(data) != 33 or data[0] not in (2, 3):
        return None
    return _lift_x(int.from_bytes(data[1:], "big"), data[0] & 1)


def serialize_pubkey(pt: _Jacobian) -> bytes:
    aff = _affine(pt)
    if aff is None:
        raise ValueError("point at infinity")
    x, y = aff
    return bytes([2 | (y & 1)]) + x.to_bytes(32, "big")


def _split(sig64: bytes) -> tuple[int, int] | None:
    r = int.from_bytes(sig64[:32], "big")
    s = int.from_bytes(sig64[32:64], "big")
    if not (0 < r < N and 0 < s < N):
        return None
    return r, s


def verify(sig64: bytes, msg32: bytes, pubkey33: bytes) -> bool:
    """ECDSA verify, low-S only (BIP 146), as libsecp256k1's ``secp256k1_ecdsa_verify``."""
    rs = _split(sig64)
    q = parse_pubkey(pubkey33)
    if rs is None or q is None:
        return False
    r, s = rs
    if s > HALF_N:
        return False
    e = int.from_bytes(msg32, "big") % N
    w = pow(s, -1, N)
    aff = _affine(_mul_add(e * w % N, (GX, GY, 1), r * w % N, q))
    return aff is not None and aff[0] % N == r


# A process that recovers many payees (a batch, a library user decoding in bulk) loads
# libsecp256k1 after this many pure-Python recoveries: about what its import costs (15 ms
# against 2.2 ms each), so no process pays more than twice what the better choice would cost,
# and a lone ``lnctl decode`` never loads it.
LOAD_AFTER = 8
_pure_recoveries = 0


def _load_after_many() -> ModuleType | None:
    global _pure_recoveries
    _pure_recoveries += 1
    if _pure_recoveries <= LOAD_AFTER:
        return None
    try:
        import coincurve
    except ImportError:  # absent (or blocked, as tests do): pure Python it stays
        return None
    return coincurve


def recover(sig64: bytes, recid: int, msg32: bytes) -> bytes | None:
    """The compressed public key that made ``sig64`` over ``msg32``.

    A high-S signature is read as BOLT 11's readers do: S is normalized (s -> n - s) and the
    recovery id kept, so the high-S form of a signature recovers the same payee as its low-S
    form (the specification's "Public-key recovery with high-S signature" example)."""
    rs = _split(sig64)
    if rs is None or not 0 <= recid <= 3:
        return None
    r, s = rs
    if s > HALF_N:
        s = N - s
    fast = sys.modules.get("coincurve") or _load_after_many()
    if fast is not None:  # libsecp256k1 recovers ~20x faster once loaded
        try:
            key = fast.PublicKey.from_signature_and_message(
                r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([recid]), msg32, hasher=None
            )
        except Exception:  # noqa: BLE001 - libsecp256k1 refuses it: not recoverable
            return None
        return bytes(key.format(compressed=True))
    x = r + N if recid & 2 else r
    big_r = _lift_x(x, recid & 1)
    if big_r is None:
        return None
    e = int.from_bytes(msg32, "big") % N
    rinv = pow(r, -1, N)
    q = _mul_add((-e * rinv) % N, (GX, GY, 1), s * rinv % N, big_r)
    if q[2] == 0:
        return None
    return serialize_pubkey(q)
