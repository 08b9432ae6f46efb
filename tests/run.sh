#!/usr/bin/env bash
# The whole test suite on a fresh machine: a virtual environment with lnctl and its test
# dependencies, Debian's Prometheus and Pushgateway for the integration tests, then pytest.
# Extra arguments go to pytest (e.g. tests/run.sh -k bolt11).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus-pushgateway >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing prometheus and prometheus-pushgateway (Debian packages)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      prometheus prometheus-pushgateway >/dev/null
  else
    echo "prometheus/pushgateway missing and cannot apt-get: their tests will skip" >&2
  fi
fi

venv=${LNCTL_TEST_VENV:-.venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
exec "$venv/bin/python" -m pytest "$@"
