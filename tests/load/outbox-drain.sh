#!/usr/bin/env bash
# The outbox benchmark of issue 14: a backlog of COUNT payment notifications (default 100 000,
# each of its own position) seeded straight into the outbox, then drained by `pagopa-server`
# into the kit's fake HTTP gestionale (signatures checked) on loopback. Prints the wall time from
# the server's start to an empty backlog, notifications per second, and the server's RssAnon
# (its own memory, sampled every second from /proc) at the start, the peak and the end.
#
#   tests/load/outbox-drain.sh                 SQLite in a scratch folder
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test tests/load/outbox-drain.sh
#
# Env: COUNT (100000), BATCH ([outbox] batch, 200), WORK (scratch folder). Builds pagopa-server
# and its outbox_backlog example in release mode; uses port 18096.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
count=${COUNT:-100000}
batch=${BATCH:-200}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
echo "work folder: $work, $count notifications"
(cd "$root" && cargo build --release --quiet -p pagopa-server --bin pagopa-server --example outbox_backlog)
server="$root/target/release/pagopa-server"
backlog_tool="$root/target/release/examples/outbox_backlog"
url=${DATABASE_URL:-sqlite://$work/pagopa.db}
if [[ "$url" == postgres* ]]; then
    psql "$url" -qc "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
else
    rm -f "$work"/pagopa.db*
fi
if curl -fs http://127.0.0.1:18096/health/live >/dev/null 2>&1; then
    echo "port 18096 is taken by another server: stop it first" >&2
    exit 1
fi
secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

"$backlog_tool" seed "$url" "$count"

"$backlog_tool" gestionale "$secret" > "$work/gestionale.log" &
fake_pid=$!
trap 'kill $fake_pid ${server_pid:-} 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do [ -s "$work/gestionale.log" ] && break; sleep 0.1; done
gestionale_url=$(head -1 "$work/gestionale.log")

cat > "$work/pagopa.toml" <<TOML
log = "warn"
[server]
port = 18096
workers = 2
[database]
url = "$url"
[node.auth]
allow_anonymous = true
[outbox]
batch = $batch
interval_ms = 100
[[entes]]
id = "80012345678"
name = "Comune di Valdesempio"
aux_digit = 3
segregation_code = 5
broker_id = "80012345676"
station_id = "80012345676_01"
bank_iban = "IT56M0306911200000000046020"
gestionale = "bench"
[gestionali.bench]
kind = "http"
base_url = "$gestionale_url"
webhook_secret = "$secret"
TOML

rss() { awk '/^RssAnon/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
backlog() { curl -fs http://127.0.0.1:18096/metrics | awk '/^pagopa_outbox_backlog / { print $2 }'; }

start=$(date +%s.%N)
"$server" --config "$work/pagopa.toml" serve > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18096/health/live >/dev/null && break; sleep 0.1; done
: > "$work/rss.txt"
while :; do
    left=$(backlog || echo "?")
    now=$(date +%s.%N)
    echo "$(awk -v s="$start" -v n="$now" 'BEGIN { printf "%.1f", n - s }') $left $(rss $server_pid)" >> "$work/rss.txt"
    [ "$left" = "0" ] && break
    kill -0 "$server_pid" || { cat "$work/server.log"; exit 1; }
    sleep 1
done
end=$(date +%s.%N)
delivered=$(tail -1 "$work/gestionale.log")
sleep 1.5
delivered=$(tail -1 "$work/gestionale.log")
echo "seconds backlog RssAnon(kB):"
awk 'NR % 10 == 1' "$work/rss.txt"
tail -1 "$work/rss.txt"
awk -v s="$start" -v e="$end" -v c="$count" -v d="$delivered" 'BEGIN {
    t = e - s; printf "drained %d notifications in %.1f s: %.0f notifications/s (the gestionale took %d distinct)\n", c, t, c / t, d }'
awk 'NR == 1 { first = $3 } { if ($3 > peak) peak = $3; last = $3 } END {
    printf "RssAnon: %d kB at start, %d kB peak, %d kB at the end\n", first, peak, last }' "$work/rss.txt"
