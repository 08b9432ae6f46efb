"""Decoding for people and scripts (no wallet needed)."""

from __future__ import annotations

from lnctl import bolt11

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any


def decode_document(text: str) -> dict[str, Any]:
    invoice = bolt11.decode(text)
    doc = invoice.to_dict()
    doc["invoice"] = invoice.bolt11
    return doc
