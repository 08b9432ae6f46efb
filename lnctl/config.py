"""Configuration: one value object built from options, environment, ``$LNCTL_HOME/config.toml``
and defaults (in that order of precedence), passed down explicitly. Each setting remembers where
it came from (``lnctl config show``). Secrets are never in the file: they stay in ``secrets/``
or the environment."""

from __future__ import annotations

import os

from lnctl.backends import registry

BACKENDS = registry.NAMES
NETWORKS = ("bitcoin", "testnet", "signet", "regtest")
NETWORK_ALIASES = {"mainnet": "bitcoin"}  # what lncli users type
DEFAULT_TIMEOUT_S = 30.0
CONFIG_FILE = "config.toml"
MAX_CONFIG_BYTES = 1 << 20  # a larger config.toml is refused, never read in part

# key in config.toml -> what it holds (for messages and `lnctl config show`)
FILE_KEYS = {
    "backend": ", ".join(BACKENDS[:-1]) + " or " + BACKENDS[-1],
    "network": "bitcoin, testnet, signet or regtest",
    "lnbits_url": "the LNbits server's URL",
    "lnbits_admin_key_file": "path of the file holding the LNbits admin key (0600)",
    "lnbits_invoice_key_file": "path of the file holding the LNbits invoice key (0600)",
    "max_fee_sat": "default --max-fee, whole sats",
    "timeout_s": "default --timeout, seconds",
}
# what a value of each key must be, for the message that refuses another
FILE_VALUES = {
    "backend": f"one of {FILE_KEYS['backend']}",
    "network": f"one of {FILE_KEYS['network']}",
    "lnbits_url": "an http:// or https:// URL",
    "lnbits_admin_key_file": "a path (text, not empty)",
    "lnbits_invoice_key_file": "a path (text, not empty)",
    "max_fee_sat": "a whole number of sats (the default of --max-fee)",
    "timeout_s": "a number of seconds, more than 0 and at most 86400 (the default of --timeout)",
}


class Config:
    """Where the wallet lives and what it talks to."""

    __slots__ = (
        "home",
        "backend",
        "network",
        "memo_key_b64",
        "env",
        "lnbits_url",
        "lnbits_admin_key_file",
        "lnbits_invoice_key_file",
        "max_fee_sat",
        "timeout_s",
        "sources",
    )

    def __init__(
        self,
        home: str,
        backend: str = registry.DEFAULT,
        network: str = "regtest",
        memo_key_b64: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.home = home
        self.backend = backend
        self.network = network
        self.memo_key_b64 = memo_key_b64
        self.env = dict(env or {})
        self.lnbits_url: str | None = None
        self.lnbits_admin_key_file = os.path.join(home, "secrets", "lnbits.key")
        self.lnbits_invoice_key_file = os.path.join(home, "secrets", "lnbits-invoice.key")
        self.max_fee_sat: int | None = None
        self.timeout_s = DEFAULT_TIMEOUT_S
        self.sources: dict[str, str] = {}

    @classmethod
    def from_env(
        cls,
        environ: dict[str, str] | os._Environ[str] | None = None,
        *,
        home: str | None = None,
        backend: str | None = None,
        network: str | None = None,
    ) -> Config:
        from lnctl.errors import Code, InvalidInputError

        env = dict(os.environ if environ is None else environ)
        sources: dict[str, str] = {}
        if home is not None:
            sources["home"] = "option --home"
        elif "LNCTL_HOME" in env:
            home = env["LNCTL_HOME"]
            sources["home"] = "environment LNCTL_HOME"
        if home is not None and not home.strip():
            raise InvalidInputError(
                "the wallet folder is empty (--home '' or LNCTL_HOME=)",
                code=Code.INVALID_HOME,
                hint="name a folder, or unset LNCTL_HOME to use ~/.lnctl",
            )
        if home is None:
            home = os.path.join(os.path.expanduser("~"), ".lnctl")
            sources["home"] = "default"
        if os.path.exists(home) and not os.path.isdir(home):
            raise InvalidInputError(
                f"the wallet folder {home} is not a folder", code=Code.INVALID_HOME
            )
        home = os.path.abspath(home)
        path = os.path.join(home, CONFIG_FILE)
        file = read_file(path) if os.path.exists(path) else {}

        def pick(key: str, option: str | None, var: str | None, default: str) -> str:
            if option is not None:
                sources[key] = f"option --{key}"
                return option
            if var is not None and env.get(var):
                sources[key] = f"environment {var}"
                return env[var]
            if key in file:
                sources[key] = f"{path} line {file[key][1]}"
                return str(file[key][0])
            sources[key] = "default"
            return default

        def given_as(key: str, var: str) -> str:
            """How the setting was given, for the hint that refuses it."""
            return f"--{key}" if sources[key].startswith("option") else var

        backend = pick("backend", backend, "LNCTL_BACKEND", registry.DEFAULT).lower()
        if backend not in BACKENDS:
            raise InvalidInputError(
                f"unknown backend {backend!r}",
                code=Code.INVALID_BACKEND,
                hint=f"{given_as('backend', 'LNCTL_BACKEND')} is one of: {', '.join(BACKENDS)}",
            )
        default_network = registry.capabilities(backend).default_network
        network = pick("network", network, "LNCTL_NETWORK", default_network).lower()
        network = NETWORK_ALIASES.get(network, network)
        if network not in NETWORKS:
            raise InvalidInputError(
                f"unknown network {network!r}",
                code=Code.INVALID_NETWORK,
                hint=f"{given_as('network', 'LNCTL_NETWORK')} is one of: {', '.join(NETWORKS)}"
                " (mainnet: bitcoin)",
            )
        config = cls(
            home=home,
            backend=backend,
            network=network,
            memo_key_b64=env.get("LNCTL_MEMO_KEY") or None,
            env=env,
        )
        url = pick("lnbits_url", None, "LNCTL_LNBITS_URL", "")
        config.lnbits_url = url or None
        for key in ("lnbits_admin_key_file", "lnbits_invoice_key_file"):
            if key in file:
                sources[key] = f"{path} line {file[key][1]}"
                setattr(config, key, os.path.join(home, os.path.expanduser(str(file[key][0]))))
            else:
                sources[key] = "default"
        for key in ("max_fee_sat", "timeout_s"):
            if key in file:
                sources[key] = f"{path} line {file[key][1]}"
                setattr(config, key, file[key][0])
            else:
                sources[key] = "default"
        config.sources = sources
        return config

    def path(self, *parts: str) -> str:
        return os.path.join(self.home, *parts)


# words that name a secret in a key (``lnbits_admin_key``, ``lightspark_client_secret``,
# ``node_password``): such a key in config.toml is refused with the secrets hint
SECRET_WORDS = ("key", "secret", "password", "passphrase", "token", "macaroon", "seed", "mnemonic")


def looks_secret(key: str) -> bool:
    lowered = key.lower()
    return not lowered.endswith("_file") and any(w in lowered for w in SECRET_WORDS)


def read_file(path: str) -> dict[str, tuple[object, int]]:
    """``config.toml`` as key -> (value, line). Unknown keys and bad values are refused (exit 2)
    with the file and the line."""
    import tomllib

    from lnctl.errors import Code, InvalidInputError
    from lnctl.sanitize import redact_url, sanitize
    from lnctl.storage.files import read_input

    raw = read_input(
        path,
        MAX_CONFIG_BYTES,
        "the configuration file",
        code=Code.CONFIG_INVALID,
        too_large=Code.CONFIG_INVALID,
        regular_only=True,
    )
    try:
        text = raw.decode("utf-8")
        doc = tomllib.loads(text)
    except RecursionError as exc:
        raise InvalidInputError(f"{path}: nested too deeply", code=Code.CONFIG_INVALID) from exc
    except ValueError as exc:  # not UTF-8, not TOML, or an integer too long to convert
        raise InvalidInputError(
            f"{path}: {sanitize(str(exc))[:200]}", code=Code.CONFIG_INVALID
        ) from exc

    def line_of(key: str) -> int:
        for number, content in enumerate(text.splitlines(), 1):
            if content.split("=", 1)[0].strip().strip("\"'") == key:
                return number
        return 0

    out: dict[str, tuple[object, int]] = {}
    for key, value in doc.items():
        line = line_of(key)
        where = f"{path} line {line}"
        if key not in FILE_KEYS:
            secret = looks_secret(key)
            raise InvalidInputError(
                f"{where}: unknown key {key!r}",
                code=Code.CONFIG_INVALID,
                hint="secrets belong in secrets/ (or the environment), never in config.toml"
                if secret
                else f"known keys: {', '.join(FILE_KEYS)}",
            )
        ok = {
            "backend": isinstance(value, str) and value.lower() in BACKENDS,
            "network": isinstance(value, str) and value.lower() in (*NETWORKS, *NETWORK_ALIASES),
            "lnbits_url": isinstance(value, str) and value.startswith(("http://", "https://")),
            "lnbits_admin_key_file": isinstance(value, str) and bool(value),
            "lnbits_invoice_key_file": isinstance(value, str) and bool(value),
            "max_fee_sat": type(value) is int and 0 <= value <= 21_000_000 * 10**8,
            "timeout_s": type(value) in (int, float) and 0 < float(value) <= 86_400,
        }[key]
        if not ok:
            shown = (
                redact_url(value)
                if key == "lnbits_url" and isinstance(value, str)
                else sanitize(repr(value))[:200]
            )
            raise InvalidInputError(
                f"{where}: {key} = {shown}: {key} is {FILE_VALUES[key]}",
                code=Code.CONFIG_INVALID,
                hint=f"correct or remove that line of {CONFIG_FILE}",
            )
        out[key] = (float(value) if key == "timeout_s" else value, line)
    return out
