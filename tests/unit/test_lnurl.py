"""LNURL-pay and Lightning Addresses (lnctl.lnurl): the LUDs' own examples, the parsers on
arbitrary input (never an uncaught exception), and a local HTTPS LNURL-pay service (a test
certificate through SSL_CERT_FILE) whose hostile answers are each refused before anything could
be paid."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lnctl import bolt11, lnurl
from lnctl.core.payments import looks_like_lnurl
from lnctl.deadline import Deadline
from lnctl.errors import ExitCode, InvalidInputError
from lnctl.lnurl import LnurlClient, LnurlError, LnurlUnreachableError, PayRequest, Target
from tests.lnurl_server import LnurlService, aes_action, lnurl_server

# LUD-01's example, and the URL it encodes
LUD01_LNURL = (
    "LNURL1DP68GURN8GHJ7UM9WFMXJCM99E3K7MF0V9CXJ0M385EKVCENXC6R2C35XVUKXEFCV5MKVV34X5EKZD3EV56NYD3H"
    "XQURZEPEXEJXXEPNXSCRVWFNV9NXZCN9XQ6XYEFHVGCXXCMYXYMNSERXFQ5FNS"
)
LUD01_URL = (
    "https://service.com/api?q=3fc3645b439ce8e7f2553a69e5267081d96dcd340693afabe04be7b0ccd178df"
)
# LUD-06's metadata example, as it travels (a JSON string inside the JSON answer)
LUD06_METADATA = '[["text/plain", "lorem ipsum blah blah"]]'


def encode_lnurl(url: str) -> str:
    return bolt11.bech32_encode("lnurl", bolt11.convertbits(url.encode(), 8, 5, pad=True))


def refused(code: str, call: Any, *args: Any, **kwargs: Any) -> LnurlError:
    with pytest.raises(LnurlError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, (info.value.code, info.value.message)
    assert info.value.exit_code == ExitCode.INVALID
    return info.value


def target(url: str = "https://service.com/lnurlp/alice") -> Target:
    return Target(kind="lnurl", text=encode_lnurl(url), url=url, host="service.com")


def pay_request_body(**changes: Any) -> bytes:
    doc: dict[str, Any] = {
        "tag": "payRequest",
        "callback": "https://service.com/callback/alice",
        "minSendable": 1000,
        "maxSendable": 100_000_000,
        "metadata": LUD06_METADATA,
    }
    doc.update(changes)
    return json.dumps(doc).encode()


def read(**changes: Any) -> PayRequest:
    return lnurl.read_pay_request(pay_request_body(**changes), target())


# -- LUD-01: bech32 LNURLs -------------------------------------------------------------------------


def test_lud01_example_decodes_to_its_url() -> None:
    for text in (
        LUD01_LNURL,
        LUD01_LNURL.lower(),
        "lightning:" + LUD01_LNURL,
        f"  {LUD01_LNURL}\n",
    ):
        t = lnurl.parse(text)
        assert (t.kind, t.url, t.host) == ("lnurl", LUD01_URL, "service.com")
        assert t.text == LUD01_LNURL.lower()
    assert encode_lnurl(LUD01_URL).upper() == LUD01_LNURL  # and the URL encodes to it


def test_lud01_mixed_case_and_a_changed_character_are_refused() -> None:
    mixed = LUD01_LNURL[:20] + LUD01_LNURL[20:].lower()
    assert "mixes upper and lower case" in refused("INVALID_LNURL", lnurl.parse, mixed).message
    changed = LUD01_LNURL[:-1] + ("Q" if LUD01_LNURL[-1] != "Q" else "P")
    assert "checksum" in refused("INVALID_LNURL", lnurl.parse, changed).message


def test_lud01_long_lnurls_decode() -> None:
    """bech32 is limited to 90 characters for addresses; an LNURL is not (LUD-01 decodes with a
    limit of 2000 in its JavaScript example)."""
    url = "https://service.com/lnurlp/" + "a" * 3000
    text = encode_lnurl(url)
    assert len(text) > 4000
    assert lnurl.parse(text).url == url


def test_lud01_https_or_onion_only() -> None:
    onion = "http://" + "a" * 56 + ".onion/lnurlp/x"
    assert lnurl.parse(encode_lnurl(onion)).url == onion
    assert lnurl.parse(encode_lnurl("http://127.0.0.1:5000/p")).url == "http://127.0.0.1:5000/p"
    err = refused("LNURL_INSECURE", lnurl.parse, encode_lnurl("http://service.com/p"))
    assert "plain http" in err.message
    refused("INVALID_LNURL", lnurl.parse, encode_lnurl("ftp://service.com/p"))
    refused("INVALID_LNURL", lnurl.parse, encode_lnurl("https://user:pw@service.com/p"))
    refused("INVALID_LNURL", lnurl.parse, encode_lnurl("https://service.com/p\r\nX-Evil: 1"))


def test_lud01_a_tag_parameter_other_than_payrequest_is_refused() -> None:
    login = encode_lnurl("https://service.com/auth?tag=login&k1=" + "00" * 32)
    assert "'login'" in refused("LNURL_WRONG_TAG", lnurl.parse, login).message
    assert lnurl.parse(encode_lnurl("https://service.com/p?tag=payRequest")).kind == "lnurl"


def test_a_bech32_string_of_another_kind_is_not_an_lnurl() -> None:
    refused("INVALID_LNURL", lnurl.parse, encode_lnurl("https://x.com").replace("lnurl", "lnurx"))
    bad_utf8 = bolt11.bech32_encode("lnurl", bolt11.convertbits(b"\xff\xfe", 8, 5, pad=True))
    refused("INVALID_LNURL", lnurl.parse, bad_utf8)
    # BIP 173 padding: fewer than 5 bits left over, all zero (the URLs are otherwise valid)
    url = "https://x.com/abcd"  # 18 bytes: 144 bits in 29 groups, 1 bit of padding
    groups = bolt11.convertbits(url.encode(), 8, 5, pad=True)
    assert lnurl.parse(bolt11.bech32_encode("lnurl", groups)).url == url
    nonzero = [*groups[:-1], groups[-1] | 1]
    assert (
        "padding"
        in refused("INVALID_LNURL", lnurl.parse, bolt11.bech32_encode("lnurl", nonzero)).message
    )
    url = "https://x.com/abcdef"  # 20 bytes: 32 groups exactly; one more is 5 bits of padding
    groups = bolt11.convertbits(url.encode(), 8, 5, pad=True) + [0]
    assert (
        "padding"
        in refused("INVALID_LNURL", lnurl.parse, bolt11.bech32_encode("lnurl", groups)).message
    )


# -- LUD-16: Lightning Addresses -------------------------------------------------------------------


def test_lud16_example() -> None:
    t = lnurl.parse("satoshi@bitcoin.org")
    assert (t.kind, t.text, t.url) == (
        "address",
        "satoshi@bitcoin.org",
        "https://bitcoin.org/.well-known/lnurlp/satoshi",
    )
    assert t.name == "satoshi@bitcoin.org"


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("lightning:Alice@Example.COM", "https://example.com/.well-known/lnurlp/alice"),
        ("a-b_c.d@example.com:8443", "https://example.com:8443/.well-known/lnurlp/a-b_c.d"),
        ("bob@127.0.0.1:9000", "https://127.0.0.1:9000/.well-known/lnurlp/bob"),
        ("bob@[::1]:9000", "https://[::1]:9000/.well-known/lnurlp/bob"),
        ("bob@" + "b" * 56 + ".onion", "http://" + "b" * 56 + ".onion/.well-known/lnurlp/bob"),
        ("bob@bücher.example", "https://xn--bcher-kva.example/.well-known/lnurlp/bob"),
    ],
)
def test_lud16_addresses(typed: str, url: str) -> None:
    assert lnurl.parse(typed).url == url


@pytest.mark.parametrize(
    "typed",
    [
        "@example.com",
        "alice@",
        "al ice@example.com",
        "alice+tip@example.com",
        "alice@example.com@evil.com",
        "../admin@example.com",
        ".alice@example.com",
        "al..ice@example.com",
        "alice.@example.com",
        "a" * 65 + "@example.com",
        "alice@exa_mple.com",
        "alice@-example.com",
        "alice@example.com:",
        "alice@example.com:99999",
        "alice@example.com:+80",
        "alice@example.com/path",
        "alice@[::1",
        "alice@[fe80::1%eth0]",
        "alice@[127.0.0.1]",
        "alice@256.1.1.1",
        "alice@example..com",
        "alice@" + "a" * 64 + ".com",
    ],
)
def test_lud16_malformed_addresses_are_refused(typed: str) -> None:
    refused("INVALID_LNURL", lnurl.parse, typed)


# -- LUD-17: lnurlp:// -----------------------------------------------------------------------------


def test_lud17_examples() -> None:
    onion = lnurl.parse("lnurlp://examplennnnnnnn.onion/path")
    assert (onion.kind, onion.url) == ("lnurlp", "http://examplennnnnnnn.onion/path")
    assert lnurl.parse("lnurlp://domain.com/path").url == "https://domain.com/path"
    assert lnurl.parse("LNURLP://domain.com:8443/p?x=1").url == "https://domain.com:8443/p?x=1"
    # the other LUD-17 schemes are not for paying
    for link in ("lnurlw://domain.com/path", "lnurlc://domain.com/c", "keyauth://domain.com/k"):
        refused("LNURL_WRONG_TAG", lnurl.parse, link)
    refused("INVALID_LNURL", lnurl.parse, "lnurlp://")
    refused("INVALID_LNURL", lnurl.parse, "lnurlp://user@domain.com/p")


def test_what_is_not_lnurl_at_all() -> None:
    for text in ("", "   ", "lightning:", "https://example.com", "lnbc1...", "x" * 9000):
        refused("INVALID_LNURL", lnurl.parse, text)
    assert looks_like_lnurl("LIGHTNING:LNURL1DP68")
    assert looks_like_lnurl("alice@example.com")
    assert looks_like_lnurl("lnurlp://x.com/p")
    assert not looks_like_lnurl("lnbcrt10u1pj...")


_BECH32 = st.text(alphabet=bolt11.CHARSET, max_size=120)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.builds(lambda s: "lnurl1" + s, _BECH32),
        st.builds(lambda s: "LNURLP://" + s, st.text(max_size=80)),
        st.builds(lambda a, b: f"{a}@{b}", st.text(max_size=30), st.text(max_size=40)),
        st.builds(lambda s: encode_lnurl(s), st.text(max_size=200)),
    )
)
def test_parse_never_fails_otherwise(text: str) -> None:
    try:
        t = lnurl.parse(text)
    except LnurlError as exc:
        assert exc.code in ("INVALID_LNURL", "LNURL_INSECURE", "LNURL_WRONG_TAG")
        return
    assert t.url.startswith(("https://", "http://"))
    assert t.url.isascii() and t.url.isprintable()


_USERNAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=20)
_LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z")


@settings(max_examples=200, deadline=None)
@given(_USERNAME, st.lists(_LABEL, min_size=1, max_size=4), st.none() | st.integers(1, 65535))
def test_every_valid_address_maps_to_its_well_known_url(
    user: str, labels: list[str], port: int | None
) -> None:
    domain = ".".join([*labels, "com"]) + ("" if port is None else f":{port}")
    assert lnurl.parse(f"{user}@{domain}").url == f"https://{domain}/.well-known/lnurlp/{user}"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~/%?=&", max_size=300))
def test_every_https_url_round_trips_through_bech32(path: str) -> None:
    url = "https://service.example/" + path
    assert lnurl.parse(encode_lnurl(url).upper()).url == url


# -- LUD-06 and LUD-12: the payRequest -------------------------------------------------------------


def test_lud06_example_pay_request() -> None:
    pr = read()
    assert pr.description == "lorem ipsum blah blah"
    assert pr.metadata == LUD06_METADATA  # exactly as sent: its hash is the invoice's
    assert pr.description_hash == hashlib.sha256(LUD06_METADATA.encode()).hexdigest()
    assert (pr.min_sendable_msat, pr.max_sendable_msat, pr.comment_allowed) == (
        1000,
        100_000_000,
        0,
    )
    assert pr.to_dict()["description"] == "lorem ipsum blah blah"


def test_the_service_s_own_error_is_its_reason() -> None:
    body = json.dumps({"status": "ERROR", "reason": "user \x1b[31mnot found"}).encode()
    err = refused("LNURL_SERVICE_ERROR", lnurl.read_pay_request, body, target(), 404)
    assert "not found" in err.message and "\x1b" not in err.message  # sanitized


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        ({"tag": "withdrawRequest"}, "LNURL_WRONG_TAG", "'withdrawRequest', not a payRequest"),
        ({"tag": None}, "LNURL_WRONG_TAG", "no tag"),
        ({"minSendable": 5000, "maxSendable": 1000}, "LNURL_INVALID_RESPONSE", "impossible"),
        ({"minSendable": 0}, "LNURL_INVALID_RESPONSE", "impossible range"),
        ({"minSendable": 1000.0}, "LNURL_INVALID_RESPONSE", "integer 'minSendable'"),
        ({"maxSendable": "100000"}, "LNURL_INVALID_RESPONSE", "integer 'maxSendable'"),
        ({"maxSendable": True}, "LNURL_INVALID_RESPONSE", "integer 'maxSendable'"),
        ({"commentAllowed": -1}, "LNURL_INVALID_RESPONSE", "negative commentAllowed"),
        ({"commentAllowed": 1.5}, "LNURL_INVALID_RESPONSE", "integer 'commentAllowed'"),
        ({"callback": None}, "LNURL_INVALID_RESPONSE", "callback is not a string"),
        ({"callback": "http://evil.com/cb"}, "LNURL_INSECURE", "plain http"),
        ({"callback": "http://127.0.0.1/cb"}, "LNURL_INSECURE", "plain http after https"),
        ({"callback": "/relative"}, "INVALID_LNURL", "not an http(s) URL"),
        ({"callback": "https://a:b@service.com/cb"}, "INVALID_LNURL", "credentials"),
        ({"callback": "https://service.com/cb?amount=5"}, "LNURL_INVALID_RESPONSE", "amount"),
        ({"metadata": None}, "LNURL_INVALID_RESPONSE", "metadata is not a string"),
        ({"metadata": [["text/plain", "x"]]}, "LNURL_INVALID_RESPONSE", "not a string"),
        ({"metadata": "{}"}, "LNURL_INVALID_RESPONSE", "not a JSON array"),
        ({"metadata": '[["text/plain"'}, "LNURL_INVALID_RESPONSE", "not JSON"),
        ({"metadata": "[]"}, "LNURL_INVALID_RESPONSE", "no text/plain"),
        ({"metadata": '[["text/html", "x"]]'}, "LNURL_INVALID_RESPONSE", "no text/plain"),
        ({"metadata": '[["text/plain", 5]]'}, "LNURL_INVALID_RESPONSE", "not a string"),
        ({"metadata": '[["text/plain"]]'}, "LNURL_INVALID_RESPONSE", "not [type, value]"),
        ({"metadata": '["text/plain", "x"]'}, "LNURL_INVALID_RESPONSE", "not [type, ...]"),
        ({"metadata": '[["text/plain","a"],["text/plain","b"]]'}, "LNURL_INVALID_RESPONSE", "one"),
        (
            {"metadata": '[["text/plain","a"],["image/png;base64","A"],["image/jpeg;base64","B"]]'},
            "LNURL_INVALID_RESPONSE",
            "more than one image",
        ),
        ({"metadata": '[["text/plain", "\\ud800"]]'}, "LNURL_INVALID_RESPONSE", "not valid"),
        ({"metadata": "[" * 100_000}, "LNURL_INVALID_RESPONSE", "not JSON"),
        (
            {"metadata": json.dumps([["text/plain", "x"], ["text/long-desc", "y" * 200_000]])},
            "LNURL_INVALID_RESPONSE",
            "larger than 200,000 bytes",
        ),
        (
            {"metadata": json.dumps([["text/plain", "x" * 4097]])},
            "LNURL_INVALID_RESPONSE",
            "longer than 4,096",
        ),
        (
            {"metadata": json.dumps([["text/plain", "x"], ["image/png;base64", "A" * 136_537]])},
            "LNURL_INVALID_RESPONSE",
            "longer than 136,536",
        ),
    ],
)
def test_pay_requests_lud06_does_not_allow_are_refused(
    changes: dict[str, Any], code: str, words: str
) -> None:
    doc = json.loads(pay_request_body())
    for key, value in changes.items():
        if value is None:
            del doc[key]
        else:
            doc[key] = value
    err = refused(code, lnurl.read_pay_request, json.dumps(doc).encode(), target())
    assert words in err.message, err.message


def test_metadata_entries_lnctl_reads_and_those_it_leaves() -> None:
    metadata = json.dumps(
        [
            ["text/plain", "Pay alice"],
            ["text/long-desc", "line one\nline two"],
            ["text/identifier", "alice@service.com"],
            ["image/png;base64", "iVBORw0KGgo="],
            ["future/kind", {"any": ["json"]}, 3],
            ["text/html"],
        ]
    )
    pr = read(metadata=metadata)
    assert (pr.description, pr.long_description, pr.identifier) == (
        "Pay alice",
        "line one\nline two",
        "alice@service.com",
    )
    assert pr.to_dict()["long_description"] == "line one line two"  # sanitized for a terminal
    assert read(metadata='[["text/plain","x"],["text/email","a@b.c"]]').identifier == "a@b.c"
    refused(
        "LNURL_INVALID_RESPONSE",
        read,
        metadata='[["text/plain","x"],["text/email","a@b.c"],["text/identifier","a@b.c"]]',
    )


def test_answers_that_are_not_json_objects_are_refused() -> None:
    for body in (b"", b"<html>502</html>", b"[]", b"null", b"\xff", b"[" * 200_000, b'"x"'):
        refused("LNURL_INVALID_RESPONSE", lnurl.read_pay_request, body, target(), 502)


def test_amount_outside_the_range_names_the_range() -> None:
    pr = read(minSendable=10_000, maxSendable=1_000_000)
    err = refused("LNURL_AMOUNT_OUT_OF_RANGE", pr.check_amount, 9_000)
    assert "10 to 1,000 sat" in err.message and "9 sat" in err.message
    assert err.details == {
        "amount_msat": 9_000,
        "min_sendable_msat": 10_000,
        "max_sendable_msat": 1_000_000,
    }
    refused("LNURL_AMOUNT_OUT_OF_RANGE", pr.check_amount, 1_000_001)
    pr.check_amount(10_000)
    pr.check_amount(1_000_000)
    odd = read(minSendable=1_500, maxSendable=1_500)
    assert (
        "exactly 1,500 msat" in refused("LNURL_AMOUNT_OUT_OF_RANGE", odd.check_amount, 1000).message
    )
    with pytest.raises(InvalidInputError) as info:  # no amount at all is the usual check's
        pr.check_amount(0)
    assert info.value.code == "INVALID_AMOUNT"


def test_lud12_comments() -> None:
    pr = read(commentAllowed=10)
    pr.check_comment(None)
    pr.check_comment("")
    pr.check_comment("ten chars!")
    pr.check_comment("ünïcödé ✓✓")  # characters, not bytes
    err = refused("LNURL_COMMENT_TOO_LONG", pr.check_comment, "eleven char")
    assert "11 characters" in err.message and "at most 10" in err.message
    none = read()  # no commentAllowed: 0, no comment at all (LUD-12)
    assert "takes no comment" in refused("LNURL_COMMENT_TOO_LONG", none.check_comment, "hi").message
    none.check_comment("")
    assert pr.callback_url(5000, "a b&c=ü") == (
        "https://service.com/callback/alice?amount=5000&comment=a%20b%26c%3D%C3%BC"
    )
    long = read(commentAllowed=2000)
    assert (
        "longer than 4096"
        in refused("LNURL_COMMENT_TOO_LONG", long.callback_url, 5000, "✓" * 1500).message
    )  # 1500 characters, 13,500 once URL-encoded
    assert read(callback="https://service.com/cb?id=7#frag").callback_url(5000) == (
        "https://service.com/cb?id=7&amount=5000"
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_read_pay_request_never_fails_otherwise_on_bytes(body: bytes) -> None:
    try:
        lnurl.read_pay_request(body, target())
    except LnurlError:
        pass


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
_FIELDS = ("tag", "callback", "minSendable", "maxSendable", "metadata", "commentAllowed")


@settings(max_examples=400, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "tag": st.sampled_from(["payRequest", "withdrawRequest"]) | _JSON,
            "callback": st.sampled_from(["https://s.com/cb", "http://s.com/cb"]) | _JSON,
            "minSendable": st.integers(-5, 10**20) | _JSON,
            "maxSendable": st.integers(-5, 10**20) | _JSON,
            "metadata": _JSON.map(json.dumps) | _JSON,
            "commentAllowed": st.integers(-5, 1000) | _JSON,
            "status": st.sampled_from(["ERROR", "OK"]) | _JSON,
        },
    )
)
def test_read_pay_request_never_fails_otherwise_on_json(doc: dict[str, Any]) -> None:
    try:
        pr = lnurl.read_pay_request(json.dumps(doc).encode(), target())
    except LnurlError:
        return
    assert 1 <= pr.min_sendable_msat <= pr.max_sendable_msat
    assert pr.callback.startswith("https://")


# -- LUD-09 and LUD-10: success actions ------------------------------------------------------------

CALLBACK = "https://www.ln-service.com/callback"
# LUD-10 with a vector from another implementation: `openssl enc -aes-256-cbc -K aa..aa
# -iv 000102..0f -base64` of the plaintext
AES_PREIMAGE = "aa" * 32
AES_IV = "AAECAwQFBgcICQoLDA0ODw=="
AES_CIPHERTEXT = "lv++Copr0kxjtsQ11Iv7o96kDPEKcv6oTAyo7Re885E="
AES_PLAINTEXT = "PIN: 1234 (LUD-10 test)"


def test_lud09_examples() -> None:
    message = {
        "tag": "message",
        "message": "Thank you for using bike-over-ln co! Your rental bike is unlocked now",
    }
    action = lnurl.read_success_action(message, CALLBACK)
    assert action is not None and action.to_dict() == message
    url = {
        "tag": "url",
        "description": "Thank you for your purchase. Here is your order details",
        "url": "https://www.ln-service.com/order/<orderId>",
    }
    action = lnurl.read_success_action(url, CALLBACK)
    assert action is not None and action.to_dict() == url  # shown, never opened
    assert lnurl.read_success_action(None, CALLBACK) is None


def test_lud10_aes_decrypts_with_the_preimage() -> None:
    doc = {"tag": "aes", "description": "Here is your redeem code"}
    doc |= {"ciphertext": AES_CIPHERTEXT, "iv": AES_IV}
    action = lnurl.read_success_action(doc, CALLBACK)
    assert action is not None
    assert lnurl.decrypt_aes(AES_CIPHERTEXT, AES_IV, AES_PREIMAGE) == AES_PLAINTEXT
    shown = action.to_dict(AES_PREIMAGE)
    assert shown == {"tag": "aes", "description": "Here is your redeem code"} | {
        "plaintext": AES_PLAINTEXT
    }
    wrong = action.to_dict("bb" * 32)  # the payment stands: an error shown, nothing raised
    assert wrong["plaintext"] is None and "cannot be decrypted" in str(wrong["error"])
    for preimage in ("bb" * 32, "zz", "aa" * 16):
        refused("LNURL_AES_INVALID", lnurl.decrypt_aes, AES_CIPHERTEXT, AES_IV, preimage)


def test_success_action_text_is_sanitized() -> None:
    action = lnurl.read_success_action(
        {"tag": "message", "message": "paid\x1b]8;;https://evil\x07 \u202e"}, CALLBACK
    )
    assert action is not None
    shown = str(action.to_dict()["message"])
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown


_INVALID = "LNURL_INVALID_RESPONSE"


@pytest.mark.parametrize(
    ("action", "code", "words"),
    [
        ({"tag": "redirect", "url": "https://x"}, _INVALID, "kind lnctl does not know"),
        ({"message": "no tag"}, _INVALID, "kind lnctl does not know"),
        ("thanks", _INVALID, "not a JSON object"),
        ({"tag": "message", "message": "x" * 145}, _INVALID, "longer than 144"),
        ({"tag": "message"}, _INVALID, "not a string"),
        ({"tag": "url", "description": "d", "url": "https://evil.com/x"}, _INVALID, "domain"),
        ({"tag": "url", "description": "d", "url": "javascript:alert(1)"}, "INVALID_LNURL", "URL"),
        (
            {"tag": "url", "description": "d", "url": "http://www.ln-service.com/x"},
            "LNURL_INSECURE",
            "plain http",
        ),
        (
            {"tag": "aes", "description": "d", "ciphertext": AES_CIPHERTEXT, "iv": "AAEC"},
            _INVALID,
            "iv",
        ),
        (
            {"tag": "aes", "description": "d", "ciphertext": "AAAA", "iv": AES_IV},
            _INVALID,
            "blocks",
        ),
        (
            {"tag": "aes", "description": "d", "ciphertext": "!!!!", "iv": AES_IV},
            _INVALID,
            "blocks",
        ),
        (
            {"tag": "aes", "description": "d", "ciphertext": "A" * 4100, "iv": AES_IV},
            _INVALID,
            "longer than 4,096",
        ),
    ],
)
def test_success_actions_lud09_does_not_allow_are_refused(
    action: Any, code: str, words: str
) -> None:
    err = refused(code, lnurl.read_success_action, action, CALLBACK)
    assert words in err.message, err.message


@settings(max_examples=300, deadline=None)
@given(
    _JSON
    | st.fixed_dictionaries(
        {"tag": st.sampled_from(["message", "url", "aes"])},
        optional={
            k: _JSON | st.text() for k in ("message", "description", "url", "ciphertext", "iv")
        },
    )
)
def test_read_success_action_never_fails_otherwise(value: Any) -> None:
    try:
        action = lnurl.read_success_action(value, CALLBACK)
    except LnurlError:
        return
    if action is not None:
        action.to_dict(AES_PREIMAGE)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=30), st.text(max_size=70))
def test_decrypt_aes_never_fails_otherwise(ciphertext: str, iv: str, preimage: str) -> None:
    try:
        lnurl.decrypt_aes(ciphertext, iv, preimage)
    except LnurlError:
        pass


# -- the callback's invoice (LUD-06 steps 6-7) -----------------------------------------------------


def test_read_invoice_never_fails_otherwise() -> None:
    pr = read()

    @settings(max_examples=200, deadline=None)
    @given(
        st.fixed_dictionaries(
            {},
            optional={
                "pr": st.text(max_size=80) | st.builds(lambda s: "lnbcrt1" + s, _BECH32) | _JSON,
                "successAction": _JSON,
                "status": st.just("ERROR") | _JSON,
            },
        )
    )
    def check(doc: dict[str, Any]) -> None:
        try:
            lnurl.read_invoice(json.dumps(doc).encode(), pr, 5000, "regtest")
        except LnurlError:
            pass

    check()


# -- a local LNURL-pay service over HTTPS ----------------------------------------------------------


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LnurlService]:
    with lnurl_server(tmp_path) as running:
        monkeypatch.setenv("SSL_CERT_FILE", str(running.cert))  # as OpenSSL reads it
        yield running


def pay(
    service: LnurlService,
    amount_msat: int = 21_000,
    *,
    text: str | None = None,
    comment: str | None = None,
    timeout: float = 10.0,
    network: str = "regtest",
) -> lnurl.LnurlInvoice:
    return lnurl.resolve(
        text or service.address,
        amount_msat,
        network=network,
        deadline=Deadline.after(timeout),
        comment=comment,
    )


def test_an_address_resolves_to_a_checked_invoice(service: LnurlService) -> None:
    service.metadata = json.dumps([["text/plain", "Pay alice"], ["text/identifier", "alice@x"]])
    got = pay(service, 21_000, comment="thanks!")
    assert got.invoice.amount_msat == 21_000
    assert got.invoice.description_hash == hashlib.sha256(service.metadata.encode()).hexdigest()
    assert got.invoice.payee == service.node_key.public_key.format().hex()
    assert got.bolt11 == got.invoice.bolt11
    assert got.invoice.payment_hash in service.preimages
    assert service.seen == [
        "/.well-known/lnurlp/alice",
        "/callback/alice?amount=21000&comment=thanks%21",
    ]
    doc = got.to_dict()
    assert doc["lnurl"] == service.address and doc["description"] == "Pay alice"
    assert doc["amount_msat"] == 21_000 and doc["comment"] == "thanks!"
    assert doc["success_action"] is None and doc["identifier"] == "alice@x"


def test_an_lnurl_and_an_lnurlp_link_resolve_alike(service: LnurlService) -> None:
    assert pay(service, text=service.lnurl).pay_request.target.kind == "lnurl"
    lnurlp = service.origin.replace("https://", "lnurlp://") + "/lnurlp/alice"
    assert pay(service, text="lightning:" + lnurlp).pay_request.target.kind == "lnurlp"
    assert service.seen.count("/lnurlp/alice") == 2 and len(service.callbacks) == 2


def test_the_aes_success_action_opens_with_the_invoice_s_preimage(service: LnurlService) -> None:
    service.success_action = aes_action("the door code is 4711")
    got = pay(service)
    preimage = service.preimages[got.invoice.payment_hash].hex()
    assert got.to_dict(preimage)["success_action"] == {
        "tag": "aes",
        "description": "Your code",
        "plaintext": "the door code is 4711",
    }


def test_a_same_origin_redirect_is_followed(service: LnurlService) -> None:
    service.redirects["/.well-known/lnurlp/alice"] = "/lnurlp/alice"
    assert pay(service).amount_msat == 21_000
    assert service.seen[:2] == ["/.well-known/lnurlp/alice", "/lnurlp/alice"]


# each hostile service: refused with a clear error, and (where the check precedes it) the
# callback never asked for an invoice


def test_an_invoice_for_another_amount_is_refused(service: LnurlService) -> None:
    service.amount_delta_msat = 1_000
    err = refused("LNURL_INVOICE_MISMATCH", pay, service, 21_000)
    assert "22,000 msat, not the 21,000 msat asked" in err.message
    assert "nothing paid" in err.message


def test_an_amountless_invoice_is_refused(service: LnurlService) -> None:
    service.invoice_changes["pr"] = bolt11.encode(
        network="regtest",
        amount_msat=None,
        payment_hash=os.urandom(32),
        payment_secret=os.urandom(32),
        description_hash=hashlib.sha256(service.metadata.encode()).digest(),
        sign=lambda m: service.node_key.sign_recoverable(m, hasher=None),
    )
    assert "no amount" in refused("LNURL_INVOICE_MISMATCH", pay, service).message


def test_an_invoice_with_another_description_hash_is_refused(service: LnurlService) -> None:
    service.description_hash = hashlib.sha256(b"something else").digest()
    err = refused("LNURL_INVOICE_MISMATCH", pay, service)
    assert "sha256 of its metadata" in err.message
    assert err.details["expected_description_hash"] == (
        hashlib.sha256(service.metadata.encode()).hexdigest()
    )


def test_an_invoice_hashing_the_metadata_reformatted_is_refused(service: LnurlService) -> None:
    """The hash is of the metadata string exactly as sent, not of the same JSON re-encoded."""
    service.metadata = '[["text/plain","Pay alice"]]'
    service.description_hash = hashlib.sha256(b'[["text/plain", "Pay alice"]]').digest()
    refused("LNURL_INVOICE_MISMATCH", pay, service)


def test_an_invoice_with_a_description_instead_of_its_hash_is_refused(
    service: LnurlService,
) -> None:
    service.invoice_changes["pr"] = bolt11.encode(
        network="regtest",
        amount_msat=21_000,
        payment_hash=os.urandom(32),
        payment_secret=os.urandom(32),
        description=service.metadata,
        sign=lambda m: service.node_key.sign_recoverable(m, hasher=None),
    )
    assert "no description hash" in refused("LNURL_INVOICE_MISMATCH", pay, service).message


def test_an_invoice_of_another_network_is_refused(service: LnurlService) -> None:
    service.invoice_network = "bitcoin"
    err = refused("WRONG_NETWORK", pay, service)
    assert "for bitcoin; this wallet is on regtest" in err.message


def test_an_invalid_invoice_is_refused(service: LnurlService) -> None:
    good = pay(service).bolt11
    service.invoice_changes["pr"] = good[:-7] + ("q" if good[-7] != "q" else "p") + good[-6:]
    assert "not valid" in refused("LNURL_INVOICE_INVALID", pay, service).message
    service.invoice_changes = {"pr": None}
    assert "no invoice" in refused("LNURL_INVALID_RESPONSE", pay, service).message


def test_an_http_callback_is_refused_before_it_is_called(service: LnurlService) -> None:
    for callback in (f"http://127.0.0.1:{service.port}/callback/alice", "http://evil.com/cb"):
        service.callback = callback
        assert "plain http" in refused("LNURL_INSECURE", pay, service).message
    assert service.callbacks == []


def test_a_redirect_to_another_host_or_to_http_is_refused(service: LnurlService) -> None:
    path = "/.well-known/lnurlp/alice"
    for location in (
        f"https://localhost:{service.port}{path}",  # another host name, the same server
        f"http://127.0.0.1:{service.port}{path}",  # http
        f"https://127.0.0.1:{service.port + 1}{path}",  # another port
        "https://evil.com/x",
        "//evil.com/x",
        "",
    ):
        service.redirects[path] = location
        err = refused("LNURL_REDIRECT_REFUSED", pay, service)
        assert "only a redirect within https://127.0.0.1" in err.message
    assert service.callbacks == [] and set(service.seen) == {path}


def test_a_redirect_loop_ends(service: LnurlService) -> None:
    service.redirects["/.well-known/lnurlp/alice"] = "/.well-known/lnurlp/alice"
    assert "more than 5 times" in refused("LNURL_REDIRECT_REFUSED", pay, service).message
    assert len(service.seen) == 6


def test_a_redirect_of_the_callback_to_another_host_is_refused(service: LnurlService) -> None:
    service.redirects["/callback/alice"] = "https://evil.com/cb"
    refused("LNURL_REDIRECT_REFUSED", pay, service)


def test_huge_metadata_is_refused(service: LnurlService) -> None:
    service.metadata = json.dumps([["text/plain", "x"], ["text/long-desc", "y" * 300_000]])
    assert "larger than 200,000 bytes" in refused("LNURL_INVALID_RESPONSE", pay, service).message
    service.metadata = json.dumps([["text/plain", "x"], ["text/long-desc", "y" * 600_000]])
    assert "larger than 524,288 bytes" in refused("LNURL_INVALID_RESPONSE", pay, service).message
    assert service.callbacks == []


def test_a_huge_callback_answer_is_refused(service: LnurlService) -> None:
    service.invoice_changes["padding"] = "x" * 200_000
    assert "larger than 131,072 bytes" in refused("LNURL_INVALID_RESPONSE", pay, service).message


def test_a_slow_answer_ends_by_the_deadline(service: LnurlService) -> None:
    service.delay_s = 5.0
    started = time.monotonic()
    with pytest.raises(LnurlUnreachableError) as info:
        pay(service, timeout=1.0)
    assert time.monotonic() - started < 3.0
    assert info.value.code == "LNURL_UNREACHABLE" and info.value.exit_code == 1
    assert "did not answer: no answer in time" in info.value.message


def test_a_deadline_already_passed_sends_nothing(service: LnurlService) -> None:
    with pytest.raises(LnurlUnreachableError) as info:
        pay(service, timeout=0.0)
    assert "no time left" in info.value.message
    assert service.seen == []


def test_a_comment_over_the_limit_is_refused_before_the_callback(service: LnurlService) -> None:
    service.comment_allowed = 5
    err = refused("LNURL_COMMENT_TOO_LONG", pay, service, comment="too long")
    assert "8 characters" in err.message and "at most 5" in err.message
    assert service.callbacks == []


def test_an_amount_outside_the_range_is_refused_before_the_callback(
    service: LnurlService,
) -> None:
    service.min_sendable_msat, service.max_sendable_msat = 100_000, 200_000
    err = refused("LNURL_AMOUNT_OUT_OF_RANGE", pay, service, 21_000)
    assert f"{service.address} takes 100 to 200 sat, not 21 sat" == err.message
    assert service.callbacks == []


def test_a_bad_tag_is_refused(service: LnurlService) -> None:
    service.pay_request_changes["tag"] = "withdrawRequest"
    refused("LNURL_WRONG_TAG", pay, service)
    assert service.callbacks == []


def test_min_above_max_is_refused(service: LnurlService) -> None:
    service.min_sendable_msat, service.max_sendable_msat = 2_000_000, 1_000_000
    assert "impossible range" in refused("LNURL_INVALID_RESPONSE", pay, service).message
    assert service.callbacks == []


def test_an_unknown_success_action_is_refused_before_paying(service: LnurlService) -> None:
    service.success_action = {"tag": "launchMissiles"}
    assert "LUD-09" in refused("LNURL_INVALID_RESPONSE", pay, service).message


def test_the_service_s_error_answer(service: LnurlService) -> None:
    err = refused("LNURL_SERVICE_ERROR", pay, service, text=f"bob@127.0.0.1:{service.port}")
    assert err.message.endswith("refused: no such user")
    service.invoice_changes = {"status": "ERROR", "reason": "wallet offline"}
    assert "wallet offline" in refused("LNURL_SERVICE_ERROR", pay, service).message


def test_an_untrusted_certificate_is_refused_before_a_request(
    service: LnurlService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(LnurlUnreachableError) as info:
        pay(service)
    assert "certificate is not trusted" in info.value.message
    assert service.seen == []
    with LnurlClient(Deadline.after(10), cafile=str(service.cert)) as client:  # or a CA file
        assert client.pay_request(lnurl.parse(service.address)).description == "Pay alice"


def test_nothing_listening_is_unreachable(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(LnurlUnreachableError) as info:
        lnurl.resolve(
            f"alice@127.0.0.1:{port}", 1000, network="regtest", deadline=Deadline.after(5)
        )
    assert "connection refused" in info.value.message


def test_a_name_that_never_resolves_ends_by_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """getaddrinfo has no timeout of its own: an LNURL host's name server that never answers
    (here, a resolver that blocks until the test ends) must not hold the command past its
    deadline."""
    import socket
    import threading

    release = threading.Event()
    real = socket.getaddrinfo

    def never(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "never-answers.example":  # other threads of the session resolve as ever
            return real(host, *args, **kwargs)
        release.wait(60)
        raise socket.gaierror("released")

    monkeypatch.setattr(socket, "getaddrinfo", never)
    began = time.monotonic()
    try:
        with pytest.raises(LnurlUnreachableError) as info:
            lnurl.resolve(
                "alice@never-answers.example", 1000, network="regtest",
                deadline=Deadline.after(0.5),
            )  # fmt: skip
    finally:
        release.set()
    assert time.monotonic() - began < 2
    assert "did not resolve in time" in info.value.message
    assert info.value.exit_code == ExitCode.INTERNAL


def test_a_lookup_that_fails_otherwise_is_an_error_not_a_thread_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A resolver raising something other than OSError (UnicodeError for a label the IDNA
    codec refuses) is told as an unreachable host at once: nothing escapes the lookup's thread
    (a traceback on stderr) and the command does not wait out its deadline."""
    import socket
    import threading

    from lnctl.backends.transport import resolve_within

    real = socket.getaddrinfo
    escaped: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: escaped.append(args.exc_value))

    def refuse(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "bad-label.example":
            return real(host, *args, **kwargs)
        raise UnicodeError("label too long")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    began = time.monotonic()
    with pytest.raises(OSError, match="cannot be looked up: label too long"):
        resolve_within("bad-label.example", 443, 5.0)
    assert time.monotonic() - began < 1 and escaped == []


# -- import cost -----------------------------------------------------------------------------------


def test_importing_the_module_loads_nothing_heavy() -> None:
    code = (
        "import sys; before = set(sys.modules); import lnctl.lnurl; "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    package = {"lnctl.lnurl", "lnctl.lnurl.parse", "lnctl.lnurl.documents", "lnctl.lnurl.client"}
    assert loaded <= {"lnctl", "lnctl.errors", "lnctl.records"} | package, loaded
