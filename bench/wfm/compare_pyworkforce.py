#!/usr/bin/env python3
"""Side-by-side with pyworkforce: times pyworkforce.queuing.ErlangC.required_positions on the
10,000 problems of bench/wfm/inputs.csv and lists every case where its answer differs from
plateau-wfm's (bench/wfm/out/rust_results.csv, written by
`cargo run --release -p plateau-wfm --example staff_batch`), with the reason, checked by
recomputing the service level at both answers with mpmath at 40 digits.

Run: .venv-wfm/bin/python bench/wfm/compare_pyworkforce.py
"""
import csv
import math
import pathlib
import platform
import sys
import time

import mpmath as mp
import pyworkforce
from pyworkforce.queuing import ErlangC

mp.mp.dps = 40
here = pathlib.Path(__file__).parent
rows = list(csv.DictReader((here / "inputs.csv").open()))
rust = {r["id"]: r for r in csv.DictReader((here / "out" / "rust_results.csv").open())}


def sl_exact(a, n, aht, t):
    a = mp.mpf(a)
    if n <= a:
        return mp.mpf(0)
    b = mp.mpf(1)
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    c = n * b / (n - a * (1 - b))
    return 1 - c * mp.exp(-(n - a) * mp.mpf(t) / aht)


problems = []
for r in rows:
    problems.append(dict(id=r["id"], transactions=float(r["transactions"]), aht=float(r["aht_s"]) / 60,
                         asa=float(r["answer_s"]) / 60, interval=int(r["interval_min"]),
                         target=float(r["target_sl"]), answer_s=float(r["answer_s"]), aht_s=float(r["aht_s"])))

# Warm-up, then three timed passes; the best pass is reported (least disturbed by the OS).
for p in problems[:200]:
    ErlangC(transactions=p["transactions"], aht=p["aht"], asa=p["asa"], interval=p["interval"]).required_positions(p["target"])
passes = []
results = None
for _ in range(3):
    t0 = time.perf_counter()
    res = []
    for p in problems:
        e = ErlangC(transactions=p["transactions"], aht=p["aht"], asa=p["asa"], interval=p["interval"])
        res.append((e.intensity, e.required_positions(service_level=p["target"])))
    passes.append(time.perf_counter() - t0)
    results = res
best = min(passes)
print(f"python {platform.python_version()} pyworkforce {pyworkforce.__version__ if hasattr(pyworkforce, '__version__') else '0.5.4'}")
print(f"pyworkforce: {len(problems)} computations, best of 3 passes {best:.3f} s = {best / len(problems) * 1e6:.1f} us each "
      f"(passes: {', '.join(f'{x:.3f}' for x in passes)})")

diffs = []
for p, (a, r) in zip(problems, results):
    ours = int(rust[p["id"]]["required"])
    theirs = r["raw_positions"]
    if ours != theirs:
        lo, hi = min(ours, theirs), max(ours, theirs)
        sl_lo = sl_exact(a, lo, p["aht_s"], p["answer_s"])
        start = round(a + 1)
        if theirs > ours and ours < start and sl_lo >= p["target"]:
            reason = f"pyworkforce starts at round(A+1) = {start} and never tries N = {ours} = floor(A)+1, which meets the target"
        else:
            reason = "other"
        diffs.append((p["id"], a, p["aht_s"], p["answer_s"], p["target"], ours, theirs, float(sl_lo), reason))

print(f"answers differ in {len(diffs)} of {len(problems)} cases")
out = here / "out" / "differences.csv"
with out.open("w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "load_erlangs", "aht_s", "answer_s", "target_sl", "plateau_wfm", "pyworkforce", "exact_sl_at_smaller_n", "reason"])
    for d in diffs:
        w.writerow([d[0], f"{d[1]:.6f}", d[2], d[3], d[4], d[5], d[6], f"{d[7]:.10f}", d[8]])
print(f"wrote {out}")
reasons = {}
for d in diffs:
    reasons[d[8].split(" = ")[0]] = reasons.get(d[8].split(" = ")[0], 0) + 1
for k, v in reasons.items():
    print(f"  {v:5d}  {k}")
# Also confirm with mpmath that our minimum is exact on a deterministic sample of 300 rows.
bad = 0
for p, (a, r) in list(zip(problems, results))[::33]:
    n = int(rust[p["id"]]["required"])
    ok_n = sl_exact(a, n, p["aht_s"], p["answer_s"]) >= p["target"]
    below = n - 1
    ok_below = below > a and sl_exact(a, below, p["aht_s"], p["answer_s"]) >= p["target"]
    if not ok_n or ok_below:
        bad += 1
print(f"mpmath check of plateau-wfm minimum on {len(problems[::33])} rows: {bad} wrong")
