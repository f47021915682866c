#!/usr/bin/env bash
# The REST contract, checked by an outside suite: schemathesis (pinned) against the real
# pagopa-server in demo mode, every phase and every check, once as the Front-End (API key and
# citizen token) and once as an operator, with fixed seeds and a time budget. Any failure fails.
#
#   tests/contract/run.sh            # needs python3 -m pip; installs schemathesis if missing
#   ST_MAX_EXAMPLES=50 tests/contract/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
version="4.32.5"
max_examples="${ST_MAX_EXAMPLES:-25}"
max_time="${ST_MAX_TIME:-240}"

if ! python3 -m pip show schemathesis 2>/dev/null | grep -qx "Version: $version"; then
    python3 -m pip install --quiet "schemathesis==$version"
fi
# The console script, on PATH or where pip put it.
st_bin="$(command -v st || true)"
if [ -z "$st_bin" ]; then
    st_bin="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/st"
fi
(cd "$root" && cargo build --quiet -p pagopa-server -p pagopa-sim)
server="${CARGO_TARGET_DIR:-$root/target}/debug/pagopa-server"
sim="${CARGO_TARGET_DIR:-$root/target}/debug/pagopa-sim"

work="$(mktemp -d)"
port="${ST_PORT:-18600}"
sim_port=$((port + 1))
operator_key="contract-operator-$(date +%s)-$$"
cat > "$work/pagopa.toml" <<TOML
log = "warn"
[server]
port = $port
workers = 2
[database]
url = "sqlite://$work/pagopa.db"
[outbox]
enabled = false
# pagoPA Checkout played by the simulator, so carts are really started.
[checkout]
base_url = "http://127.0.0.1:$sim_port/checkout/ec/v2"
subscription_key = "contract-checkout-key"
[[api_keys]]
name = "contract-operator"
sha256 = "$("$server" hash-key "$operator_key")"
role = "operator"
TOML

"$sim" serve --listen "127.0.0.1:$sim_port" --ec-url "http://127.0.0.1:$port/pagopa/paForNode" > "$work/sim.log" 2>&1 &
sim_pid=$!
"$server" --config "$work/pagopa.toml" serve --demo > "$work/server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid $sim_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    grep -q "token, valid 1 hour" "$work/server.log" 2>/dev/null && break
    sleep 0.2
done
key="$(sed -n 's/^demo mode: Front-End API key //p' "$work/server.log")"
token="$(sed -n 's/.*token, valid 1 hour: //p' "$work/server.log")"
if [ -z "$key" ] || [ -z "$token" ]; then
    cat "$work/server.log" >&2
    echo "the server did not start" >&2
    exit 1
fi
url="http://127.0.0.1:$port/openapi.json"
common=(--checks all
    --phases examples,coverage,fuzzing,stateful --max-examples "$max_examples"
    --max-time "$max_time" --generation-deterministic --seed 20261201 --workers 1
    --request-timeout 10)
st=("$st_bin" --config-file "$root/tests/contract/schemathesis.toml" --no-color)

status=0
echo "==> schemathesis as the Front-End"
"${st[@]}" run "$url" "${common[@]}" -H "x-api-key: $key" -H "authorization: Bearer $token" \
    --include-tag front-end --include-tag citizen --include-tag operations || status=1
echo "==> schemathesis as an operator"
"${st[@]}" run "$url" "${common[@]}" -H "x-api-key: $operator_key" --include-tag operator || status=1
if grep -qi "panicked" "$work/server.log"; then
    echo "the server panicked:" >&2
    grep -i -A5 "panicked" "$work/server.log" >&2
    status=1
fi
exit $status
