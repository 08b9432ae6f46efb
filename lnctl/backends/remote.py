"""What the backends reached over a network share: where the server may be, and where a secret
comes from (the environment, else a 0600 file under ``$LNCTL_HOME/secrets/``)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from lnctl.errors import Code, InvalidInputError

LOOPBACK = ("localhost", "127.0.0.1", "::1")


def check_server_url(url: str, var: str, allow_var: str, env: dict[str, str], code: str) -> str:
    """``url`` if it is an http(s) URL with a host, a valid port and no credentials; plain HTTP
    only to a loopback host unless ``allow_var=1`` (a key must not cross a network in clear).
    ``var`` names where the URL came from, for the message."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise InvalidInputError(
            f"{var} is not a valid URL (its host or port cannot be read)", code=code
        ) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(f"{var} must be an http(s) URL with a host", code=code)
    if parts.username or parts.password:
        raise InvalidInputError(f"{var} must not carry credentials", code=code)
    if parts.scheme == "http" and parts.hostname not in LOOPBACK and env.get(allow_var) != "1":
        raise InvalidInputError(
            f"refusing to send credentials over plain HTTP to {parts.hostname}",
            code=Code.INSECURE_URL,
            hint=f"use https://, or set {allow_var}=1 if you accept the risk",
        )
    return url


def secret_value(env: dict[str, str], var: str, path: str) -> str | None:
    """A secret from the environment variable ``var``, else from the 0600 file ``path`` (refused
    when others can read it or when it is a symbolic link); None when neither is set."""
    from lnctl.sanitize import remember_secret  # never shown: see lnctl.cli.entry

    value = env.get(var, "").strip()
    if value:
        return remember_secret(value)
    if os.path.lexists(path):
        from lnctl.storage.files import read_private

        raw = read_private(path).decode("utf-8", "replace").strip()
        return remember_secret(raw) if raw else None
    return None
