#!/usr/bin/env bash
# Desk benchmarks for BENCHMARKS.md: conversation creation over HTTP on SQLite
# and PostgreSQL, inbox latency in a tenant of 1,000,000 conversations, and idle
# memory. Needs a release build (cargo build --release -p plateau), wrk, curl,
# and a PostgreSQL server at $PG (trust auth).
# Usage: bench/desk/run.sh [create|search]
#   create: only the creation part; search: only the desk-search part (a
#   SEARCH_SCALE-conversation tenant, reindexed, then searched over HTTP)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/release/plateau}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-8181}
DUR=${DUR:-20s}
CONN=${CONN:-32}
SCALE=${SCALE:-1000000}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

start() { # start URL → waits until healthy, sets PID
  "$BIN" serve --listen 127.0.0.1:$PORT --database-url "$1" --demo >"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && return; sleep 0.5; done
  echo "server did not start"; cat "$WORK/server.log"; exit 1
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; }

token() { # log in as the supervisor and mint an API token
  local jar="$WORK/jar" csrf
  rm -f "$jar"
  csrf=$(curl -s -c "$jar" -b "$jar" http://127.0.0.1:$PORT/login | grep -o 'name="_csrf" value="[^"]*"' | sed 's/.*value="//;s/"//')
  curl -s -c "$jar" -b "$jar" -o /dev/null -d "email=superviseur@plateau.demo&password=plateau-demo&_csrf=$csrf" http://127.0.0.1:$PORT/login
  csrf=$(curl -s -b "$jar" http://127.0.0.1:$PORT/settings | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
  curl -s -b "$jar" -H "x-csrf-token: $csrf" -H 'content-type: application/json' -d '{"name":"bench"}' \
    http://127.0.0.1:$PORT/api/v1/me/tokens | sed 's/.*"token":"\([^"]*\)".*/\1/'
}

rss_kib() { awk '/VmRSS/ {print $2}' /proc/$1/status; }

echo "## machine"; lscpu | grep -E 'Model name|^CPU\(s\)'; free -g | head -2; uname -r
echo

if [ "${1:-}" = "search" ]; then
  N=${SEARCH_SCALE:-100000}
  echo "## desk search over HTTP, demo + $N conversations (SQLite)"
  /usr/bin/time -f "seeding: %e s wall, %M KiB max RSS" "$BIN" demo --data-dir "$WORK/s" --scale "$N"
  /usr/bin/time -f "reindex: %e s wall, %M KiB max RSS" "$BIN" reindex --data-dir "$WORK/s"
  "$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$WORK/s" >"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
  TOKEN=$(token)
  for name in "two words, all kinds|/api/v1/tenants/orbitel/search?q=connexion%20lente" \
              "no accents + typo|/api/v1/tenants/orbitel/search?q=facture%20prelevment" \
              "as you type, articles|/api/v1/tenants/orbitel/search?q=debit%20fai&as_you_type=true&kind=article" \
              "phrase, messages|/api/v1/tenants/orbitel/search?q=%22ne%20s%27allume%20plus%22&kind=message"; do
    echo "### ${name%%|*}"
    TOKEN=$TOKEN PATHS="${name#*|}" wrk -t1 -c4 -d10s --latency -s bench/desk/get.lua http://127.0.0.1:$PORT
  done
  echo "RSS under the search load: $(rss_kib $PID) KiB"
  stop
  exit 0
fi

echo "## create conversations over HTTP: SQLite"
start "sqlite://$WORK/sqlite.db"
sleep 5
echo "idle RSS after demo seed + 5 s: $(rss_kib $PID) KiB"
TOKEN=$(token) RUN=s wrk -t2 -c$CONN -d$DUR --latency -s bench/desk/create.lua http://127.0.0.1:$PORT
stop

echo "## idle RSS of a fresh start on the seeded SQLite database"
"$BIN" serve --listen 127.0.0.1:$PORT --database-url "sqlite://$WORK/sqlite.db" >"$WORK/idle.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
sleep 10
echo "idle RSS: $(rss_kib $PID) KiB"
stop

echo "## create conversations over HTTP: PostgreSQL"
DB="plateau_bench_$$"
psql "$PG/postgres" -qc "CREATE DATABASE $DB"
start "$PG/$DB"
sleep 2
TOKEN=$(token) RUN=p wrk -t2 -c$CONN -d$DUR --latency -s bench/desk/create.lua http://127.0.0.1:$PORT
stop
psql "$PG/postgres" -qc "DROP DATABASE $DB"

if [ "${1:-}" = "create" ]; then exit 0; fi

echo "## inbox with $SCALE conversations in the tenant (SQLite)"
/usr/bin/time -f "seeding: %e s wall, %M KiB max RSS" "$BIN" demo --database-url "sqlite://$WORK/big.db" --scale "$SCALE"
ls -la "$WORK"/big.db*
start "sqlite://$WORK/big.db"
TOKEN=$(token)
for name in "API list, all statuses|/api/v1/tenants/orbitel/conversations?limit=50" \
            "API list, active only|/api/v1/tenants/orbitel/conversations?status=active&limit=50" \
            "API list, unassigned active|/api/v1/tenants/orbitel/conversations?view=unassigned&status=active&limit=50" \
            "inbox page (HTML), all active|/t/orbitel/inbox?view=all&status=active" \
            "inbox page (HTML), closed, channel chat|/t/orbitel/inbox?view=all&status=closed&channel=chat"; do
  echo "### ${name%%|*}"
  TOKEN=$TOKEN PATHS="${name#*|}" wrk -t1 -c4 -d10s --latency -s bench/desk/get.lua http://127.0.0.1:$PORT
done
echo "RSS under the inbox load: $(rss_kib $PID) KiB"
stop
