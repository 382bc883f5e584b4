#!/usr/bin/env python3
"""Writes bench/wfm/inputs.csv: 10,000 deterministic staffing problems for the side-by-side
benchmark of plateau-wfm and pyworkforce (both read this same file).

Loads are uniform in [2, 502] Erlangs (a 64-bit LCG, seed 2024, no randomness from the
platform), on 30-minute intervals, with handle times, answer times and targets drawn from
typical voice, chat and back-office values. `transactions` is the contact volume; both
implementations derive the load as (transactions / 30) * (aht_s / 60) Erlangs.
"""
import csv
import pathlib

state = 2024


def lcg():
    global state
    state = (6364136223846793005 * state + 1442695040888963407) % 2**64
    return (state >> 11) / 2**53


AHTS = [120, 180, 240, 300, 420, 600]
ANSWERS = [10, 15, 20, 30, 60, 300]
TARGETS = [0.7, 0.8, 0.85, 0.9, 0.95]

out = pathlib.Path(__file__).with_name("inputs.csv")
with out.open("w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "transactions", "aht_s", "answer_s", "target_sl", "interval_min"])
    for i in range(10_000):
        load = round(2 + 500 * lcg(), 4)
        aht = AHTS[int(lcg() * len(AHTS))]
        ans = ANSWERS[int(lcg() * len(ANSWERS))]
        tgt = TARGETS[int(lcg() * len(TARGETS))]
        transactions = round(load * 30 / (aht / 60), 6)
        w.writerow([i, transactions, aht, ans, tgt, 30])
print(f"wrote {out}")
