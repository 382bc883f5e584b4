#!/usr/bin/env bash
# Search benchmark: plateau-search (tantivy) against PostgreSQL full-text search
# (french/english + unaccent) on the same labelled corpus, the same queries and
# the same 1,000,000 synthetic rows. Figures go to BENCHMARKS.md by hand.
#
#   bench/search/run.sh [DOCS]        # DOCS defaults to 1000000
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and psycopg
# (pip install "psycopg[binary]").
set -euo pipefail
cd "$(dirname "$0")/../.."
DOCS="${1:-1000000}"
WORK="${TMPDIR:-/tmp}/plateau-search-bench"
mkdir -p "$WORK"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -p plateau-search --example search_bench
"$CARGO_TARGET_DIR/release/examples/search_bench" --docs "$DOCS" --dir "$WORK/index" --export "$WORK/rows.tsv" --reps 5
python3 bench/search/pg_peer.py --large "$WORK/rows.tsv" --reps 5
