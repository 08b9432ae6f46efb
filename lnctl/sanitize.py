"""Untrusted text (from an invoice, a server, a file) made safe for a terminal, and secrets kept
out of what is shown. A leaf: it imports nothing of lnctl, so that every layer may use it."""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Iterable

# Unicode categories that never reach a terminal: controls (ESC included, so no escape sequence
# survives), format characters (zero-width joiners and spaces, the BOM, bidi controls), line
# and paragraph separators, private use, surrogates and unassigned code points.
_REFUSED = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
MAX_MARKS = 2  # combining marks kept on one base character (no towers of diacritics)


def sanitize(text: object) -> str:
    """Untrusted text made safe for a terminal, filtered by Unicode category (an allow-list of
    what may show, not a list of known-bad characters): refused characters become U+FFFD,
    newlines and tabs are shown as spaces, and stacks of combining marks are cut short."""
    s = str(text)
    if s.isascii() and s.isprintable():
        return s
    from unicodedata import category

    out = []
    marks = 0
    for ch in s:
        if ch in "\n\t":
            out.append(" ")
            marks = 0
            continue
        cat = category(ch)
        if cat in _REFUSED:
            out.append("\ufffd")
            marks = 0
        elif cat in ("Mn", "Me"):
            marks += 1
            if marks <= MAX_MARKS:
                out.append(ch)
        else:
            out.append(ch)
            marks = 0
    return "".join(out)


def redact_url(url: str) -> str:
    """A URL as it may be shown: credentials in it (``user:password@``) and its query string
    and fragment (where API keys travel: ``?api-key=...``) replaced by ``***``, the rest
    sanitized. Something that does not parse as a URL is not shown at all."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = "***@" + netloc.rsplit("@", 1)[-1]
        shown = urlunsplit(
            parts._replace(
                netloc=netloc,
                query="***" if parts.query else "",
                fragment="***" if parts.fragment else "",
            )
        )
    except ValueError:
        return "<a URL that does not parse>"
    return sanitize(shown)


# secrets as they were read (``remember_secret``): taken out of any text lnctl shows
_SECRETS: set[str] = set()


def remember_secret(value: str) -> str:
    """``value`` (a server key, a password) as it was read: remembered so that
    ``redact_secrets`` takes it out of an error's message or a traceback. Returns it."""
    if len(value) >= 4:  # shorter ones would redact ordinary words
        _SECRETS.add(value)
    return value


def redact_secrets(text: str, more: Iterable[str] = ()) -> str:
    """``text`` with every remembered secret (and those in ``more``) replaced by ``***``."""
    for secret in sorted({*_SECRETS, *(s for s in more if len(s) >= 4)}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
