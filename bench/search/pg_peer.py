#!/usr/bin/env python3
"""PostgreSQL full-text search peer for the plateau-search benchmark.

Same labelled corpus and queries as crates/plateau-search/tests/data, and the
same large synthetic rows (exported by `search_bench --export`), searched with
PostgreSQL's `french` (and `english`) configurations plus `unaccent`:

    CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french);
    ALTER ... ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;

Two query formulations, both ranked with ts_rank_cd, title weighted A:
  * AND: websearch_to_tsquery (what a web app typically does; every word must match)
  * OR:  the query's lexemes OR-ed together (recall-friendly, like our engine)

Usage:
    pip install "psycopg[binary]"
    python3 bench/search/pg_peer.py                      # labelled corpus only
    python3 bench/search/pg_peer.py --large /tmp/plateau-search-1m.tsv
"""

import argparse
import json
import os
import statistics
import sys
import time

import psycopg

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "crates", "plateau-search", "tests", "data")
DB = "plateau_search_bench"
TENANT = "00000000-0000-0000-0000-00000000b000"  # tenant(0) in search_bench.rs


def connect(dbname):
    return psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname=dbname, autocommit=True)


def setup():
    with connect("postgres") as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone():
            c.execute(f"CREATE DATABASE {DB}")
    c = connect(DB)
    c.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    for lang, stem in (("french", "french_stem"), ("english", "english_stem")):
        name = f"{lang}_unaccent"
        if not c.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", (name,)).fetchone():
            c.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {lang})")
            c.execute(f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {stem}")
    return c


CFG = "(CASE WHEN language = 'fr' THEN 'french_unaccent'::regconfig ELSE 'english_unaccent'::regconfig END)"
TSV = f"setweight(to_tsvector({CFG}, title), 'A') || setweight(to_tsvector({CFG}, body), 'B')"


def create_table(c, name):
    c.execute(f"DROP TABLE IF EXISTS {name}")
    c.execute(
        f"""CREATE TABLE {name} (
            name text, tenant_id uuid, id uuid, kind text, language text, state text,
            reuse_count bigint, title text, body text,
            tsv tsvector GENERATED ALWAYS AS ({TSV}) STORED)"""
    )


def load_labelled(c):
    create_table(c, "kb_labelled")
    rows = []
    for lang in ("fr", "en"):
        with open(os.path.join(DATA, f"articles_{lang}.jsonl"), encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                a = json.loads(line)
                body = " ".join(a[k] for k in ("issue", "environment", "resolution", "cause"))
                body = body + " " + ", ".join(a["tags"])
                rows.append((a["id"], TENANT, lang, a["state"], a["reuse"], a["title"], body))
    with c.cursor() as cur:
        cur.executemany(
            "INSERT INTO kb_labelled (name, tenant_id, language, state, reuse_count, title, body) VALUES (%s,%s,%s,%s,%s,%s,%s)",
            rows,
        )
    c.execute("CREATE INDEX ON kb_labelled USING gin (tsv)")
    c.execute("ANALYZE kb_labelled")
    return len(rows)


def load_queries():
    out = []
    with open(os.path.join(DATA, "queries.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            out.append((cols[0], cols[1], [s.strip() for s in cols[2].split(",")]))
    return out


def sql(table, mode):
    cfg = "(CASE WHEN %(lang)s = 'fr' THEN 'french_unaccent'::regconfig ELSE 'english_unaccent'::regconfig END)"
    if mode == "and":
        q = f"websearch_to_tsquery({cfg}, %(text)s)"
    else:
        # The query's own lexemes (unaccented, stemmed), OR-ed; 'simple'
        # re-parses them without stemming twice.
        q = (
            f"(SELECT coalesce(to_tsquery('simple', string_agg(quote_literal(l), ' | ')), ''::tsquery)"
            f" FROM unnest(tsvector_to_array(to_tsvector({cfg}, %(text)s))) l)"
        )
    return (
        f"SELECT name FROM {table}, {q} AS q(q) "
        f"WHERE tenant_id = %(tenant)s AND language = %(lang)s AND coalesce(state, '') <> 'archived' AND tsv @@ q "
        f"ORDER BY ts_rank_cd(tsv, q) DESC LIMIT 10"
    )


def evaluate(c, table, queries, mode, reps):
    statement = sql(table, mode)
    lat, scores = [], []
    for rep in range(reps + 1):
        scores = []
        for lang, text, relevant in queries:
            t0 = time.perf_counter()
            rows = c.execute(statement, {"lang": lang, "text": text, "tenant": TENANT}).fetchall()
            dt = time.perf_counter() - t0
            if rep > 0:
                lat.append(dt)
            ranked = [r[0] for r in rows]
            recall = sum(1 for r in relevant if r in ranked[:5]) / len(relevant)
            rr = next((1.0 / (i + 1) for i, x in enumerate(ranked) if x in relevant), 0.0)
            scores.append((recall, rr))
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, round((len(lat) - 1) * p))] * 1000
    return {
        "queries": len(scores),
        "recall@5": round(sum(s[0] for s in scores) / len(scores), 3),
        "mrr": round(sum(s[1] for s in scores) / len(scores), 3),
        "p50_ms": round(pct(0.5), 2),
        "p99_ms": round(pct(0.99), 2),
        "mean_ms": round(statistics.mean(lat) * 1000, 2),
        "runs": len(lat),
    }


def load_large(c, path):
    create_table(c, "kb_large")
    c.execute("SET maintenance_work_mem = '1GB'")
    t0 = time.perf_counter()
    with c.cursor() as cur:
        with cur.copy(
            "COPY kb_large (name, tenant_id, id, kind, language, state, reuse_count, title, body) FROM STDIN"
        ) as copy:
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
    t_copy = time.perf_counter() - t0
    t1 = time.perf_counter()
    c.execute("CREATE INDEX kb_large_tsv ON kb_large USING gin (tsv)")
    t_gin = time.perf_counter() - t1
    c.execute("CREATE INDEX kb_large_tenant ON kb_large (tenant_id, language)")
    c.execute("ANALYZE kb_large")
    t_all = time.perf_counter() - t0
    n = c.execute("SELECT count(*) FROM kb_large").fetchone()[0]
    size = c.execute("SELECT pg_total_relation_size('kb_large')").fetchone()[0]
    return {
        "rows": n,
        "copy_with_tsvector_s": round(t_copy, 1),
        "gin_build_s": round(t_gin, 1),
        "total_s": round(t_all, 1),
        "rows_per_s": round(n / t_all),
        "size_mb": round(size / 1e6),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", help="TSV exported by search_bench --export")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--skip-load", action="store_true", help="reuse kb_large from a previous run")
    a = ap.parse_args()
    c = setup()
    print("postgres:", c.execute("SHOW server_version").fetchone()[0])
    n = load_labelled(c)
    queries = load_queries()
    print(f"labelled corpus: {n} articles, {len(queries)} queries")
    for mode in ("and", "or"):
        print(f"labelled, {mode.upper()}:", json.dumps(evaluate(c, "kb_labelled", queries, mode, a.reps)))
    if a.large:
        if not a.skip_load:
            print("large load:", json.dumps(load_large(c, a.large)))
        for mode in ("and", "or"):
            print(f"large, {mode.upper()}:", json.dumps(evaluate(c, "kb_large", queries, mode, a.reps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
