"""What several benchmarks do: a batch file of the simulated peer's invoices."""

from __future__ import annotations

import json
import os
import subprocess


def batch_file(lnctl: list[str], env: dict[str, str], count: int, sats: int, name: str) -> str:
    """The path of a file of ``count`` invoices of the simulated peer (``sats`` each), made in
    ``$LNCTL_HOME`` (``simulate invoice`` makes at most 10,000 a call)."""
    invoices: list[str] = []
    while len(invoices) < count:
        n = min(count - len(invoices), 10_000)
        made = subprocess.run(
            lnctl + ["simulate", "invoice", "--amount", str(sats), "--count", str(n), "--json"],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        docs = json.loads(made.stdout)
        invoices += [d["invoice"] for d in (docs if isinstance(docs, list) else [docs])]
    path = os.path.join(env["LNCTL_HOME"], name)
    with open(path, "w") as fh:
        fh.write("\n".join(invoices) + "\n")
    return path
