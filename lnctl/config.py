"""Configuration: one value object built from options and environment, passed down explicitly."""

from __future__ import annotations

import os

BACKENDS = ("simulated", "lnbits")
NETWORKS = ("bitcoin", "testnet", "signet", "regtest")


class Config:
    """Where the wallet lives and what it talks to. Options override environment variables."""

    __slots__ = ("home", "backend", "network", "memo_key_b64", "env")

    def __init__(
        self,
        home: str,
        backend: str = "simulated",
        network: str = "regtest",
        memo_key_b64: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.home = home
        self.backend = backend
        self.network = network
        self.memo_key_b64 = memo_key_b64
        self.env = dict(env or {})

    @classmethod
    def from_env(
        cls,
        environ: dict[str, str] | os._Environ[str] | None = None,
        *,
        home: str | None = None,
        backend: str | None = None,
        network: str | None = None,
    ) -> Config:
        from lnctl.errors import InvalidInputError

        env = dict(os.environ if environ is None else environ)
        if home is None and "LNCTL_HOME" in env:
            home = env["LNCTL_HOME"]
        if home is not None and not home.strip():
            raise InvalidInputError(
                "the wallet folder is empty (--home '' or LNCTL_HOME=)",
                code="INVALID_HOME",
                hint="name a folder, or unset LNCTL_HOME to use ~/.lnctl",
            )
        home = home or os.path.join(os.path.expanduser("~"), ".lnctl")
        if os.path.exists(home) and not os.path.isdir(home):
            raise InvalidInputError(
                f"the wallet folder {home} is not a folder", code="INVALID_HOME"
            )
        backend = (backend or env.get("LNCTL_BACKEND") or "simulated").lower()
        if backend not in BACKENDS:
            raise InvalidInputError(
                f"unknown backend {backend!r}",
                code="INVALID_BACKEND",
                hint=f"LNCTL_BACKEND is one of: {', '.join(BACKENDS)}",
            )
        # the simulated node's default is regtest (its invoices never look payable on mainnet);
        # a real server's is bitcoin
        default_network = "regtest" if backend == "simulated" else "bitcoin"
        network = (network or env.get("LNCTL_NETWORK") or default_network).lower()
        if network not in NETWORKS:
            raise InvalidInputError(
                f"unknown network {network!r}",
                code="INVALID_NETWORK",
                hint=f"LNCTL_NETWORK is one of: {', '.join(NETWORKS)}",
            )
        return cls(
            home=os.path.abspath(home),
            backend=backend,
            network=network,
            memo_key_b64=env.get("LNCTL_MEMO_KEY") or None,
            env=env,
        )

    def path(self, *parts: str) -> str:
        return os.path.join(self.home, *parts)
