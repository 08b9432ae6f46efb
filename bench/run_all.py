"""Every benchmark, one after the other: ``python bench/run_all.py``. Figures, not tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ("start-up of every command", ["startup.py", "--runs", "15"]),
    ("batch throughput", ["batch.py", "--count", "10000"]),
    ("scrape cost", ["scrape.py"]),
    ("decodes per second against PyPI bolt11", ["decode.py"]),
    ("cost growth with stored payments", ["growth.py", "--runs", "8"]),
    ("LNbits: lnctl pay against curl, a batch against a bare client", ["lnbits.py"]),
    ("Lightspark (SDK against the local double): whole commands", ["lightspark.py"]),
]

for title, (script, *args) in SCRIPTS:
    print(f"\n## {title} ({script} {' '.join(args)})", flush=True)
    subprocess.run([sys.executable, str(HERE / script), *args], check=False)
