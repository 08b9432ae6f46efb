"""In-process decodes per second: lnctl's strict decoder against PyPI ``bolt11`` on the same
invoices (issue 11's target: 3x, with our stricter checks).

    python bench/decode.py [--count 300]

Both decoders verify the signature and recover the payee. Three figures for lnctl: pure-Python
recovery every time (what a lone ``lnctl decode`` uses); a fresh process decoding them all
(lnctl loads libsecp256k1 after ``lnctl.secp256k1.LOAD_AFTER`` recoveries, its import
included); and a process that has already loaded libsecp256k1 (to sign, as ``pay`` does).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    import coincurve

    from lnctl import bolt11 as ours

    key = coincurve.PrivateKey()
    invoices = [
        ours.encode(
            network="bitcoin",
            amount_msat=1000 * (i + 1),
            payment_hash=hashlib.sha256(os.urandom(32)).digest(),
            payment_secret=os.urandom(32),
            description=f"bench {i}",
            sign=lambda m: key.sign_recoverable(m, hasher=None),
        )
        for i in range(args.count)
    ]
    results = {}
    import json
    import subprocess
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(invoices, fh)
    # in a fresh process, where libsecp256k1 is not loaded until lnctl decides to load it
    fresh = (
        "import json, sys, time\n"
        "from lnctl import bolt11, secp256k1\n"
        "invoices = json.load(open(sys.argv[1]))\n"
        "if sys.argv[2] == 'pure': secp256k1.LOAD_AFTER = 10**9\n"
        "began = time.perf_counter()\n"
        "for text in invoices: bolt11.decode(text)\n"
        "print(len(invoices) / (time.perf_counter() - began))\n"
    )
    for mode, name in (
        ("pure", "lnctl, pure Python each time"),
        ("adaptive", "lnctl in a fresh process"),
    ):
        out = subprocess.run(
            [sys.executable, "-c", fresh, fh.name, mode], capture_output=True, text=True, check=True
        )
        results[name] = float(out.stdout)
    os.unlink(fh.name)
    began = time.perf_counter()
    for text in invoices:
        ours.decode(text)
    results["lnctl, libsecp256k1 loaded"] = args.count / (time.perf_counter() - began)
    try:
        import bolt11 as pypi  # the PyPI package (tests' extra), imported as 'bolt11'
    except ImportError:  # Python 3.13: PyPI bolt11 2.2.0 requires an older Python
        pypi = None  # type: ignore[assignment,unused-ignore]
    if pypi is not None and hasattr(pypi, "decode"):
        began = time.perf_counter()
        for text in invoices:
            pypi.decode(text)
        results["PyPI bolt11 2.x"] = args.count / (time.perf_counter() - began)
    base = results.get("PyPI bolt11 2.x")
    print(f"{'decoder':32} {'decodes/s':>10} {'vs PyPI bolt11':>15}   ({args.count} invoices)")
    for name, rate in results.items():
        ratio = f"{rate / base:.2f}x" if base else "-"
        print(f"{name:32} {rate:>10.0f} {ratio:>15}")


if __name__ == "__main__":
    main()
