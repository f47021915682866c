#!/usr/bin/env bash
# The citizen-positions benchmark of issue 4: GET of a random citizen's positions (100 000
# debtors × 5 positions, SQLite) through the service, against shared/bench's ref-server running
# the same indexed query over the same rows, in one run with ratio.sh; then the idle resident
# memory of the service.
#
#   tests/load/citizen-positions.sh [SHARED_BENCH_DIR]   (default ../shared/bench)
#
# Needs wrk (apt-get install -y wrk) and curl. Builds both servers in release mode (several minutes cold),
# works in a scratch folder, uses ports 18080 (reference) and 18090 (service), 2 workers each.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=$(cd "${1:-$root/../shared/bench}" && pwd)
debtors=${DEBTORS:-100000}
duration=${DURATION:-10}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
echo "work folder: $work"

ref_target=${REF_TARGET:-$work/ref-target}   # reuse a previous build with REF_TARGET=…
cp -r "$bench/ref-server" "$work/ref-server"
chmod -R u+w "$work/ref-server"
(cd "$work/ref-server" && CARGO_TARGET_DIR="$ref_target" cargo build --release --quiet)
ref="$ref_target/release/ref-server"
(cd "$root" && cargo build --release --quiet -p pagopa-server --bin pagopa-server --example load_reference_data)

REF_DB="$work/ref.db" "$ref" --seed "$debtors" >/dev/null
"$ref" --export-csv "$debtors" > "$work/debtors.csv"
"$root/target/release/examples/load_reference_data" "$work/debtors.csv" "sqlite://$work/pagopa.db" \
    "$work/tokens.txt" "$work/public-key.txt"

key=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat > "$work/pagopa.toml" <<TOML
log = "warn"
[server]
port = 18090
workers = 2
[database]
url = "sqlite://$work/pagopa.db"
pool_size = ${POOL_SIZE:-4}
[demo]
enabled = false
# A load on loopback: the Node endpoint is open on purpose (a warning at start).
[node.auth]
allow_anonymous = true
[citizen_tokens]
public_key = "$(cat "$work/public-key.txt")"
max_lifetime_secs = 90000
[[api_keys]]
name = "bench"
sha256 = "$("$root/target/release/pagopa-server" hash-key "$key")"
role = "front_end"
TOML

REF_DB="$work/ref.db" PORT=18080 WORKERS=2 "$ref" >/dev/null 2>&1 &
ref_pid=$!
"$root/target/release/pagopa-server" --config "$work/pagopa.toml" serve >"$work/server.log" 2>&1 &
server_pid=$!
trap 'kill $ref_pid $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
    curl -sf http://127.0.0.1:18090/health/ready >/dev/null && curl -sf http://127.0.0.1:18080/hello >/dev/null && break
    sleep 0.2
done
sleep 1
echo "idle resident memory of the service: $(awk '/VmRSS/ {print $2, $3}' /proc/$server_pid/status)"

# One check request per side before measuring: both must answer 200 with five positions.
first=$(head -1 "$work/tokens.txt")
cf=${first%% *}; token=${first#* }
curl -sf -H "x-api-key: $key" -H "authorization: Bearer $token" http://127.0.0.1:18090/api/v1/me/positions \
    | grep -o '"iupd"' | wc -l | xargs echo "service positions for $cf:"
curl -sf "http://127.0.0.1:18080/debtors/$cf/positions" | grep -o '"notice_number"' | wc -l | xargs echo "reference positions for $cf:"

API_KEY=$key TOKENS="$work/tokens.txt" WRK_SCRIPT="$here/citizen-positions.lua" KEEP_DIR="$work/wrk" \
    CONNECTIONS=32 WRK_ARGS="--latency" "$bench/ratio.sh" \
    http://127.0.0.1:18090/api/v1/me/positions http://127.0.0.1:18080/debtors/_CF_/positions "$duration"
echo "p99 latency of the service per round:"
for f in "$work"/wrk/candidate-*.txt; do echo "  $(basename "$f"): $(awk '$1 == "99%" {print $2}' "$f")"; done
echo "p99 latency of the reference per round:"
for f in "$work"/wrk/ref-*.txt; do echo "  $(basename "$f"): $(awk '$1 == "99%" {print $2}' "$f")"; done
echo "resident memory of the service after the load: $(awk '/VmRSS/ {print $2, $3}' /proc/$server_pid/status)"
