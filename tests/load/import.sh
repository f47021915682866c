#!/usr/bin/env bash
# The bulk-load benchmark of issue 13: a CSV of ROWS single-option positions (default 1 000 000,
# notice numbers left to allocate) loaded through `pagopa-server import`, then the same file
# again (every row unchanged), then a second file of the same size through the API
# (upload, poll until done). Prints seconds, rows per second and resident memory.
#
#   tests/load/import.sh                 SQLite in a scratch folder
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test tests/load/import.sh
#
# Builds pagopa-server in release mode; uses port 18095.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rows=${ROWS:-1000000}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
echo "work folder: $work, $rows rows"
(cd "$root" && cargo build --release --quiet -p pagopa-server --bin pagopa-server)
server="$root/target/release/pagopa-server"
url=${DATABASE_URL:-sqlite://$work/pagopa.db}
if [[ "$url" == postgres* ]]; then
    psql "$url" -qc "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
fi
key=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat > "$work/pagopa.toml" <<TOML
log = "warn"
[server]
port = 18095
workers = 2
[database]
url = "$url"
[imports]
dir = "$work/uploads"
[node.auth]
allow_anonymous = true
[[api_keys]]
name = "bench-operator"
role = "operator"
sha256 = "$("$server" hash-key "$key")"
TOML
python3 "$here/gen_import_csv.py" "$rows" "$work/first.csv"
python3 "$here/gen_import_csv.py" "$rows" "$work/second.csv" --prefix API27
ls -l "$work/first.csv" "$work/second.csv"

# The demo Enti (the Comune is the loads' Ente) are stored by one demo start.
if curl -fs http://127.0.0.1:18095/health/live >/dev/null 2>&1; then
    echo "port 18095 is taken by another server: stop it first" >&2
    exit 1
fi
"$server" --config "$work/pagopa.toml" serve --demo > "$work/seed.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18095/health/ready >/dev/null && break; sleep 0.1; done
kill -0 "$pid" || { cat "$work/seed.log"; exit 1; }
kill "$pid"; wait "$pid" 2>/dev/null || true

# Resident memory: RssAnon (the process's own memory) apart from RssFile, which counts the
# database pages SQLite maps (mmap_size) and the kernel can drop at any time.
rss() { awk '/^RssAnon/ { a = $2 } /^RssFile/ { f = $2 } END { print a + 0, f + 0 }' "/proc/$1/status" 2>/dev/null || echo "0 0"; }

load() { # label file
    local start end pid peak_anon=0 peak_file=0 anon file
    start=$(date +%s.%N)
    "$server" --config "$work/pagopa.toml" import --ente 80012345676 "$2" > "$work/$1.out" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        read -r anon file < <(rss "$pid")
        (( anon > peak_anon )) && peak_anon=$anon
        (( file > peak_file )) && peak_file=$file
        sleep 0.2
    done
    wait "$pid" || true
    end=$(date +%s.%N)
    echo "$1: $(tail -1 "$work/$1.out")"
    awk -v a="$start" -v b="$end" -v r="$rows" -v m="$peak_anon" -v f="$peak_file" -v l="$1" \
        'BEGIN { printf "%s: %.2f s, %.0f rows/s, peak RssAnon %.0f MB (RssFile %.0f MB)\n", l, b - a, r / (b - a), m / 1024, f / 1024 }'
}
load "cli first load" "$work/first.csv"
load "cli same file again" "$work/first.csv"

"$server" --config "$work/pagopa.toml" serve --demo > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18095/health/ready >/dev/null && break; sleep 0.1; done
read -r anon_before _ < <(rss "$pid")
start=$(date +%s.%N)
location=$(curl -fsS -D - -o /dev/null -H "x-api-key: $key" -H 'content-type: text/csv' \
    --data-binary @"$work/second.csv" http://127.0.0.1:18095/api/v1/admin/entes/80012345676/imports \
    | tr -d '\r' | awk 'tolower($1) == "location:" { print $2 }')
peak=$anon_before
while :; do
    status=$(curl -fsS -H "x-api-key: $key" "http://127.0.0.1:18095$location")
    read -r anon _ < <(rss "$pid"); (( anon > peak )) && peak=$anon
    case "$status" in *'"status":"done"'*|*'"status":"failed"'*) break ;; esac
    sleep 0.2
done
end=$(date +%s.%N)
echo "api: $status"
awk -v a="$start" -v b="$end" -v r="$rows" -v p="$peak" -v q="$anon_before" \
    'BEGIN { printf "api first load: %.2f s (upload included), %.0f rows/s, RssAnon %.0f MB before, peak %.0f MB (+%.0f MB)\n", b - a, r / (b - a), q / 1024, p / 1024, (p - q) / 1024 }'
curl -fsS -H "x-api-key: $key" "http://127.0.0.1:18095$location/report" -o "$work/api.report.csv"
head -3 "$work/api.report.csv"
kill "$pid"; wait "$pid" 2>/dev/null || true
