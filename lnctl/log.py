"""Structured events on stderr: ``--log-format text|json``, ``-v``/``-q``, ``LNCTL_LOG_LEVEL``.

A few lines instead of the logging module: nothing is set up at import time and a command that
logs nothing pays nothing. Secrets never reach a log line: only fields on an allow-list of
names known to carry no secret are written, whatever a caller passes."""

from __future__ import annotations

import sys
import time

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
# The fields a log line may carry; anything else is dropped (a field named ``payment_secret``
# or ``preimage`` never reaches stderr, whoever passes it).
ALLOWED_FIELDS = frozenset(
    {
        "payment_hash",
        "attempt",
        "attempts",
        "outcome",
        "failure_reason",
        "latency_ms",
        "fee_msat",
        "amount_msat",
        "with_memo",
        "channel_id",
        "added",
        "reason",
    }
)


class _Settings:
    level = LEVELS["warning"]
    fmt = "text"


def configure(level: str, fmt: str) -> None:
    _Settings.level = LEVELS[level]
    _Settings.fmt = fmt


def event(level: str, name: str, **fields: object) -> None:
    """One event: ``event("info", "payment_attempt", payment_hash=..., attempt=2)``."""
    if LEVELS[level] < _Settings.level or sys.stderr is None:
        return
    safe = {k: v for k, v in fields.items() if k in ALLOWED_FIELDS}
    if _Settings.fmt == "json":
        import json

        record = {"ts": round(time.time(), 3), "level": level, "event": name, **safe}
        line = json.dumps(record, ensure_ascii=True, default=str)
    else:
        from lnctl.sanitize import sanitize

        # a time and a level first: the line is not mistaken for a command's own words
        # (``lnctl info: ...`` read like ``lnctl info``); a field without a value is left out
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        parts = " ".join(f"{k}={sanitize(v)}" for k, v in safe.items() if v is not None)
        line = f"{stamp} {level.upper()} {name} {parts}".rstrip()
    try:
        sys.stderr.write(line + "\n")
    except (OSError, ValueError):  # a stderr that cannot be written: the log line is lost
        pass
