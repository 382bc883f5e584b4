#!/usr/bin/env python3
"""SimPy peer of plateau-wfm's simulator on bench/wfm/sim_day.json: one 24-hour day,
100,000 expected calls (Poisson, constant rate), exponential handle time (mean 420 s, 486 Erlangs),
exponential patience (mean 300 s), 500 advisors, FIFO, SL threshold 20 s.

Prints the wall-clock time of one replication (best of 3) and the measures, for comparison
with `cargo bench -p plateau-wfm --bench simulator` and the analytic Erlang A values.
Run: .venv-wfm/bin/python bench/wfm/simpy_day.py
"""
import json
import pathlib
import random
import time

import simpy

sc = json.loads((pathlib.Path(__file__).parent / "sim_day.json").read_text())
HORIZON = sc["interval_s"] * sc["intervals"]
RATE = sc["skills"][0]["arrivals"][0] / sc["interval_s"]
AHT = sc["skills"][0]["handle"]["mean_s"]
PATIENCE = sc["skills"][0]["patience"]["mean_s"]
N = sc["groups"][0]["advisors"][0]
T = sc["answer_s"]


def run(seed):
    rng = random.Random(seed)
    env = simpy.Environment()
    advisors = simpy.Resource(env, capacity=N)
    st = dict(offered=0, within=0, abandoned=0, answered=0, wait=0.0)

    def call(env):
        arrive = env.now
        st["offered"] += 1
        with advisors.request() as req:
            res = yield req | env.timeout(rng.expovariate(1 / PATIENCE))
            if req in res:
                w = env.now - arrive
                st["answered"] += 1
                st["wait"] += w
                st["within"] += w <= T
                yield env.timeout(rng.expovariate(1 / AHT))
            else:
                st["abandoned"] += 1

    def source(env):
        while True:
            yield env.timeout(rng.expovariate(RATE))
            if env.now >= HORIZON:
                return
            env.process(call(env))

    env.process(source(env))
    env.run()
    return st


times = []
for seed in (1, 2, 3):
    t0 = time.perf_counter()
    st = run(seed)
    times.append(time.perf_counter() - t0)
print(f"SimPy {simpy.__version__}: one day, {st['offered']} calls, {N} advisors: best of 3 = {min(times):.3f} s "
      f"(runs: {', '.join(f'{t:.3f}' for t in times)})")
print(f"  SL {st['within'] / st['offered']:.4f}  P(abandon) {st['abandoned'] / st['offered']:.5f}  "
      f"ASA {st['wait'] / max(st['answered'], 1):.3f} s")
