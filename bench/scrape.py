"""Scrape cost against history size: an empty store versus 100,000 stored payments.

    python bench/scrape.py [--payments 100000] [--scrapes 200]

Counters live in a small aggregate table updated with each event, so a scrape should cost the
same whatever the history holds. The history is filled through the history store's own
transaction code (records plus counters), in bulk, then both wallets are scraped alternately
(prometheus-client's generate_latest over lnctl's collector, a fresh connection per scrape, as
serve-metrics does). Target (issue 5): within 1.2x of the empty store.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from prometheus_client import generate_latest  # noqa: E402

from lnctl.config import Config  # noqa: E402
from lnctl.core.wallet import Wallet  # noqa: E402
from lnctl.metrics import registry  # noqa: E402
from lnctl.storage.history import LATENCY_BUCKETS_MS, History  # noqa: E402


def fill(wallet: Wallet, n: int) -> None:
    conn = wallet.history.conn
    now = time.time()
    with wallet.history.transaction():
        for i in range(n):
            h = f"{i:064x}"
            ok = i % 10 != 0
            latency = 50 + i % 3000
            conn.execute(
                "INSERT INTO payments (payment_hash, bolt11, payee, amount_msat, max_fee_msat, "
                "fee_msat, status, attempts, failure_reason, preimage, created_at, updated_at, "
                "latency_ms) VALUES (?, 'lnbcrt...', ?, 1000000, 10000, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    h,
                    "02" + "11" * 32,
                    1100 if ok else None,
                    "SUCCEEDED" if ok else "FAILED",
                    1 + i % 3,
                    None if ok else "NO_ROUTE",
                    "00" * 32 if ok else None,
                    now,
                    now,
                    latency,
                ),
            )
            if ok:
                History.bump(conn, "payments_succeeded")
                History.bump(conn, "payment_fees_msat", delta=1100)
            else:
                History.bump(conn, "payments_failed", "NO_ROUTE")
            History.bump(conn, "payment_attempts", delta=1 + i % 3)
            for bucket in LATENCY_BUCKETS_MS:
                if latency <= bucket:
                    History.bump(conn, "payment_latency_bucket", str(bucket))
            History.bump(conn, "payment_latency_count")
            History.bump(conn, "payment_latency_sum_ms", delta=latency)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--scrapes", type=int, default=200)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="lnctl-scrape-")
    configs = {}
    for name, n in (("empty", 0), (f"{args.payments:,} payments", args.payments)):
        config = Config.from_env({"LNCTL_HOME": os.path.join(root, name)})
        with Wallet(config) as wallet:
            wallet.backend  # noqa: B018 - creates the node and its channel
            start = time.perf_counter()
            fill(wallet, n)
            if n:
                print(f"filled {n:,} payments in {time.perf_counter() - start:.1f} s")
        configs[name] = registry(config)
    times: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(5):
        for reg in configs.values():
            generate_latest(reg)
    for _ in range(args.scrapes):
        for name, reg in configs.items():
            start = time.perf_counter()
            generate_latest(reg)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["empty"])
    for name, xs in times.items():
        med = statistics.median(xs)
        print(f"{name:20} median scrape {med * 1000:7.2f} ms  ({med / base:.2f}x empty)")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
