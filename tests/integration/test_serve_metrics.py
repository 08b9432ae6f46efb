"""serve-metrics as a process, against clients that misbehave: it keeps serving and its stderr
holds no traceback."""

from __future__ import annotations

import socket
import struct
import subprocess
import time
from pathlib import Path

from tests.cli.test_metrics import free_port
from tests.conftest import serve_metrics
from tests.integration.test_prometheus import get, wait_for


def test_a_client_that_resets_mid_request_prints_no_traceback(home: Path) -> None:
    port = free_port()
    proc = serve_metrics(home, port, subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        wait_for(url)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /met")  # half a request line, then a reset (linger 0)
            time.sleep(0.3)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.3)
        assert "ln_payment_success_total" in get(url)  # still serving
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "Traceback" not in err and "Exception occurred" not in err, err
