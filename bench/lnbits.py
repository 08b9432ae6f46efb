"""Over LNbits: ``lnctl pay`` against the same HTTP request made directly with curl (issue 11's
target: lnctl adds at most its own start-up), and a batch (``lnctl pay --file``, concurrency 16)
against the same payments sent by a bare HTTP client at concurrency 16 (issue 19), in one run.
Starts a throwaway LNbits (the one tests/run.sh installs in .lnbits-venv) with wallets on
loopback.

    python bench/lnbits.py [--runs 15] [--batch 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.lnbits_server import LnbitsServer, lnbits_python  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--batch", type=int, default=300, help="payments in each batch")
    args = parser.parse_args()
    python = lnbits_python()
    if python is None or shutil.which("curl") is None:
        print("skipped: needs LNbits (bash tests/run.sh installs it) and curl")
        return
    data = Path(tempfile.mkdtemp(prefix="lnctl-bench-lnbits-"))
    server = LnbitsServer(python, data)
    try:
        payee = server.wallet("payee")
        payer = server.wallet("payer", sats=1_000_000)
        home = tempfile.mkdtemp(prefix="lnctl-bench-home-")
        env = {
            **os.environ,
            "LNCTL_HOME": home,
            "LNCTL_BACKEND": "lnbits",
            "LNCTL_LNBITS_URL": server.url,
            "LNCTL_LNBITS_ADMIN_KEY": payer["adminkey"],
        }
        lnctl = [sys.executable, "-m", "lnctl"]
        subprocess.run(lnctl + ["info"], env=env, check=True, capture_output=True)
        times: dict[str, list[float]] = {
            "curl POST": [],
            "lnctl pay --json": [],
            "lnctl --version": [],
        }
        for _ in range(args.runs):
            body = json.dumps({"out": True, "bolt11": server.invoice(payee, 1)["bolt11"]})
            began = time.perf_counter()
            subprocess.run(
                ["curl", "-s", "-X", "POST", server.url + "/api/v1/payments",
                 "-H", f"X-Api-Key: {payer['adminkey']}", "-H", "Content-Type: application/json",
                 "-d", body],
                check=True, capture_output=True,
            )  # fmt: skip
            times["curl POST"].append(time.perf_counter() - began)
            invoice = server.invoice(payee, 1)["bolt11"]
            began = time.perf_counter()
            subprocess.run(
                lnctl + ["pay", invoice, "--json"], env=env, check=True, capture_output=True
            )
            times["lnctl pay --json"].append(time.perf_counter() - began)
            began = time.perf_counter()
            subprocess.run(lnctl + ["--version"], env=env, check=True, capture_output=True)
            times["lnctl --version"].append(time.perf_counter() - began)
        print(f"{'what':20} {'median ms':>10}   ({args.runs} runs, loopback, FakeWallet)")
        for name, xs in times.items():
            print(f"{name:20} {statistics.median(xs) * 1000:10.1f}")
        shutil.rmtree(home, ignore_errors=True)
        if args.batch > 0:
            batch(server, args.batch)
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def batch(server: LnbitsServer, count: int, concurrency: int = 16) -> None:
    """``lnctl pay --file`` of ``count`` invoices at concurrency 16, against the same number of
    pay requests sent by a bare HTTP client (http.client, a kept connection per thread) at
    concurrency 16; each side pays fresh invoices from its own funded wallet, in the order
    lnctl, bare, bare, lnctl (so that a machine that slows down or warms up weighs on both)."""
    payee = server.wallet("batch-payee")
    sats = 2
    funds = count * sats * 4 + 10_000
    lnctl_payer = server.wallet("batch-lnctl", sats=funds)
    bare_payer = server.wallet("batch-bare", sats=funds)
    took: dict[str, list[float]] = {"lnctl pay --file": [], "bare HTTP client": []}
    latencies: list[str] = []
    for side in ("lnctl", "bare", "bare", "lnctl"):
        invoices = [server.invoice(payee, sats)["bolt11"] for _ in range(count)]
        if side == "lnctl":
            seconds, p50, p95 = _lnctl_batch(server, lnctl_payer, invoices, concurrency)
            took["lnctl pay --file"].append(seconds)
            latencies.append(f"p50 {p50} ms, p95 {p95} ms")
        else:
            took["bare HTTP client"].append(_bare_batch(server, bare_payer, invoices, concurrency))
    print(f"\nbatch of {count} payments, concurrency {concurrency}, twice each (loopback, "
          "FakeWallet):")  # fmt: skip
    for name, xs in took.items():
        rates = " / ".join(f"{count / x:.1f}" for x in xs)
        print(f"{name:20} {sum(xs):8.2f} s in all   {rates} payments/s")
    print(f"{'lnctl latency':20} {'; '.join(latencies)}")
    ratio = sum(took["lnctl pay --file"]) / sum(took["bare HTTP client"])
    print(f"{'ratio (lnctl / bare)':20} {ratio:8.2f}x the time")


def _lnctl_batch(
    server: LnbitsServer, payer: dict[str, str], invoices: list[str], concurrency: int
) -> tuple[float, int, int]:
    home = tempfile.mkdtemp(prefix="lnctl-bench-batch-")
    path = os.path.join(home, "batch.txt")
    with open(path, "w") as fh:
        fh.write("\n".join(invoices) + "\n")
    env = {
        **os.environ,
        "LNCTL_HOME": home,
        "LNCTL_BACKEND": "lnbits",
        "LNCTL_LNBITS_URL": server.url,
        "LNCTL_LNBITS_ADMIN_KEY": payer["adminkey"],
    }
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "lnctl", "pay", "--file", path, "--concurrency",
         str(concurrency), "--json"],
        env=env, capture_output=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - began
    summary = json.loads(done.stdout)["summary"]
    assert summary["paid"] == len(invoices), summary
    shutil.rmtree(home, ignore_errors=True)
    return seconds, summary["latency_ms"]["p50"], summary["latency_ms"]["p95"]


def _bare_batch(
    server: LnbitsServer, payer: dict[str, str], invoices: list[str], concurrency: int
) -> float:
    import http.client
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    parts = urlsplit(server.url)
    local = threading.local()

    def pay_one(text: str) -> int:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=60
            )
        conn.request(
            "POST",
            "/api/v1/payments",
            body=json.dumps({"out": True, "bolt11": text}),
            headers={"X-Api-Key": payer["adminkey"], "Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        resp.read()
        return int(resp.status)

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(pay_one, invoices))
    seconds = time.perf_counter() - began
    assert statuses == [201] * len(invoices), sorted(set(statuses))
    return seconds


if __name__ == "__main__":
    main()
