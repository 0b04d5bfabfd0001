#!/usr/bin/env bash
# Throughput of the mock server alone: wrk against GET /v1/invoices/{ref} with a Bearer token.
# (`make bench` measures the same with wrk next to every client, in bench/results/latest.json.)
#
#   bench/mock_rps.sh            # writes bench/results/mock-rps.txt
#
# Env: DURATION (default 10s), THREADS (2), CONNECTIONS (64). The release binary is built where
# scripts/env.sh puts it: $CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/release/.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
source "$ROOT/bench/lib.sh"
cd "$ROOT"

OUT="$ROOT/bench/results/mock-rps.txt"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"

ensure_wrk
command -v curl >/dev/null 2>&1 || { echo "curl is not installed" >&2; exit 1; }

echo "building the mock (release)…" >&2
cargo build --release --quiet -p sepay-einvoice-mock
BIN="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/release/sepay-einvoice-mock"
[ -x "$BIN" ] || { echo "the release mock is not at $BIN" >&2; exit 1; }

LOG="$(mktemp)"
"$BIN" --port 0 >"$LOG" 2>&1 &
PID=$!
cleanup() {
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    rm -f "$LOG"
}
trap cleanup EXIT

URL=""
for _ in $(seq 1 100); do
    URL="$(head -n1 "$LOG" 2>/dev/null || true)"
    case "$URL" in http*) break ;; esac
    URL=""
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
[ -n "$URL" ] || { echo "the mock did not start: $(cat "$LOG")" >&2; exit 1; }

json_field() { # json_field NAME < body : the first string value of "NAME"
    sed -nE "s/.*\"$1\":\"([^\"]*)\".*/\1/p"
}

TOKEN="$(curl -sf -X POST -u mock_client_id:mock_client_secret "$URL/v1/token" | json_field access_token)"
[ -n "$TOKEN" ] || { echo "no token" >&2; exit 1; }
AUTH="Authorization: Bearer $TOKEN"

# Yesterday in Vietnam time, so the date is never "in the future" for the mock.
ISSUED="$(date -u -d '+7 hours -1 day' '+%Y-%m-%d %H:%M:%S')"
REF="bench-$$-$(date +%s)"
BODY=$(cat <<EOF
{"reference_code":"$REF","template_code":"1","invoice_series":"C26TSE","issued_date":"$ISSUED",
 "currency":"VND","provider_account_id":"0aea3134-da40-11f0-aef4-52c7e9b4f41b","is_draft":true,
 "buyer":{"type":"company","name":"Công ty ABC","tax_code":"0101234567","address":"123 Đường A, Quận B, Hà Nội"},
 "items":[{"line_number":1,"line_type":1,"item_code":"SP001","item_name":"Sản phẩm A","unit":"cái",
           "quantity":2,"unit_price":100000,"tax_rate":10}],
 "notes":"benchmark"}
EOF
)
TC="$(curl -sf -X POST -H "$AUTH" -H 'Content-Type: application/json' -d "$BODY" "$URL/v1/invoices/create" | json_field tracking_code)"
[ -n "$TC" ] || { echo "create failed" >&2; exit 1; }

STATUS=""
for _ in $(seq 1 50); do
    STATUS="$(curl -sf -H "$AUTH" "$URL/v1/invoices/create/check/$TC" | sed -nE 's/.*"status":"(Pending|Success|Failed)".*/\1/p')"
    [ "$STATUS" = "Success" ] && break
    sleep 0.2
done
[ "$STATUS" = "Success" ] || { echo "the draft did not complete (status: $STATUS)" >&2; exit 1; }
curl -sf -H "$AUTH" "$URL/v1/invoices/$REF" >/dev/null

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo "running wrk -t$THREADS -c$CONNECTIONS -d$DURATION…" >&2
WRK_OUT="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$AUTH" "$URL/v1/invoices/$REF")"
RPS="$(printf '%s\n' "$WRK_OUT" | awk '/^Requests\/sec:/ {print $2}')"
if printf '%s\n' "$WRK_OUT" | grep -q 'Non-2xx or 3xx responses'; then
    echo "$WRK_OUT" >&2
    echo "some responses were not 2xx" >&2
    exit 1
fi

mkdir -p "$(dirname "$OUT")"
{
    echo "# sepay-einvoice-mock throughput"
    echo "date: $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
    echo "machine: $(nproc) cores, $(uname -sm)"
    echo "server: sepay-einvoice-mock (release), started with --port 0"
    echo "request: GET /v1/invoices/{reference_code} with Authorization: Bearer (a completed draft)"
    echo "command: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency"
    echo "load average just before the run (other work on the machine): $LOAD_BEFORE"
    echo
    printf '%s\n' "$WRK_OUT"
    echo
    echo "requests/sec: $RPS"
} >"$OUT"
cat "$OUT"
