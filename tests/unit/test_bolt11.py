"""The strict BOLT 11 codec: the specification's examples, hand-made invalid invoices signed with
the specification's key, a round-trip property, and agreement with two PyPI decoders."""

from __future__ import annotations

import hashlib
import json
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import coincurve
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lnctl import bolt11, secp256k1
from lnctl.errors import InvalidInvoiceError

ROOT = Path(__file__).resolve().parents[2]
SPEC_KEY = coincurve.PrivateKey(
    bytes.fromhex("e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734")
)
SPEC_PAYEE = "03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad"
HASH = bytes.fromhex("0001020304050607080900010203040506070809000102030405060708090102")
SECRET = bytes([0x11] * 32)
TS = 1496314658


def _examples() -> dict[str, list[dict[str, object]]]:
    """The shared examples (the full specification list when present), else our copy."""
    for path in (
        ROOT.parent / "shared" / "bolt11-examples.json",
        ROOT / "tests" / "data" / "bolt11-examples.json",
    ):
        if path.exists():
            return json.loads(path.read_text())  # type: ignore[no-any-return]
    raise FileNotFoundError("bolt11-examples.json")


EXAMPLES = _examples()
COMPARED = (
    "payee",
    "payment_hash",
    "amount_msat",
    "timestamp",
    "description",
    "description_hash",
    "network",
    "expiry",
    "min_final_cltv_expiry",
    "fallback_addresses",
    "metadata",
    "payment_secret",
)


@pytest.mark.parametrize("example", EXAMPLES["valid"], ids=lambda e: str(e["title"])[:60])
def test_specification_valid_examples_decode_to_the_stated_fields(example: dict[str, Any]) -> None:
    decoded = bolt11.decode(str(example["invoice"])).to_dict(now=0)
    compared = 0
    for key in COMPARED:
        expected = example.get(key, ...)
        comparable = (
            expected is None
            or isinstance(expected, int | str)
            or (isinstance(expected, list) and all(isinstance(v, str) for v in expected))
        )
        if expected is not ... and comparable:
            assert decoded[key] == expected, key
            compared += 1
    assert compared >= 3 or set(example) <= {"title", "invoice"}


@pytest.mark.parametrize("example", EXAMPLES["invalid"], ids=lambda e: str(e["title"])[:60])
def test_specification_invalid_examples_are_refused(example: dict[str, Any]) -> None:
    with pytest.raises(InvalidInvoiceError):
        bolt11.decode(str(example["invoice"]))


# -- hand-made invoices signed with the specification's key ----------------------------------------


def craft(
    hrp: str,
    fields: list[list[int]],
    *,
    key: coincurve.PrivateKey = SPEC_KEY,
    high_s: bool = False,
    upper: bool = False,
) -> str:
    data = [(TS >> 5 * (6 - i)) & 31 for i in range(7)]
    for f in fields:
        data += f
    msg = hashlib.sha256(hrp.encode() + bytes(bolt11.convertbits(data, 5, 8, True))).digest()
    sig = key.sign_recoverable(msg, hasher=None)
    if high_s:
        s = secp256k1.N - int.from_bytes(sig[32:64], "big")
        # the recovery id kept, as in the specification's high-S example
        sig = sig[:32] + s.to_bytes(32, "big") + sig[64:]
    text = bolt11.bech32_encode(hrp, data + bolt11.convertbits(sig, 8, 5, True))
    return text.upper() if upper else text


def f(tag: str, data: bytes) -> list[int]:
    return bolt11._bytes_field(bolt11.CHARSET.index(tag), data)


def fi(tag: str, groups: list[int]) -> list[int]:
    return bolt11._field(bolt11.CHARSET.index(tag), groups)


P, S, D = f("p", HASH), f("s", SECRET), f("d", b"coffee")
FEATURES = fi("9", bolt11._from_int(1 << 8 | 1 << 14))
BASE = [P, S, D, FEATURES]


def test_crafted_baseline_is_accepted() -> None:
    inv = bolt11.decode(craft("lnbc2500u", BASE))
    assert (inv.payee, inv.amount_msat, inv.description) == (SPEC_PAYEE, 250_000_000, "coffee")


@pytest.mark.parametrize(
    ("hrp", "fields", "reason"),
    [
        ("lnbc2500000001p", BASE, "sub-millisatoshi"),
        ("lnbc2500u", [P, D, FEATURES], "payment secret"),
        ("lnbc2500u", [S, D, FEATURES], "payment hash"),
        ("lnbc2500u", [P, S, FEATURES], "exactly one of"),
        ("lnbc2500u", [P, S, D, f("h", HASH), FEATURES], "exactly one of"),
        ("lnbc2500u", [P, P, S, D, FEATURES], "more than one 'p'"),
        ("lnbc2500u", [P, S, S, D, FEATURES], "more than one 's'"),
        ("lnbc2500u", [P, S, D, D, FEATURES], "more than one 'd'"),
        (
            "lnbc2500u",
            [P, S, D, fi("9", bolt11._from_int(1 << 100 | 1 << 8 | 1 << 14))],
            "unknown feature bit 100",
        ),
        ("lnbc2500u", BASE + [fi("x", [0, 1])], "not minimally encoded"),
        ("lnbc2500u", BASE + [fi("c", [0, 18])], "not minimally encoded"),
        ("lnbc02500u", BASE, "leading zero"),
        ("lnbc2500x", BASE, "multiplier"),
        ("lnxy2500u", BASE, "currency"),
        ("lnbc2500u", [P, S, f("d", b"\xff\xfe"), FEATURES], "UTF-8"),
        ("lnbc2500u", [P, S, D, FEATURES, f("r", b"\x02" * 50)], "routing hint"),
    ],
)
def test_strict_reader_refuses(hrp: str, fields: list[list[int]], reason: str) -> None:
    with pytest.raises(InvalidInvoiceError, match=reason):
        bolt11.decode(craft(hrp, fields))


def test_unknown_odd_feature_is_ignored_and_unknown_field_skipped() -> None:
    inv = bolt11.decode(
        craft(
            "lnbc2500u",
            [P, S, D, fi("9", bolt11._from_int(1 << 99 | 1 << 8 | 1 << 14)), fi("v", [1, 2, 3])],
        )
    )
    assert inv.features == [8, 14, 99]


def test_fields_of_the_wrong_length_are_skipped_as_the_spec_requires() -> None:
    short_p = bolt11._bytes_field(bolt11.TAG_P, HASH[:31])
    inv = bolt11.decode(craft("lnbc2500u", [short_p, P, S, D, FEATURES]))
    assert inv.payment_hash == HASH.hex()


def test_mixed_case_and_missing_separator_are_refused() -> None:
    good = craft("lnbc2500u", BASE)
    with pytest.raises(InvalidInvoiceError, match="mixes"):
        bolt11.decode(good[:10] + good[10:].upper())
    with pytest.raises(InvalidInvoiceError):
        bolt11.decode(good.replace("1", "", 1).replace("1", ""))
    assert bolt11.decode(good.upper()).payment_hash == HASH.hex()


def test_high_s_signature_recovers_the_right_payee() -> None:
    inv = bolt11.decode(craft("lnbc2500u", BASE, high_s=True))
    assert inv.payee == SPEC_PAYEE


def test_n_field_is_verified_low_s_only() -> None:
    n = f("n", SPEC_KEY.public_key.format())
    assert bolt11.decode(craft("lnbc2500u", BASE + [n])).payee == SPEC_PAYEE
    with pytest.raises(InvalidInvoiceError, match="does not verify"):
        bolt11.decode(craft("lnbc2500u", BASE + [n], high_s=True))
    other = f("n", coincurve.PrivateKey().public_key.format())
    with pytest.raises(InvalidInvoiceError, match="does not verify"):
        bolt11.decode(craft("lnbc2500u", BASE + [other]))


def test_signature_that_is_not_recoverable_is_refused() -> None:
    good = craft("lnbc2500u", BASE)
    hrp, data = bolt11.bech32_decode(good)
    x = next(x for x in range(1, 100) if bolt11_lift_fails(x))
    sig = x.to_bytes(32, "big") + (1).to_bytes(32, "big") + b"\x00"
    text = bolt11.bech32_encode(hrp, data[:-104] + bolt11.convertbits(sig, 8, 5, True))
    with pytest.raises(InvalidInvoiceError, match="not recoverable"):
        bolt11.decode(text)


def bolt11_lift_fails(x: int) -> bool:
    return secp256k1._lift_x(x, 0) is None


def test_flipping_any_character_is_detected() -> None:
    good = craft("lnbc2500u", BASE)
    sep = good.rfind("1")
    for i in range(sep + 1, len(good)):
        c = "q" if good[i] != "q" else "p"
        with pytest.raises(InvalidInvoiceError):
            bolt11.decode(good[:i] + c + good[i + 1 :])


@pytest.mark.parametrize(
    ("msat", "text"),
    [
        (100_000_000, "1m"),
        (1, "10p"),
        (100, "1n"),
        (100_000, "1u"),
        (250_000_000, "2500u"),
        (100_000_000_000, "1"),
        (967_878_534, "9678785340p"),
        (1_000_000_000_000, "10"),
    ],
)
def test_shortest_amount_encoding(msat: int, text: str) -> None:
    assert bolt11.encode_amount(msat) == text
    assert bolt11.parse_amount(text) == msat


# -- round trip and agreement with other decoders --------------------------------------------------


def signed(key: coincurve.PrivateKey, **fields: Any) -> str:
    """An invoice for HASH/SECRET at TS, signed by ``key``, with ``fields`` for bolt11.encode."""
    return bolt11.encode(
        payment_hash=HASH,
        payment_secret=SECRET,
        timestamp=TS,
        sign=lambda m: key.sign_recoverable(m, hasher=None),
        **fields,
    )


descriptions = st.text(max_size=120).filter(lambda s: len(s.encode()) <= 639)


@settings(max_examples=150, deadline=None)
@given(
    amount=st.one_of(st.none(), st.integers(min_value=1, max_value=21_000_000 * 10**11)),
    description=st.one_of(st.none(), descriptions),
    expiry=st.integers(min_value=1, max_value=2**30),
    network=st.sampled_from(sorted(bolt11.NETWORK_PREFIXES)),
    cltv=st.integers(min_value=18, max_value=2**20),
    with_n=st.booleans(),
)
def test_round_trip(
    amount: int | None, description: str | None, expiry: int, network: str, cltv: int, with_n: bool
) -> None:
    key = coincurve.PrivateKey()
    payee = key.public_key.format()
    dhash = hashlib.sha256(b"memo").digest() if description is None else None
    text = signed(
        key,
        network=network,
        amount_msat=amount,
        description=description,
        description_hash=dhash,
        expiry=expiry,
        min_final_cltv_expiry=cltv,
        payee=payee if with_n else None,
    )
    inv = bolt11.decode(text)
    assert inv.network == network and inv.amount_msat == amount
    assert inv.payee == payee.hex() and inv.payment_hash == HASH.hex()
    assert inv.description == description
    assert inv.description_hash == (dhash.hex() if dhash else None)
    assert (inv.expiry, inv.min_final_cltv_expiry, inv.timestamp) == (expiry, cltv, TS)
    assert inv.features == [8, 14]


reference_invoices = given(
    amount=st.integers(min_value=1, max_value=10**15),
    description=descriptions,
    network=st.sampled_from(["bitcoin", "testnet", "regtest"]),
)


@settings(max_examples=40, deadline=None)
@reference_invoices
def test_pypi_bolt11_reads_our_invoices_the_same_way(
    amount: int, description: str, network: str
) -> None:
    pypi_bolt11 = pytest.importorskip(
        "bolt11", reason="PyPI bolt11 2.2.0 requires Python < 3.13 (pyln-proto still compares)"
    )
    key = coincurve.PrivateKey()
    text = signed(key, network=network, amount_msat=amount, description=description)
    ours = bolt11.decode(text)
    theirs = pypi_bolt11.decode(text)
    assert (theirs.amount_msat, theirs.payee, theirs.payment_hash, theirs.description) == (
        ours.amount_msat,
        ours.payee,
        ours.payment_hash,
        ours.description,
    )


@settings(max_examples=40, deadline=None)
@reference_invoices
def test_pyln_proto_reads_our_invoices_the_same_way(
    amount: int, description: str, network: str
) -> None:
    from pyln.proto.invoice import Invoice as PylnInvoice  # type: ignore[import-untyped]

    key = coincurve.PrivateKey()
    text = signed(key, network=network, amount_msat=amount, description=description)
    ours = bolt11.decode(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyln = PylnInvoice.decode(text)
    assert int(pyln.amount * Decimal(10**11)) == ours.amount_msat
    assert pyln.pubkey.format().hex() == ours.payee
    assert pyln.paymenthash.hex() == ours.payment_hash
    assert dict(pyln.tags)["d"] == ours.description


def test_invoice_text_is_only_ascii_printable() -> None:
    with pytest.raises(InvalidInvoiceError, match="printable"):
        bolt11.decode("lnbc1\x1b[31m")


@pytest.mark.parametrize(
    ("version", "program", "address"),
    [
        (17, "04b61f7dc1ea0dc99424464cc4064dc564d91e89", "1RustyRX2oai4EYYDpQGWvEL62BBGqN9T"),
        (18, "8f55563b9a19f321c211e9b9f38cdf686ea07845", "3EktnHQD7RiAE6uzMj2ZifT9YgRrkSgzQX"),
        (
            0,
            "751e76e8199196d454941c45d1b3a323f1433bd6",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        ),
        (
            1,
            "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        ),
    ],
)
def test_fallback_addresses(version: int, program: str, address: str) -> None:
    field = fi("f", [version] + bolt11.convertbits(bytes.fromhex(program), 8, 5, True))
    inv = bolt11.decode(craft("lnbc2500u", BASE + [field]))
    assert inv.fallback_addresses == [address]


def test_fallback_of_unknown_version_is_skipped() -> None:
    field = fi("f", [19] + bolt11.convertbits(bytes(20), 8, 5, True))
    assert bolt11.decode(craft("lnbc2500u", BASE + [field])).fallback_addresses == []


def test_route_hints() -> None:
    hop = (
        bytes.fromhex("029e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255")
        + (0x0102030405060708).to_bytes(8, "big")
        + (1).to_bytes(4, "big")
        + (20).to_bytes(4, "big")
        + (3).to_bytes(2, "big")
    )
    inv = bolt11.decode(craft("lnbc2500u", BASE + [f("r", hop + hop)]))
    assert inv.route_hints == [
        [
            {
                "pubkey": "029e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255",
                "short_channel_id": "66051x263430x1800",
                "fee_base_msat": 1,
                "fee_proportional_millionths": 20,
                "cltv_expiry_delta": 3,
            }
        ]
        * 2
    ]


def test_metadata_and_lightning_uri() -> None:
    text = craft("lnbc2500u", BASE + [f("m", bytes.fromhex("01fafaf0"))])
    inv = bolt11.decode("lightning:" + text.upper())
    assert inv.metadata == "01fafaf0" and inv.bolt11 == text


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_is_decoded_or_refused_cleanly(text: str) -> None:
    try:
        bolt11.decode(text)
    except InvalidInvoiceError:
        pass


@settings(max_examples=400, deadline=None)
@given(
    hrp=st.sampled_from(["lnbc", "lnbc2500u", "lntb1m", "lnbcrt10p", "lnbc0", "lnsb1", "lnbc1x"]),
    data=st.lists(st.integers(0, 31), min_size=0, max_size=400),
)
def test_checksummed_garbage_is_refused_cleanly(hrp: str, data: list[int]) -> None:
    """Valid bech32 with random content reaches the field parser and the signature check."""
    try:
        bolt11.decode(bolt11.bech32_encode(hrp, data))
    except InvalidInvoiceError:
        pass


@settings(max_examples=300, deadline=None)
@given(
    extra=st.lists(
        st.tuples(st.integers(0, 31), st.lists(st.integers(0, 31), max_size=70)), max_size=6
    )
)
def test_signed_invoices_with_random_fields_are_decoded_or_refused_cleanly(
    extra: list[tuple[int, list[int]]],
) -> None:
    fields = BASE + [bolt11._field(tag, groups) for tag, groups in extra]
    try:
        inv = bolt11.decode(craft("lnbc2500u", fields))
    except InvalidInvoiceError:
        return
    assert inv.payee == SPEC_PAYEE


@pytest.mark.parametrize("example", EXAMPLES["valid"], ids=lambda e: str(e["title"])[:60])
def test_specification_examples_without_libsecp256k1(example: dict[str, Any]) -> None:
    """A lone `lnctl decode` recovers in pure Python: the same payee as with libsecp256k1."""
    from tests.unit.test_secp256k1 import pure

    with pure():
        decoded = bolt11.decode(str(example["invoice"]))
    assert decoded.payee == bolt11.decode(str(example["invoice"])).payee
    if "payee" in example:
        assert decoded.payee == example["payee"]


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_the_built_in_sha256_is_taken_and_agrees_with_hashlib(data: bytes) -> None:
    """bolt11 hashes with CPython's built-in SHA-256 (no OpenSSL at start-up) on every
    supported CPython: the same digests as hashlib's."""
    import platform

    if platform.python_implementation() == "CPython":
        assert bolt11.sha256.__module__ in ("_sha2", "_sha256")
    assert bolt11.sha256(data).digest() == hashlib.sha256(data).digest()
