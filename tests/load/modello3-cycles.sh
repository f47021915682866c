#!/usr/bin/env bash
# The modello-3 benchmark of issue 5: full pagoPA cycles (paVerifyPaymentNotice, paGetPaymentV2,
# paSendRTV2) against the service on SQLite, 16 cycles at a time, each on a distinct payable
# notice of the shared/bench data set (100 000 debtors × 5 positions). `pagopa-sim bench` plays
# the Node and reports cycles per second and the latency of each call.
#
#   tests/load/modello3-cycles.sh [SHARED_BENCH_DIR]   (default ../shared/bench)
#
# Env: DEBTORS (100000), DURATION (20 s), CONCURRENCY (16), WORKERS (2), WORK (scratch folder),
# REF_TARGET (reuse a ref-server build). Builds the service, the simulator and ref-server (only
# to export the data set) in release mode; uses port 18091.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=$(cd "${1:-$root/../shared/bench}" && pwd)
debtors=${DEBTORS:-100000}
duration=${DURATION:-20}
concurrency=${CONCURRENCY:-16}
workers=${WORKERS:-2}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
echo "work folder: $work"

ref_target=${REF_TARGET:-$work/ref-target}
if [ ! -x "$ref_target/release/ref-server" ]; then
    cp -r "$bench/ref-server" "$work/ref-server"
    chmod -R u+w "$work/ref-server"
    (cd "$work/ref-server" && CARGO_TARGET_DIR="$ref_target" cargo build --release --quiet)
fi
(cd "$root" && cargo build --release --quiet -p pagopa-server -p pagopa-sim --bins --example load_reference_data)

rm -f "$work"/pagopa.db*
"$ref_target/release/ref-server" --export-csv "$debtors" > "$work/debtors.csv"
"$root/target/release/examples/load_reference_data" "$work/debtors.csv" "sqlite://$work/pagopa.db" \
    "$work/tokens.txt" "$work/public-key.txt"
# Payable notices only, shuffled so consecutive cycles touch unrelated rows.
awk -F, 'NR > 1 && $7 == "PAYABLE" { print $2 }' "$work/debtors.csv" | shuf --random-source=<(yes) > "$work/notices.txt"
echo "payable notices: $(wc -l < "$work/notices.txt")"

cat > "$work/pagopa.toml" <<TOML
log = "warn"
[server]
port = 18091
workers = $workers
[database]
url = "sqlite://$work/pagopa.db"
pool_size = 8
[demo]
enabled = false
# A load on loopback: the Node endpoint is open on purpose (a warning at start).
[node.auth]
allow_anonymous = true
# No gestionale in this measurement: delivering notifications is a separate, asynchronous load.
[outbox]
enabled = false
TOML

"$root/target/release/pagopa-server" --config "$work/pagopa.toml" serve >"$work/server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
    curl -sf http://127.0.0.1:18091/health/ready >/dev/null && break
    sleep 0.2
done

"$root/target/release/pagopa-sim" bench --ec-url http://127.0.0.1:18091/pagopa/paForNode \
    --ente 80012345676 --notices-file "$work/notices.txt" \
    --concurrency "$concurrency" --duration-secs "$duration"
echo "resident memory of the service after the load: $(awk '/VmRSS/ {print $2, $3}' /proc/$server_pid/status)"
