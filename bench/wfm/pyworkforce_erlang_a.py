#!/usr/bin/env python3
"""pyworkforce 0.5.4's ErlangA search starts at ceil(A): on problems whose true minimum is
below the offered load it cannot return it. Prints its answer, timing, and the SL its
own model gives at plateau-wfm's answer, for the cases of tests/reference.rs (ERLANG_A_MIN).
Run: .venv-wfm/bin/python bench/wfm/pyworkforce_erlang_a.py
"""
import time

from pyworkforce.queuing import ErlangA

# (load Erlangs, aht_s, patience_s, answer_s, target, plateau-wfm minimum)
CASES = [(10, 180, 60, 20, 0.8, 12), (20, 300, 10, 60, 0.5, 11), (20, 300, 30, 20, 0.8, 20),
         (50, 240, 90, 30, 0.9, 51), (8.6, 180, 240, 20, 0.8, 11)]
for load, aht, pat, t, target, ours in CASES:
    interval = 30
    tr = load * interval / (aht / 60)
    e = ErlangA(transactions=tr, aht=aht / 60, asa=t / 60, interval=interval, patience=pat / 60)
    t0 = time.perf_counter()
    r = e.required_positions(service_level=target)
    dt = time.perf_counter() - t0
    sl_ours = e.service_level(ours)
    print(f"A={load} aht={aht}s patience={pat}s {target:.0%}/{t}s: pyworkforce {r['raw_positions']} "
          f"({dt * 1e3:.1f} ms), plateau-wfm {ours}; pyworkforce's own SL at {ours}: {sl_ours:.6f}")
