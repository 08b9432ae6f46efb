#!/usr/bin/env bash
# A CI job that pays an invoice with lnctl and branches on the documented exit codes.
#
#   LNCTL_HOME=/tmp/ci-wallet examples/ci-pay.sh [INVOICE]
#
# Without an INVOICE it asks the simulated network for one (simulated backend), so the script
# runs anywhere. Reads lnctl's --json output with python3 (no jq needed).
set -u

LNCTL=${LNCTL:-lnctl}
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)'"$1"')'; }

invoice=${1:-}
if [ -z "$invoice" ]; then
  invoice=$($LNCTL simulate invoice --amount "${AMOUNT_SAT:-2500}" --description "CI job" --json \
    | json_field '["invoice"]') || { echo "could not create an invoice" >&2; exit 1; }
fi

# Check first: --dry-run exits with the code the payment would have, moving nothing. With
# --if-paid ok, an invoice this wallet already paid is not an error (exit 0), as for pay below.
dry_doc=$($LNCTL pay "$invoice" --dry-run --if-paid ok --max-fee "${MAX_FEE_SAT:-50}" --json)
dry=$?
if [ "$dry" -ne 0 ]; then
  # a payment that would fail names its failure_reason; input lnctl refuses is an error document
  reason=$(echo "$dry_doc" | python3 -c 'import json, sys; d = json.load(sys.stdin)
print(d.get("failure_reason") or d.get("error", {}).get("code") or "?")' 2>/dev/null || echo "?")
  echo "dry run says this payment would not go through (exit $dry, $reason)" >&2
  exit "$dry"
fi

result=$($LNCTL pay "$invoice" --if-paid ok --max-fee "${MAX_FEE_SAT:-50}" --retries 3 \
  --timeout 30 --json)
code=$?
case $code in
  0)
    echo "paid: preimage $(echo "$result" | json_field '["preimage"]'), fee $(echo "$result" | json_field '["fee_msat"]') msat"
    ;;
  5)
    # already paid is exit 0 with --if-paid ok: a 5 here is a payment in flight elsewhere (or
    # kept aside): not a success, and not to be paid again
    echo "not paying twice: $(echo "$result" | json_field '["error"]["code"]')" >&2
    ;;
  6)
    hash=$(echo "$result" | json_field '["payment"]["payment_hash"]')
    echo "outcome pending: do not pay again; check later with: lnctl lookup $hash" >&2
    ;;
  3)
    echo "payment failed for good: $(echo "$result" | json_field '["error"]["code"]')" >&2
    ;;
  4)
    echo "payment failed after retries: try again later" >&2
    ;;
  2)
    echo "invalid invoice: $(echo "$result" | json_field '["error"]["message"]')" >&2
    ;;
  *)
    echo "lnctl error (exit $code)" >&2
    ;;
esac
exit "$code"
