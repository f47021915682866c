#!/usr/bin/env bash
# The reconciliation benchmark of issue 15: one flow of COUNT payments (default 100 000)
# fetched from an FdR REST service (a local stand-in of the organization API, pages of 1 000
# payments) and matched to COUNT stored receipts, through `Reconciliation::fetch_due` with the
# real FdR client: listing, header, every page, storing the flow and its raw pages, matching
# every line, saving matches and anomalies, and the sweep over all receipts. Prints the set-up
# time (not measured) and the fetch-and-match time.
#
#   tests/load/reconciliation.sh                SQLite in a scratch folder
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test tests/load/reconciliation.sh
#
# Env: COUNT (100000), WORK (scratch folder). Builds the reconciliation_bench example in
# release mode. On PostgreSQL it DROPs the schema of DATABASE_URL: give it its own database.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
count=${COUNT:-100000}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
(cd "$root" && cargo build --release --quiet -p pagopa-server --example reconciliation_bench)
url=${DATABASE_URL:-sqlite://$work/rec.db}
if [[ "$url" == postgres* ]]; then
    psql "$url" -qc "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
else
    rm -f "$work"/rec.db*
fi
echo "work folder: $work, $count payments, $url"
"$root/target/release/examples/reconciliation_bench" "$url" "$count"
