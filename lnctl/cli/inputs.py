"""What a command reads besides its options: an invoice piped in, a memo from a file. Each is
read whole or refused (never cut at a limit), and a memo is UTF-8 text."""

from __future__ import annotations

import sys

MAX_STDIN_BYTES = 1 << 20  # an invoice piped in: more is refused, never read in part


def read_stdin_invoice(several: str | None = None, lnurl: bool = False) -> str:
    """The invoice piped in (``lnctl invoice | lnctl pay``); a terminal is not read.
    ``several``: how to act on several invoices, when more than one is refused (``pay``,
    which would pay only one); else the first is taken. ``lnurl``: a Lightning Address or an
    LNURL piped alone (one word) is taken too (``lnctl pay``)."""
    from lnctl.errors import Code, InvalidInputError

    if sys.stdin is None or sys.stdin.isatty():
        raise InvalidInputError(
            "no invoice given", code=Code.NO_INVOICE, hint="pass it as an argument or pipe it in"
        )
    from lnctl.storage.files import read_input

    raw = read_input("-", MAX_STDIN_BYTES, "the invoice on stdin")
    text = raw.decode("utf-8", "replace")
    if lnurl:
        words = text.split()
        from lnctl.core.payments import looks_like_lnurl

        if len(words) == 1 and looks_like_lnurl(words[0]):
            return words[0]
    return read_invoice_from_text(text, several)


def read_invoice_from_text(text: str, several: str | None = None) -> str:
    """The invoice in piped input: a JSON document's ``invoice`` field, or the first BOLT 11
    string found in the text; with ``several`` (the command that takes many), more than one
    distinct invoice is refused."""
    import json
    import re

    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except (ValueError, RecursionError):
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("invoice"), str):
            return str(doc["invoice"])
    found: dict[str, str] = {}  # each invoice once, in order: the same one twice is one
    for m in re.findall(
        r"(?<![0-9A-Za-z])ln(?:bcrt|bc|tbs|tb)[0-9a-z]*1[02-9ac-hj-np-z]{6,}"
        r"|(?<![0-9A-Za-z])LN(?:BCRT|BC|TBS|TB)[0-9A-Z]*1[02-9AC-HJ-NP-Z]{6,}",
        text,
    ):
        found.setdefault(m.lower(), m)
    if not found:
        from lnctl.errors import Code, InvalidInvoiceError

        raise InvalidInvoiceError(
            "no BOLT 11 invoice found in the input",
            code=Code.NO_INVOICE,
            hint="pass the invoice as an argument",
        )
    if several is not None and len(found) > 1:
        from lnctl.errors import Code, InvalidInputError

        raise InvalidInputError(
            f"{len(found)} invoices in the input, and one is paid at a time",
            code=Code.USAGE,
            hint=f"pay them all with: {several}",
        )
    return next(iter(found.values()))


def memo_text(memo: str | None, memo_file: str | None, *, stdin_taken: bool = False) -> str | None:
    """The memo from --memo or --memo-file (UTF-8; one trailing newline dropped)."""
    from lnctl.errors import Code, InvalidInputError

    if memo_file is None:
        return memo
    if memo is not None:
        raise InvalidInputError("give --memo or --memo-file, not both", code=Code.USAGE)
    if memo_file == "-" and stdin_taken:
        raise InvalidInputError(
            "stdin cannot be both the invoice and the memo",
            code=Code.USAGE,
            hint="pass the invoice as an argument, or the memo in a file",
        )
    from lnctl.core.invoices import MAX_MEMO_BYTES
    from lnctl.storage.files import read_input

    # one trailing newline is dropped below: it does not count
    raw = read_input(memo_file, MAX_MEMO_BYTES + 1, "--memo-file", too_large=Code.MEMO_TOO_LONG)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError("the memo file is not UTF-8 text", code=Code.INVALID_TEXT) from exc
    return text[:-1] if text.endswith("\n") else text
