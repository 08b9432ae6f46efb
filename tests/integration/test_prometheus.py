"""Real Prometheus components: promtool, a Prometheus server scraping serve-metrics, a
Pushgateway (Debian's prometheus and prometheus-pushgateway; tests/run.sh installs them)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_metrics import free_port
from tests.conftest import run, serve_metrics

pytestmark = pytest.mark.integration


def need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{binary} is missing in CI: tests/run.sh should have installed it")
        pytest.skip(
            f"{binary} is not installed (Debian: apt-get install prometheus "
            "prometheus-pushgateway); tests/run.sh installs it when run as root"
        )
    return path


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return str(resp.read().decode())


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            get(url)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def test_promtool_accepts_the_exposition(home: Path, tmp_path: Path) -> None:
    promtool = need("promtool")
    run(home, "demo")
    run(home, "pay", "lnbcrt1invalid")
    text = run(home, "metrics").out
    assert "ln_payment_latency_seconds_bucket" in text
    check = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.strip() == "" and check.stderr.strip() == ""


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    promtool = need("promtool")
    dash = json.loads(
        (Path(__file__).resolve().parents[2] / "examples" / "grafana-dashboard.json").read_text()
    )
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"lnctl:dashboard_{i}", "expr": e} for i, e in enumerate(exprs)
                ],
            }
        ]
    }
    path = tmp_path / "rules.yml"
    path.write_text(json.dumps(rules))  # JSON is YAML
    check = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.fixture
def served(home: Path) -> Iterator[int]:
    port = free_port()
    proc = serve_metrics(home, port)
    try:
        wait_for(f"http://127.0.0.1:{port}/metrics")
        yield port
    finally:
        stop(proc)


def test_real_prometheus_scrapes_the_right_success_count(
    home: Path, tmp_path: Path, served: int
) -> None:
    prometheus = need("prometheus")
    invoices = run(home, "simulate", "invoice", "--amount", "10", "--count", "3", "--json").json
    for d in invoices:
        assert run(home, "pay", d["invoice"]).code == 0
    config = tmp_path / "prometheus.yml"
    config.write_text(
        json.dumps(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "scrape_configs": [
                    {"job_name": "lnctl", "static_configs": [{"targets": [f"127.0.0.1:{served}"]}]}
                ],
            }
        )
    )
    web = free_port()
    proc = subprocess.Popen(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{web}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{web}/-/ready", 60)
        query = urllib.parse.quote('ln_payment_success_total{job="lnctl"}')
        value = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            doc = json.loads(get(f"http://127.0.0.1:{web}/api/v1/query?query={query}"))
            result = doc["data"]["result"]
            if result:
                value = result[0]["value"][1]
                if value == "3":
                    break
            time.sleep(0.5)
        assert value == "3"
    finally:
        stop(proc)


def test_push_to_a_real_pushgateway(home: Path) -> None:
    gateway_bin = need("prometheus-pushgateway")
    port = free_port()
    proc = subprocess.Popen(
        [gateway_bin, f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/metrics")
        run(home, "demo")
        r = run(
            home,
            "metrics",
            "push",
            "--gateway",
            f"http://127.0.0.1:{port}",
            "--job",
            "ci",
            "--json",
        )
        assert r.code == 0 and r.json["pushed"] is True, r.out + r.err
        body = get(f"http://127.0.0.1:{port}/metrics")
        assert 'ln_payment_success_total{instance="",job="ci"} 1' in body
        assert 'ln_payment_retries_total{instance="",job="ci"} 1' in body
    finally:
        stop(proc)
    down = run(home, "metrics", "push", "--gateway", f"http://127.0.0.1:{port}", "--json")
    assert down.code == 1 and down.json["error"]["code"] == "PUSH_FAILED"
