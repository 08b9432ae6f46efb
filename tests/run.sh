#!/usr/bin/env bash
# The whole test suite on a fresh machine: a virtual environment with lnctl and its test
# dependencies, Debian's Prometheus and Pushgateway and a real LNbits for the integration tests,
# then pytest.
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

# A real LNbits for the integration tests, in its own virtual environment (../shared/LNBITS.md):
# LNbits pins PyPI bolt11 2.1.x, which breaks with bitstring 5.
lnbits_venv=${LNCTL_TEST_LNBITS_VENV:-.lnbits-venv}
if ! "$lnbits_venv/bin/python" -c "import lnbits" >/dev/null 2>&1; then
  echo "installing LNbits 1.6.2 in $lnbits_venv (about 30 s)" >&2
  python3 -m venv "$lnbits_venv"
  "$lnbits_venv/bin/python" -m pip install -q --disable-pip-version-check \
    "lnbits==1.6.2" "bitstring<5"
fi
export LNCTL_TEST_LNBITS_PYTHON="$PWD/$lnbits_venv/bin/python"

venv=${LNCTL_TEST_VENV:-.venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
exec "$venv/bin/python" -m pytest "$@"
