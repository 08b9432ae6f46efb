"""A strict BOLT 11 codec: bech32, tagged fields, signatures.

Decoding follows the reader requirements of BOLT 11 and is stricter than the PyPI libraries where
they are lax: sub-millisatoshi amounts, unknown even feature bits, a missing ``s`` or ``p``,
duplicate or conflicting fields, non-minimal ``c``/``x`` encodings and high-S signatures checked
against ``n`` are all refused; without ``n`` the payee is recovered from the signature, high-S
accepted, giving the right key.

This module is on the start-up path of ``lnctl decode``: it imports nothing heavy (no dataclasses,
no typing at run time) and needs no C extension to decode.
"""

from __future__ import annotations

import time

from lnctl.errors import InvalidInvoiceError

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from hashlib import sha256 as sha256
else:  # CPython's built-in SHA-256, the same interface as hashlib's without loading OpenSSL:
    # `import hashlib` costs a lone `lnctl decode` about 4 ms of its 17 (bench/startup.py);
    # tests/unit/test_bolt11.py checks that it is taken and agrees with hashlib
    try:
        from _sha2 import sha256  # CPython 3.12 and newer
    except ImportError:
        try:
            from _sha256 import sha256  # CPython 3.11
        except ImportError:  # pragma: no cover - another Python
            from hashlib import sha256


CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_REV = {c: i for i, c in enumerate(CHARSET)}
# each byte of an invoice's data part to its 5-bit value (255: not a bech32 character)
_CHARSET_BYTES = bytes(_CHARSET_REV.get(chr(b), 255) for b in range(256))
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)

# Currency prefixes of BOLT 11, longest first so that "bcrt" wins over "bc" and "tbs" over "tb".
NETWORK_PREFIXES = {"bitcoin": "bc", "testnet": "tb", "signet": "tbs", "regtest": "bcrt"}
_PREFIX_NETWORK = {v: k for k, v in NETWORK_PREFIXES.items()}
# Segwit address prefixes and base58 version bytes (P2PKH, P2SH) for fallback addresses.
_SEGWIT_HRP = {"bitcoin": "bc", "testnet": "tb", "signet": "tb", "regtest": "bcrt"}
_BASE58_VERSION = {
    "bitcoin": (0x00, 0x05),
    "testnet": (0x6F, 0xC4),
    "signet": (0x6F, 0xC4),
    "regtest": (0x6F, 0xC4),
}

MSAT_PER_BTC = 100_000_000_000
MAX_MSAT = 21_000_000 * MSAT_PER_BTC  # no amount can exceed all bitcoin there will ever be
_MULTIPLIERS = {"m": 100_000_000, "u": 100_000, "n": 100}  # msat per unit; "p" is 1/10 msat

# Tagged field types (the value of the first 5-bit group).
TAG_P, TAG_S, TAG_D, TAG_M, TAG_N, TAG_H, TAG_X, TAG_C, TAG_F, TAG_R, TAG_9 = (
    1,
    16,
    13,
    27,
    19,
    23,
    6,
    24,
    9,
    3,
    5,
)
_FIXED_LENGTHS = {TAG_P: 52, TAG_S: 52, TAG_H: 52, TAG_N: 53}

DEFAULT_EXPIRY = 3600
DEFAULT_MIN_FINAL_CLTV = 18
MAX_FIELD_GROUPS = 1023  # data_length is 10 bits
MAX_DESCRIPTION_BYTES = MAX_FIELD_GROUPS * 5 // 8  # 639

# BOLT 9 features an invoice may carry (context "9"), by even bit.
KNOWN_FEATURES = {
    8: "var_onion_optin",
    14: "payment_secret",
    16: "basic_mpp",
    24: "option_route_blinding",
    48: "option_payment_metadata",
}
FEATURE_VAR_ONION = 8
FEATURE_PAYMENT_SECRET = 14


def _fail(message: str) -> InvalidInvoiceError:
    return InvalidInvoiceError(
        message, hint="check that the whole invoice was copied, and that it is a BOLT 11 invoice"
    )


# -- bech32 ----------------------------------------------------------------------------------------


# _GEN's contribution for each value of the 5 bits shifted out: one lookup per character
_POLY_TABLE = tuple(
    [
        (g0 if t & 1 else 0)
        ^ (g1 if t & 2 else 0)
        ^ (g2 if t & 4 else 0)
        ^ (g3 if t & 8 else 0)
        ^ (g4 if t & 16 else 0)
        for t in range(32)
        for g0, g1, g2, g3, g4 in [_GEN]
    ]
)


def _polymod(values: list[int]) -> int:
    chk = 1
    table = _POLY_TABLE
    for v in values:
        chk = (chk & 0x1FFFFFF) << 5 ^ v ^ table[chk >> 25]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_decode(text: str) -> tuple[str, list[int]]:
    """Split and checksum-verify a bech32 string (no length limit, as BOLT 11 requires)."""
    if not text.isascii() or not text.isprintable() or " " in text:  # only 33..126
        raise _fail("invoice contains characters outside printable ASCII")
    if text.lower() != text and text.upper() != text:
        raise _fail("invoice mixes upper and lower case")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1:
        raise _fail("invoice has no bech32 separator '1'")
    if len(text) - pos - 1 < 6:
        raise _fail("invoice is too short")
    hrp = text[:pos]
    packed = text[pos + 1 :].encode("ascii").translate(_CHARSET_BYTES)
    if 255 in packed:
        bad = text[pos + 1 + packed.index(255)]
        raise _fail(f"invoice contains a character that is not bech32: {bad!r}")
    data = list(packed)
    if _polymod(_hrp_expand(hrp) + data) != 1:
        raise _fail("invoice checksum is invalid (bech32)")
    return hrp, data[:-6]


def bech32_encode(hrp: str, data: list[int], *, bech32m: bool = False) -> str:
    const = 0x2BC830A3 if bech32m else 1
    polymod = _polymod(_hrp_expand(hrp) + data + [0] * 6) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in data + checksum)


def convertbits(data: list[int] | bytes, frombits: int, tobits: int, pad: bool) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (tobits - bits)) & maxv)
    return out


# 5-bit groups as the digits of a base-32 number: int(..., 32) packs them in C
_BASE32_DIGITS = bytes.maketrans(bytes(range(32)), b"0123456789abcdefghijklmnopqrstuv")


def _to_bytes(groups: list[int], pad: bool = False) -> bytes:
    """5-bit groups to bytes: the bits left over at the end dropped (they are padding), or,
    with ``pad``, zero bits added to fill the last byte."""
    if not groups:
        return b""
    bits = 5 * len(groups)
    size = (bits + 7) // 8 if pad else bits // 8
    n = _to_int(groups)
    n = n << (size * 8 - bits) if pad else n >> (bits - size * 8)
    return n.to_bytes(size, "big")


def _to_int(groups: list[int]) -> int:
    return int(bytes(groups).translate(_BASE32_DIGITS), 32) if groups else 0


def _from_int(n: int) -> list[int]:
    """Minimal big-endian 5-bit encoding (empty for 0, as BOLT 11 writers must)."""
    out: list[int] = []
    while n:
        out.append(n & 31)
        n >>= 5
    return out[::-1]


# -- amounts ---------------------------------------------------------------------------------------


def parse_amount(text: str) -> int:
    """The amount part of the human-readable prefix, in msat. Strict: no sub-msat, no zero."""
    if not text:
        raise _fail("missing amount")
    digits, mult = (text[:-1], text[-1]) if not text[-1].isdigit() else (text, "")
    if not digits.isdigit() or not digits.isascii():
        raise _fail(f"invalid amount {text[:40]!r}")
    if digits[0] == "0":
        raise _fail(f"invalid amount {text[:40]!r}: leading zero or zero amount")
    if len(digits) > 25:  # far beyond 21 million BTC in any unit (and Python's int limits)
        raise _fail("invalid amount: more digits than any amount can have")
    value = int(digits)
    if mult == "":
        return value * MSAT_PER_BTC
    if mult == "p":
        if value % 10:
            raise _fail(f"invalid amount {text!r}: sub-millisatoshi precision")
        return value // 10
    if mult in _MULTIPLIERS:
        return value * _MULTIPLIERS[mult]
    raise _fail(f"invalid amount multiplier {mult!r}")


def encode_amount(amount_msat: int) -> str:
    """The shortest encoding: 100,000 sat is ``1m``, 1 msat is ``10p``."""
    if amount_msat <= 0:
        raise ValueError("amount must be positive")
    if amount_msat % MSAT_PER_BTC == 0:
        return str(amount_msat // MSAT_PER_BTC)
    for mult, unit in _MULTIPLIERS.items():
        if amount_msat % unit == 0:
            return f"{amount_msat // unit}{mult}"
    return f"{amount_msat * 10}p"


def _split_hrp(hrp: str) -> tuple[str, int | None]:
    if not hrp.startswith("ln"):
        raise _fail("invoice does not start with 'ln'")
    rest = hrp[2:]
    i = 0
    while i < len(rest) and rest[i].isalpha():
        i += 1
    prefix, amount = rest[:i], rest[i:]
    network = _PREFIX_NETWORK.get(prefix)
    if network is None:
        raise _fail(f"unknown currency prefix {prefix!r}")
    return network, (parse_amount(amount) if amount else None)


# -- addresses for fallback fields -----------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58check(payload: bytes) -> str:
    data = payload + sha256(sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, rem = divmod(n, 58)
        out = _B58[rem] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + out


def _fallback_address(network: str, version: int, program: bytes) -> str | None:
    """The address of an ``f`` field, or None for a version a reader must skip."""
    if version <= 16:
        if not 2 <= len(program) <= 40 or (version == 0 and len(program) not in (20, 32)):
            raise _fail("fallback address has an invalid witness program length")
        data = [version] + convertbits(program, 8, 5, pad=True)
        return bech32_encode(_SEGWIT_HRP[network], data, bech32m=version > 0)
    if version in (17, 18):
        if len(program) != 20:
            raise _fail("fallback address has an invalid hash length")
        return _base58check(bytes([_BASE58_VERSION[network][version - 17]]) + program)
    return None


# -- the invoice -----------------------------------------------------------------------------------


class Invoice:
    """A decoded, verified BOLT 11 invoice. Amounts are integers of msat."""

    __slots__ = (
        "bolt11",
        "network",
        "amount_msat",
        "timestamp",
        "payee",
        "payment_hash",
        "payment_secret",
        "description",
        "description_hash",
        "expiry",
        "min_final_cltv_expiry",
        "features",
        "route_hints",
        "fallback_addresses",
        "metadata",
        "signature",
    )

    def __init__(self, **fields: object) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.get(name))

    bolt11: str
    network: str
    amount_msat: int | None
    timestamp: int
    payee: str
    payment_hash: str
    payment_secret: str
    description: str | None
    description_hash: str | None
    expiry: int
    min_final_cltv_expiry: int
    features: list[int]
    route_hints: list[list[dict[str, object]]]
    fallback_addresses: list[str]
    metadata: str | None
    signature: str

    @property
    def expires_at(self) -> int:
        return self.timestamp + self.expiry

    def is_expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires_at

    def feature_names(self) -> list[str]:
        return [KNOWN_FEATURES.get(bit & ~1, f"unknown_{bit}") for bit in self.features]

    def to_dict(self, now: float | None = None) -> dict[str, object]:
        return {
            "network": self.network,
            "amount_msat": self.amount_msat,
            "payee": self.payee,
            "payment_hash": self.payment_hash,
            "payment_secret": self.payment_secret,
            "description": self.description,
            "description_hash": self.description_hash,
            "timestamp": self.timestamp,
            "expiry": self.expiry,
            "expires_at": self.expires_at,
            "expired": self.is_expired(now),
            "min_final_cltv_expiry": self.min_final_cltv_expiry,
            "features": {
                str(bit): {"name": name, "required": bit % 2 == 0}
                for bit, name in zip(self.features, self.feature_names(), strict=True)
            },
            "route_hints": self.route_hints,
            "fallback_addresses": self.fallback_addresses,
            "metadata": self.metadata,
            "signature": self.signature,
        }


def _parse_features(groups: list[int]) -> list[int]:
    value = _to_int(groups)
    bits = [i for i in range(value.bit_length()) if value >> i & 1]
    for bit in bits:
        if bit % 2 == 0 and bit not in KNOWN_FEATURES:
            raise _fail(f"invoice requires unknown feature bit {bit}")
    return bits


def _parse_route(data: bytes) -> list[dict[str, object]]:
    if not data or len(data) % 51:
        raise _fail("routing hint field has an invalid length")
    hops = []
    for i in range(0, len(data), 51):
        hop = data[i : i + 51]
        scid = int.from_bytes(hop[33:41], "big")
        hops.append(
            {
                "pubkey": hop[:33].hex(),
                "short_channel_id": f"{scid >> 40}x{scid >> 16 & 0xFFFFFF}x{scid & 0xFFFF}",
                "fee_base_msat": int.from_bytes(hop[41:45], "big"),
                "fee_proportional_millionths": int.from_bytes(hop[45:49], "big"),
                "cltv_expiry_delta": int.from_bytes(hop[49:51], "big"),
            }
        )
    return hops


def _minimal_int(groups: list[int], name: str) -> int:
    if groups and groups[0] == 0:
        raise _fail(f"field {name!r} is not minimally encoded")
    return _to_int(groups)


def decode(text: str) -> Invoice:
    """Decode and verify a BOLT 11 invoice; raise InvalidInvoiceError for anything a strict
    reader must refuse. ``lightning:`` URI prefixes and surrounding whitespace are accepted."""
    text = text.strip()
    if text[:10].lower() == "lightning:":
        text = text[10:]
    if not text:
        raise _fail("the invoice is empty")
    hrp, data = bech32_decode(text)
    network, amount_msat = _split_hrp(hrp)
    if len(data) < 7 + 104:
        raise _fail("invoice is too short")
    sig_groups = data[-104:]
    body = data[:-104]
    timestamp = _to_int(body[:7])

    seen: dict[int, object] = {}
    route_hints: list[list[dict[str, object]]] = []
    fallbacks: list[str] = []
    features: list[int] = []
    expiry = DEFAULT_EXPIRY
    min_cltv = DEFAULT_MIN_FINAL_CLTV
    i = 7
    while i < len(body):
        if i + 3 > len(body):
            raise _fail("invoice field header is truncated")
        tag = body[i]
        length = body[i + 1] << 5 | body[i + 2]
        field = body[i + 3 : i + 3 + length]
        if len(field) != length:
            raise _fail("invoice field is truncated")
        i += 3 + length
        fixed = _FIXED_LENGTHS.get(tag)
        if fixed is not None and length != fixed:
            continue  # BOLT 11: a reader MUST skip p, h, s, n fields of another length
        if tag in (TAG_P, TAG_S, TAG_D, TAG_H, TAG_N, TAG_X, TAG_C, TAG_9, TAG_M) and tag in seen:
            raise _fail(f"invoice has more than one {CHARSET[tag]!r} field")
        if tag in (TAG_P, TAG_S, TAG_H, TAG_N):
            seen[tag] = _to_bytes(field)
        elif tag == TAG_D:
            try:
                seen[tag] = _to_bytes(field).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _fail("description is not valid UTF-8") from exc
        elif tag == TAG_X:
            expiry = _minimal_int(field, "x")
            seen[tag] = expiry
        elif tag == TAG_C:
            min_cltv = _minimal_int(field, "c")
            seen[tag] = min_cltv
        elif tag == TAG_9:
            features = _parse_features(field)
            seen[tag] = features
        elif tag == TAG_M:
            seen[tag] = _to_bytes(field).hex()
        elif tag == TAG_R:
            route_hints.append(_parse_route(_to_bytes(field)))
        elif tag == TAG_F:
            if not field:
                raise _fail("empty fallback address field")
            address = _fallback_address(network, field[0], _to_bytes(field[1:]))
            if address is not None:
                fallbacks.append(address)
        # any other tag is unknown: skipped, as BOLT 11 requires

    if TAG_P not in seen:
        raise _fail("invoice has no payment hash ('p' field)")
    if TAG_S not in seen:
        raise _fail("invoice has no payment secret ('s' field)")
    if (TAG_D in seen) == (TAG_H in seen):
        raise _fail("invoice must have exactly one of a description ('d') or its hash ('h')")

    sig = _to_bytes(sig_groups)
    if len(sig) != 65:
        raise _fail("invoice signature has an invalid length")
    msg = sha256(hrp.encode() + _to_bytes(body, pad=True)).digest()

    from lnctl import secp256k1

    if TAG_N in seen:
        payee = seen[TAG_N]
        assert isinstance(payee, bytes)
        if not secp256k1.verify(sig[:64], msg, payee):
            raise _fail("invoice signature does not verify against its payee ('n' field)")
    else:
        recovered = secp256k1.recover(sig[:64], sig[64], msg)
        if recovered is None:
            raise _fail("invoice signature is not recoverable")
        payee = recovered

    description_hash = seen.get(TAG_H)
    payment_hash = seen[TAG_P]
    payment_secret = seen[TAG_S]
    assert isinstance(payment_hash, bytes) and isinstance(payment_secret, bytes)
    return Invoice(
        bolt11=text.lower(),
        network=network,
        amount_msat=amount_msat,
        timestamp=timestamp,
        payee=payee.hex(),
        payment_hash=payment_hash.hex(),
        payment_secret=payment_secret.hex(),
        description=seen.get(TAG_D),
        description_hash=description_hash.hex() if isinstance(description_hash, bytes) else None,
        expiry=expiry,
        min_final_cltv_expiry=min_cltv,
        features=features,
        route_hints=route_hints,
        fallback_addresses=fallbacks,
        metadata=seen.get(TAG_M),
        signature=sig.hex(),
    )


# -- encoding --------------------------------------------------------------------------------------


def _field(tag: int, groups: list[int]) -> list[int]:
    if len(groups) > MAX_FIELD_GROUPS:
        raise ValueError(f"field {CHARSET[tag]!r} is too long for BOLT 11")
    return [tag, len(groups) >> 5, len(groups) & 31] + groups


def _bytes_field(tag: int, data: bytes) -> list[int]:
    return _field(tag, convertbits(data, 8, 5, pad=True))


def encode(
    *,
    network: str,
    amount_msat: int | None,
    payment_hash: bytes,
    payment_secret: bytes,
    sign: object,
    description: str | None = None,
    description_hash: bytes | None = None,
    expiry: int = DEFAULT_EXPIRY,
    min_final_cltv_expiry: int = DEFAULT_MIN_FINAL_CLTV,
    features: tuple[int, ...] = (FEATURE_VAR_ONION, FEATURE_PAYMENT_SECRET),
    timestamp: int | None = None,
    payee: bytes | None = None,
) -> str:
    """Build and sign an invoice. ``sign(msg32) -> 65 bytes`` (r, s, recovery id) is the node
    key's recoverable signer; ``payee`` adds an explicit ``n`` field."""
    if (description is None) == (description_hash is None):
        raise ValueError("exactly one of description and description_hash")
    if len(payment_hash) != 32 or len(payment_secret) != 32:
        raise ValueError("payment hash and secret are 32 bytes")
    hrp = (
        "ln"
        + NETWORK_PREFIXES[network]
        + ("" if amount_msat is None else encode_amount(amount_msat))
    )
    ts = int(time.time()) if timestamp is None else timestamp
    data = [(ts >> 5 * (6 - i)) & 31 for i in range(7)]
    data += _bytes_field(TAG_P, payment_hash)
    data += _bytes_field(TAG_S, payment_secret)
    if description is not None:
        data += _bytes_field(TAG_D, description.encode("utf-8"))
    else:
        assert description_hash is not None
        data += _bytes_field(TAG_H, description_hash)
    if expiry != DEFAULT_EXPIRY:
        data += _field(TAG_X, _from_int(expiry))
    data += _field(TAG_C, _from_int(min_final_cltv_expiry))
    feature_bits = 0
    for bit in features:
        feature_bits |= 1 << bit
    if feature_bits:
        data += _field(TAG_9, _from_int(feature_bits))
    if payee is not None:
        data += _bytes_field(TAG_N, payee)
    msg = sha256(hrp.encode() + bytes(convertbits(data, 5, 8, pad=True))).digest()
    signature = sign(msg)  # type: ignore[operator]
    assert isinstance(signature, bytes) and len(signature) == 65
    return bech32_encode(hrp, data + convertbits(signature, 8, 5, pad=True))
