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


# The curve's endomorphism (GLV): LAMBDA * (x, y) = (BETA * x, y), so a 256-bit scalar k is
# k1 + k2 * LAMBDA with k1, k2 of about 128 bits (the basis A1, B1, A2, B2 of libsecp256k1).
# Four half-length scalars then share one run of 128 doublings instead of 256.
BETA = 0x7AE96A2B657C07106E64479EAC3434E99CF0497512F58995C1396C28719501EE
LAMBDA = 0x5363AD4CC05C30E0A5261C028812645A122E22EA20816678DF02967C1B23BD72
_A1 = 0x3086D221A7D46BCDE86C90E49284EB15
_B1 = -0xE4437ED6010E88286F547FA90ABFE4C3
_A2 = 0x114CA50F7A8E2F3F657C1108D9D44CFD8
_B2 = _A1
_WINDOW = 5  # wNAF digits are odd and below 2**4: the odd multiples 1P .. 15P are kept


def split_scalar(k: int) -> tuple[int, int]:
    """(k1, k2) with k1 + k2 * LAMBDA = k (mod N), each below 2**129 in size."""
    c1 = (_B2 * k + N // 2) // N
    c2 = (-_B1 * k + N // 2) // N
    return k - c1 * _A1 - c2 * _A2, -c1 * _B1 - c2 * _B2


def _wnaf(k: int) -> list[int]:
    """The width-5 non-adjacent form of k >= 0, least significant digit first."""
    digits = []
    while k:
        if k & 1:
            d = k & 31
            if d >= 16:
                d -= 32
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits


def _odd_multiples(x: int, y: int) -> list[tuple[int, int]]:
    """P, 3P, ..., 15P of the affine point P = (x, y), affine (one shared inversion)."""
    two = _double((x, y, 1))
    points = [(x, y, 1)]
    for _ in range(7):
        points.append(_add(points[-1], two))
    # Montgomery's trick: the inverses of all the z's from one modular inversion
    prefix = [1]
    for _, _, z in points:
        prefix.append(prefix[-1] * z % P)
    inv = pow(prefix[-1], -1, P)
    out: list[tuple[int, int]] = [(0, 0)] * len(points)
    for i in range(len(points) - 1, -1, -1):
        px, py, pz = points[i]
        zinv = inv * prefix[i] % P
        inv = inv * pz % P
        zinv2 = zinv * zinv % P
        out[i] = (px * zinv2 % P, py * zinv2 * zinv % P)
    return out


def _mul_add(a: int, pa: _Jacobian, b: int, pb: _Jacobian) -> _Jacobian:
    """a*pa + b*pb for public scalars and points of the curve (not the point at infinity):
    each scalar split by the endomorphism, the four halves in width-5 NAF, their odd multiples
    affine, and one shared run of doublings with mixed additions written out in the loop (this
    loop is most of a lone decode's time)."""
    terms: list[tuple[list[int], list[tuple[int, int]]]] = []
    for k, pt in ((a % N, pa), (b % N, pb)):
        aff = _affine(pt)
        if not k or aff is None:
            continue
        base = _odd_multiples(*aff)
        k1, k2 = split_scalar(k)
        for part, table in ((k1, base), (k2, [(BETA * px % P, py) for px, py in base])):
            if part < 0:
                part, table = -part, [(px, P - py) for px, py in table]
            if part:
                terms.append((_wnaf(part), table))
    x, y, z = 0, 1, 0  # the point at infinity
    for i in range(max((len(d) for d, _ in terms), default=0) - 1, -1, -1):
        if z:
            if y == 0:
                x, y, z = 0, 1, 0
            else:
                ysq = y * y % P
                s = 4 * x * ysq % P
                m = 3 * x * x % P
                nx = (m * m - 2 * s) % P
                z = 2 * y * z % P
                y = (m * (s - nx) - 8 * ysq * ysq) % P
                x = nx
        for digits, table in terms:
            if i >= len(digits) or not digits[i]:
                continue
            d = digits[i]
            x2, y2 = table[abs(d) >> 1]
            if d < 0:
                y2 = P - y2
            if z == 0:
                x, y, z = x2, y2, 1
                continue
            zz = z * z % P
            u2 = x2 * zz % P
            s2 = y2 * z * zz % P
            if x == u2:  # the same x: a doubling or the point at infinity (rare)
                x, y, z = _add((x, y, z), (x2, y2, 1))
                continue
            h = (u2 - x) % P
            r = (s2 - y) % P
            hh = h * h % P
            hhh = h * hh % P
            v = x * hh % P
            nx = (r * r - hhh - 2 * v) % P
            y = (r * (v - nx) - y * hhh) % P
            z = z * h % P
            x = nx
    return x, y, z


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
# against 1.2 ms each), so no process pays more than twice what the better choice would cost,
# and a lone ``lnctl decode`` never loads it.
LOAD_AFTER = 12
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
