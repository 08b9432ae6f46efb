"""What lnctl prints: its JSON writer matches the json module, untrusted text is made safe."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from lnctl.cli.output import msat, sanitize, to_json

documents = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(doc=documents)
def test_to_json_is_json_dumps_with_indent_2(doc: object) -> None:
    assert to_json(doc) == json.dumps(doc, indent=2, ensure_ascii=True)


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_sanitize_leaves_no_control_or_bidi_characters(text: str) -> None:
    clean = sanitize(text)
    for ch in clean:
        o = ord(ch)
        assert o >= 0x20 and not 0x7F <= o < 0xA0
        assert ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


def test_msat_for_people_is_exact() -> None:
    assert msat(1_000) == "1 sat"
    assert msat(1_234_567) == "1,234.567 sat"
    assert msat(1_500) == "1.5 sat" and msat(1_150) == "1.15 sat"  # never read as 1,500
    assert msat(5_000_001) == "5,000.001 sat" and msat(10) == "0.01 sat"
    assert msat(None) == "-"


def test_errors_is_a_leaf_with_the_same_amount_limit() -> None:
    import ast
    from pathlib import Path

    from lnctl import bolt11, errors

    assert errors.MAX_MSAT == bolt11.MAX_MSAT
    tree = ast.parse(Path(errors.__file__).read_text())
    imported = [
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    ]
    assert not [m for m in imported if m.startswith("lnctl")]
