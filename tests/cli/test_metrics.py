"""Metrics that stay true across processes: counters equal the history store (issue 5)."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lnctl.metrics import METRIC_NAMES
from tests.conftest import lnctl_env, run, serve_metrics
from tests.helpers import foreign_invoice, rows


def metric_values(home: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = run(home, "metrics", "--json")
    assert r.code == 0, r.err
    out = {}
    for fam in r.json["metrics"].values():
        for s in fam["samples"]:
            out[(s["name"], tuple(sorted(s["labels"].items())))] = s["value"]
    return out


def test_counters_equal_the_history_after_200_invocations_50_at_a_time(home: Path) -> None:
    remote = [
        d["invoice"]
        for d in run(home, "simulate", "invoice", "--amount", "100", "--count", "60", "--json").json
    ]
    foreign = [foreign_invoice() for _ in range(20)]
    jobs: list[list[str]] = []
    jobs += [["invoice", "--amount", str(i + 1), "--json"] for i in range(60)]
    jobs += [["pay", inv, "--json"] for inv in remote[:40]]
    jobs += [["pay", inv, "--induce-failure", "1", "--json"] for inv in remote[40:55]]
    jobs += [
        ["pay", inv, "--induce-failure", "3", "--retries", "3", "--json"] for inv in remote[55:]
    ]
    jobs += [["pay", inv, "--json"] for inv in foreign]
    jobs += [["payments", "--limit", "5", "--json"] for _ in range(30)]
    jobs += [["channel", "balance", "--json"] for _ in range(10)]
    jobs += [["pay", remote[i], "--json"] for i in range(20)]  # duplicates or in flight
    assert len(jobs) == 200
    env = {**lnctl_env(home), "LNCTL_SIM_LATENCY_MS": "20"}

    def call(args: list[str]) -> int:
        return subprocess.run(
            [sys.executable, "-m", "lnctl", *args], env=env, capture_output=True, timeout=300
        ).returncode

    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(call, jobs))
    assert set(codes) <= {0, 3, 4, 5}, codes
    m = metric_values(home)

    def history(sql: str) -> int:
        return int(rows(home, sql)[0][0] or 0)

    assert (
        m[("ln_payment_success_total", ())]
        == history("SELECT count(*) FROM payments WHERE status = 'SUCCEEDED'")
        == 55
    )
    for reason, n in [
        (r[0], r[1])
        for r in rows(
            home,
            "SELECT failure_reason, count(*) FROM payments WHERE status = 'FAILED' "
            "GROUP BY failure_reason",
        )
    ]:
        assert m[("ln_payment_failure_total", (("reason", reason),))] == n
    assert m[("ln_payment_failure_total", (("reason", "NO_ROUTE"),))] == 20
    assert m[("ln_payment_failure_total", (("reason", "TEMPORARY_CHANNEL_FAILURE"),))] == 5
    assert m[("ln_payment_attempts_total", ())] == history("SELECT sum(attempts) FROM payments")
    assert m[("ln_payment_retries_total", ())] == history(
        "SELECT sum(max(attempts - 1, 0)) FROM payments"
    )
    assert m[("ln_payment_fees_msat_total", ())] == history(
        "SELECT sum(fee_msat) FROM payments WHERE status = 'SUCCEEDED'"
    )
    assert m[("ln_payment_sent_msat_total", ())] == history(
        "SELECT sum(amount_msat) FROM payments WHERE status = 'SUCCEEDED'"
    )
    assert m[("ln_invoices_created_total", ())] == history("SELECT count(*) FROM invoices") == 60
    assert m[("ln_payment_latency_seconds_count", ())] == history(
        "SELECT count(*) FROM payments WHERE status != 'IN_FLIGHT'"
    )
    for le in ("0.1", "0.5", "1.0", "1.5", "2.0", "5.0"):
        assert m[("ln_payment_latency_seconds_bucket", (("le", le),))] == history(
            "SELECT count(*) FROM payments WHERE status != 'IN_FLIGHT' "
            f"AND latency_ms <= {float(le) * 1000}"
        )
    assert (
        abs(
            m[("ln_payment_latency_seconds_sum", ())] * 1000
            - history("SELECT sum(latency_ms) FROM payments WHERE status != 'IN_FLIGHT'")
        )
        < 1
    )
    last = history("SELECT max(updated_at) FROM payments WHERE status = 'SUCCEEDED'")
    assert abs(m[("ln_last_successful_payment_timestamp_seconds", ())] - last) <= 1
    chans = json.loads((home / "simnet" / "channels.json").read_text())["channels"]
    assert (
        m[("ln_channel_local_msat", (("channel_id", chans[0]["channel_id"]), ("state", "OPEN")))]
        == chans[0]["local_msat"]
    )


def test_every_metric_has_a_name_lnctl_documents(home: Path) -> None:
    assert run(home, "channel", "list").code == 0  # the node opens with its first channel
    names = set()
    for fam in run(home, "metrics", "--json").json["metrics"].values():
        for s in fam["samples"]:
            names.add(
                re.sub(r"_(bucket|sum|count)$", "", s["name"])
                if s["name"].startswith("ln_payment_latency")
                else s["name"]
            )
    # the simulated node exports every metric but the server wallet's balance (LNbits only:
    # tests/integration/test_lnbits.py)
    assert names == set(METRIC_NAMES) - {"ln_wallet_balance_msat"}
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for name in METRIC_NAMES:
        assert name in readme, name


def test_dashboard_queries_refer_only_to_exported_metrics() -> None:
    dash = json.loads(
        (Path(__file__).resolve().parents[2] / "examples" / "grafana-dashboard.json").read_text()
    )
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    assert len(exprs) >= 10
    used = set()
    for expr in exprs:
        for name in re.findall(r"\b(?:ln|lnctl)_[a-z_]+\b", expr):
            used.add(re.sub(r"_(bucket|sum|count)$", "", name))
    assert used and used <= set(METRIC_NAMES), used - set(METRIC_NAMES)
    assert "ln_payment_latency_seconds" in used and "ln_payment_retries_total" in used


def test_textfile_is_written_atomically(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "lnctl.prom"
    r = run(home, "metrics", "--textfile", str(target), "--json")
    assert r.code == 0 and r.json["written"] is True
    assert "ln_payment_success_total 0.0" in target.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert run(home, "metrics", "--textfile", str(tmp_path / "nope" / "x.prom")).code == 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_serve_metrics_serves_and_stops_cleanly(home: Path, stop_signal: int) -> None:
    port = free_port()
    proc = serve_metrics(home, port, subprocess.PIPE)
    try:
        body = ""
        for _ in range(100):
            try:
                body = (
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)
                    .read()
                    .decode()
                )
                break
            except OSError:
                time.sleep(0.1)
        assert "ln_payment_success_total 0.0" in body
        _head_is_get_without_body(port)
        run(
            home, "pay", run(home, "simulate", "invoice", "--amount", "1", "--json").json["invoice"]
        )
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert "ln_payment_success_total 1.0" in body  # another process's payment, seen live
        taken = run(home, "serve-metrics", "--port", str(port), "--json")
        assert taken.code == 1 and taken.json["error"]["code"] == "PORT_IN_USE"
    finally:
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def _head_is_get_without_body(port: int) -> None:
    """HEAD /metrics answers as GET does (status, type, length), with no body (read off the raw
    socket: http.client would drop one); the Server header is "lnctl" exactly (no trailing
    space, no Python)."""

    def ask(method: str, path: str) -> tuple[list[str], bytes]:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(f"{method} {path} HTTP/1.0\r\n\r\n".encode())
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        return head.decode().split("\r\n"), body

    get, body = ask("GET", "/metrics")
    head, nothing = ask("HEAD", "/metrics")
    assert get[0].split()[1] == head[0].split()[1] == "200", (get[0], head[0])
    assert nothing == b"" and body
    for lines in (get, head):
        assert "Server: lnctl" in lines, lines
        assert any(line.startswith("Content-Type: text/plain; version=") for line in lines)
        assert any(line.startswith("Content-Length: ") for line in lines)
    missing, nothing = ask("HEAD", "/elsewhere")
    assert missing[0].split()[1] == "404" and nothing == b""


def test_a_scrape_never_opens_the_node(home: Path) -> None:
    r = run(home, "metrics", "--textfile", str(home.parent / "x.prom"), "--json")
    assert r.code == 0, r.out
    assert not (home / "simnet").exists() and not home.exists()  # nothing created
    assert "ln_channel_open 0.0" in (home.parent / "x.prom").read_text()


# issue #20 (7, 10) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gateway",
    ["ftp://127.0.0.1:9091", "http://a\x01b:9091", "http://[zz", "", "http://", "http://h:99999",
     "http://h :1", "gopher://x"],
)  # fmt: skip
def test_a_bad_gateway_url_is_exit_2(home: Path, gateway: str) -> None:
    r = run(home, "metrics", "push", "--gateway", gateway, "--json")
    assert r.code == 2 and r.json["error"]["code"] == "INVALID_URL", r.out
    assert "Traceback" not in r.err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_push_error_never_shows_credentials(home: Path) -> None:
    port = _free_port()
    r = run(home, "metrics", "push", "--gateway", f"http://u:SECRET@127.0.0.1:{port}/?t=TOKEN",
            "--json")  # fmt: skip
    assert r.code == 1 and r.json["error"]["code"] == "PUSH_FAILED"
    assert "SECRET" not in r.out and "TOKEN" not in r.out


def test_textfile_errors_say_what_is_wrong(home: Path, tmp_path: Path) -> None:
    empty = run(home, "metrics", "--textfile", "", "--json")
    assert empty.code == 2 and empty.json["error"]["code"] == "INVALID_PATH"
    assert "empty" in empty.json["error"]["message"]
    link = tmp_path / "node.prom"
    link.symlink_to(tmp_path / "metrics.txt")
    r = run(home, "metrics", "--textfile", str(link), "--json")
    assert r.code == 2 and "a link to" in r.json["error"]["message"], r.out
    assert str(tmp_path / "metrics.txt") in r.json["error"]["message"]
    good = tmp_path / "real.prom"
    ok_link = tmp_path / "alias.prom"
    ok_link.symlink_to(good)
    assert run(home, "metrics", "--textfile", str(ok_link)).code == 0
    assert good.read_text().startswith("# HELP") and ok_link.is_symlink()
    folder = tmp_path / "dir.prom"
    folder.mkdir()
    r = run(home, "metrics", "--textfile", str(folder), "--json")
    assert r.code == 2 and "folder" in r.json["error"]["message"]


def test_metrics_with_the_history_missing_warns_of_a_reset(home: Path, tmp_path: Path) -> None:
    fresh = run(tmp_path / "new", "metrics")
    assert fresh.code == 0 and fresh.err == ""  # a new wallet: 0 is the truth
    assert run(home, "pay", run(home, "simulate", "invoice", "--amount", "1").out.strip()).code == 0
    for name in ("history.sqlite", "history.sqlite-wal", "history.sqlite-shm"):
        (home / name).unlink(missing_ok=True)
    for args in (["metrics"], ["metrics", "--json"], ["metrics", "--textfile",
                                                      str(tmp_path / "m.prom")]):  # fmt: skip
        r = run(home, *args)
        assert r.code == 0 and "missing" in r.err and "reset" in r.err, (args, r.err)
        assert sum("warning" in line for line in r.err.splitlines()) == 1
    assert not (home / "history.sqlite").exists()  # a scrape creates nothing


def test_metrics_on_a_read_only_home_is_read_only(home: Path, tmp_path: Path) -> None:
    """Issue #20 (7): it said CORRUPT_STATE. A read-only mount (chmod does not stop root)."""
    from tests.conftest import tmpfs

    with tmpfs(tmp_path / "ro", "4m") as mount:
        ro_home = mount / "h"
        assert run(ro_home, "pay", run(ro_home, "simulate", "invoice").out.strip(),
                   "--amount", "1").code == 0  # fmt: skip
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        for args in (["metrics"], ["metrics", "--json"], ["payments"]):
            r = run(ro_home, *args, "--json")
            assert r.code == 1 and r.json["error"]["code"] == "READ_ONLY", (args, r.out)


def test_push_with_the_history_missing_warns_and_shows_no_query(home: Path) -> None:
    """A Pushgateway stand-in on loopback (it answers every push with 200): what lnctl says
    of the push, not what the gateway does (tests/integration has the real one)."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Gateway(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:  # noqa: N802 - the http.server name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        gateway = f"http://127.0.0.1:{server.server_address[1]}"
        assert run(home, "metrics", "push", "--gateway", gateway).code == 0
        assert (
            run(home, "pay", run(home, "simulate", "invoice", "--amount", "1").out.strip()).code
            == 0
        )
        (home / "history.sqlite").unlink()
        r = run(home, "metrics", "push", "--gateway", gateway, "--json")
        assert r.code == 0 and r.json["pushed"] and "reset" in r.err, r.err
    finally:
        server.shutdown()
        server.server_close()
