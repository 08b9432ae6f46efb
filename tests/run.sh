#!/usr/bin/env bash
# The whole test suite on a fresh machine: a test environment (.venv-test) with lnctl and its
# test dependencies pinned by tests/constraints.txt, Debian's Prometheus and Pushgateway, and a
# real LNbits in its own environment (.lnbits-venv, pinned by tests/lnbits-constraints.txt), then
# pytest. Extra arguments go to pytest (e.g. tests/run.sh -k bolt11).
#
#   LNCTL_TEST_PYTHON       the interpreter of the test environment (default python3)
#   LNCTL_TEST_VENV         the test environment (default .venv-test)
#   LNCTL_TEST_LNBITS_VENV  LNbits' environment, relative to the checkout or absolute
#                           (default .lnbits-venv)
#
# The Quick start's .venv is left alone: an editable install there would slow every lnctl start.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { echo "tests/run.sh: $*" >&2; }
absolute() { case $1 in /*) echo "$1" ;; *) echo "$root/$1" ;; esac; }

if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus-pushgateway >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing prometheus and prometheus-pushgateway (Debian packages; about 30 s)"
    start=$SECONDS
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      prometheus prometheus-pushgateway >/dev/null
    say "prometheus installed in $((SECONDS - start)) s"
  else
    say "prometheus/pushgateway missing and cannot apt-get: their tests will skip"
  fi
fi

# make_venv PATH PYTHON: a virtual environment at PATH, made anew unless an earlier run finished
# it (its marker file names what was installed). A dangling link or an environment an interrupted
# install left is replaced; a folder that is not a virtual environment is refused, not deleted.
complete_marker=.lnctl-complete
venv_is_complete() {  # venv_is_complete PATH WHAT
  [ -x "$1/bin/python" ] && [ -f "$1/$complete_marker" ] && [ "$(cat "$1/$complete_marker")" = "$2" ] &&
    "$1/bin/python" -c "" >/dev/null 2>&1
}
make_venv() {  # make_venv PATH PYTHON
  local path=$1 python=$2
  if [ -L "$path" ]; then
    say "$path is a symbolic link (to $(readlink "$path")): replacing it with an environment"
    rm -f "$path"
  elif [ -e "$path" ]; then
    if [ ! -f "$path/pyvenv.cfg" ] && [ -n "$(ls -A "$path" 2>/dev/null)" ]; then
      say "$path exists and is not a virtual environment: move it away or set another path"
      exit 1
    fi
    say "$path is unfinished or stale: making it anew"
    rm -rf "$path"
  fi
  "$python" -m venv "$path"
}

# LNbits for the integration tests, in its own environment (../shared/LNBITS.md): LNbits pins PyPI
# bolt11 2.1.x, which breaks with bitstring 5. tests/lnbits-constraints.txt pins the rest.
lnbits_venv=$(absolute "${LNCTL_TEST_LNBITS_VENV:-.lnbits-venv}")
lnbits_what="lnbits==1.6.2 bitstring<5 $(cksum <tests/lnbits-constraints.txt)"
if ! venv_is_complete "$lnbits_venv" "$lnbits_what"; then
  say "installing LNbits 1.6.2 in $lnbits_venv (40 s to 2.5 min on a 2-core machine, by what pip has cached)"
  start=$SECONDS
  make_venv "$lnbits_venv" python3
  "$lnbits_venv/bin/python" -m pip install -q --disable-pip-version-check \
    -c tests/lnbits-constraints.txt "lnbits==1.6.2" "bitstring<5"
  echo "$lnbits_what" >"$lnbits_venv/$complete_marker"
  say "LNbits installed in $((SECONDS - start)) s"
fi
export LNCTL_TEST_LNBITS_PYTHON="$lnbits_venv/bin/python"

python=${LNCTL_TEST_PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "$python is not Python 3.11 or newer (lnctl supports 3.11, 3.12 and 3.13)"
  exit 1
fi
venv=$(absolute "${LNCTL_TEST_VENV:-.venv-test}")
version=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
test_what="python $version $(cat pyproject.toml tests/constraints.txt | cksum)"
if ! venv_is_complete "$venv" "$test_what"; then
  say "installing lnctl and its test dependencies for Python $version in $venv (about 1 min)"
  start=$SECONDS
  make_venv "$venv" "$python"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    -c tests/constraints.txt -e '.[test]'
  echo "$test_what" >"$venv/$complete_marker"
  say "test environment ready in $((SECONDS - start)) s"
fi
exec "$venv/bin/python" -m pytest "$@"
