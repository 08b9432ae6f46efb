"""The pure-Python verify/recover agrees with libsecp256k1 (coincurve) on every input."""

from __future__ import annotations

import coincurve
from hypothesis import given, settings
from hypothesis import strategies as st

from lnctl import secp256k1


class pure:  # noqa: N801 - used as a context manager
    """Recovery without libsecp256k1, as a lone `lnctl decode` runs it (coincurve not loaded)."""

    def __enter__(self) -> None:
        import sys

        self.saved = sys.modules.get("coincurve")
        sys.modules["coincurve"] = None  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        import sys

        sys.modules["coincurve"] = self.saved  # type: ignore[assignment]


secrets_ = st.integers(min_value=1, max_value=secp256k1.N - 1).map(lambda n: n.to_bytes(32, "big"))
messages = st.binary(min_size=32, max_size=32)


@settings(max_examples=200, deadline=None)
@given(secret=secrets_, msg=messages)
def test_recover_and_verify_match_libsecp256k1(secret: bytes, msg: bytes) -> None:
    key = coincurve.PrivateKey(secret)
    pub = key.public_key.format()
    sig = key.sign_recoverable(msg, hasher=None)
    assert secp256k1.recover(sig[:64], sig[64], msg) == pub
    with pure():
        assert secp256k1.recover(sig[:64], sig[64], msg) == pub
    assert secp256k1.verify(sig[:64], msg, pub)
    # the same signature in high-S form with the recovery id kept (BOLT 11's readers normalize
    # S): recovery still finds the key; verify refuses it
    high_s = (secp256k1.N - int.from_bytes(sig[32:64], "big")).to_bytes(32, "big")
    assert secp256k1.recover(sig[:32] + high_s, sig[64], msg) == pub
    with pure():
        assert secp256k1.recover(sig[:32] + high_s, sig[64], msg) == pub
    assert not secp256k1.verify(sig[:32] + high_s, msg, pub)
    # a different message never verifies
    other = bytes([msg[0] ^ 1]) + msg[1:]
    assert not secp256k1.verify(sig[:64], other, pub)


@settings(max_examples=200, deadline=None)
@given(sig=st.binary(min_size=64, max_size=64), recid=st.integers(0, 3), msg=messages)
def test_arbitrary_signatures_recover_like_libsecp256k1(sig: bytes, recid: int, msg: bytes) -> None:
    # libsecp256k1 recovers from the low-S form; lnctl normalizes a high-S one the same way
    s = int.from_bytes(sig[32:], "big")
    if secp256k1.HALF_N < s < secp256k1.N:
        sig = sig[:32] + (secp256k1.N - s).to_bytes(32, "big")
    try:
        expected = coincurve.PublicKey.from_signature_and_message(
            sig + bytes([recid]), msg, hasher=None
        ).format()
    except Exception:  # libsecp256k1 refuses it
        expected = None
    assert secp256k1.recover(sig, recid, msg) == expected
    with pure():
        assert secp256k1.recover(sig, recid, msg) == expected


def test_out_of_range_values_are_refused() -> None:
    msg = bytes(32)
    zero = bytes(32)
    n = secp256k1.N.to_bytes(32, "big")
    for sig in (zero + zero, n + (1).to_bytes(32, "big"), (1).to_bytes(32, "big") + n):
        assert secp256k1.recover(sig, 0, msg) is None
    assert secp256k1.parse_pubkey(b"\x04" + bytes(32)) is None


def test_a_lone_decode_stays_pure_and_many_load_libsecp256k1() -> None:
    """A fresh process: one decode never loads libsecp256k1 (start-up), many do (throughput),
    and the payees recovered either way are the same."""
    import hashlib
    import json
    import os
    import subprocess
    import sys

    from lnctl import bolt11

    key = coincurve.PrivateKey()
    invoices = [
        bolt11.encode(
            network="regtest",
            amount_msat=1000 * (i + 1),
            payment_hash=hashlib.sha256(os.urandom(32)).digest(),
            payment_secret=os.urandom(32),
            description="x",
            sign=lambda m: key.sign_recoverable(m, hasher=None),
        )
        for i in range(secp256k1.LOAD_AFTER + 3)
    ]
    script = (
        "import json, sys\n"
        "from lnctl import bolt11\n"
        "loaded = []\n"
        "for text in json.loads(sys.argv[1]):\n"
        "    payee = bolt11.decode(text).payee\n"
        "    loaded.append([payee, 'coincurve' in sys.modules])\n"
        "print(json.dumps(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, json.dumps(invoices)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert {payee for payee, _ in seen} == {key.public_key.format().hex()}
    assert [flag for _, flag in seen] == [False] * secp256k1.LOAD_AFTER + [True] * 3


@settings(max_examples=300, deadline=None)
@given(k=st.integers(min_value=0, max_value=secp256k1.N - 1))
def test_the_endomorphism_split_recombines_into_half_length_scalars(k: int) -> None:
    k1, k2 = secp256k1.split_scalar(k)
    assert (k1 + k2 * secp256k1.LAMBDA - k) % secp256k1.N == 0
    assert abs(k1) < 2**129 and abs(k2) < 2**129


def test_lambda_times_g_is_beta_times_its_x() -> None:
    point = coincurve.PrivateKey.from_int(secp256k1.LAMBDA).public_key.format(compressed=False)
    assert int.from_bytes(point[1:33], "big") == secp256k1.BETA * secp256k1.GX % secp256k1.P
    assert int.from_bytes(point[33:], "big") == secp256k1.GY
