#!/usr/bin/env python3
"""Independent high-precision reference values for plateau-wfm's tests.

Run:  .venv-wfm/bin/python bench/wfm/gen_vectors.py > /tmp/vectors.txt
Needs: mpmath (pip install -r bench/wfm/requirements.txt).

Everything is computed with mpmath at 60 significant digits from the textbook definitions,
not from the Rust code's formulas:
  * Erlang B from the explicit truncated-Poisson sum  B = (A^N/N!) / sum_k A^k/k!
    (terms formed as exp(k ln A - lnGamma(k+1)), no recurrence);
  * Erlang C, SL = 1 - C exp(-(N-A) t/AHT), ASA = C AHT/(N-A) from that B;
  * minimal N by brute force, walking N upward from floor(A)+1 with an mpmath recurrence;
  * Erlang A from the truncated birth-death stationary distribution (pi_j summed until the
    tail is below 1e-40) and, for the service level and the ASA of served callers, the
    hypoexponential law of the offered wait V_k = sum_{i=0..k} Exp(n mu + i theta), integrated
    in closed form by partial fractions (small cases), or through the Beta representation
    1 - exp(-theta V_k) ~ Beta(k+1, n mu/theta) with mpmath.betainc (large cases).
The output is Rust tuples pasted into crates/plateau-wfm/tests/reference.rs.
"""
import mpmath as mp

mp.mp.dps = 60


def erlang_b_sum(n, a):
    a = mp.mpf(a)
    la = mp.log(a)
    terms = [mp.exp(k * la - mp.loggamma(k + 1)) for k in range(n + 1)]
    return terms[-1] / mp.fsum(terms)


def erlang_c_point(a, n, aht, t):
    a = mp.mpf(a)
    b = erlang_b_sum(n, a)
    c = n * b / (n - a * (1 - b))
    sl = 1 - c * mp.exp(-(n - a) * mp.mpf(t) / aht)
    asa = c * aht / (n - a)
    return b, c, sl, asa


def erlang_c_min(a, aht, t, target):
    a = mp.mpf(a)
    n0 = int(mp.floor(a)) + 1
    b = erlang_b_sum(n0, a)
    n = n0
    while True:
        c = n * b / (n - a * (1 - b))
        sl = 1 - c * mp.exp(-(n - a) * mp.mpf(t) / aht)
        if sl >= target:
            return n, sl
        n += 1
        b = a * b / (n + a * b)


def erlang_a_dist(load, aht, patience, n):
    mu = 1 / mp.mpf(aht)
    lam = mp.mpf(load) * mu
    th = 1 / mp.mpf(patience)
    p = [mp.mpf(1)]
    j = 0
    while True:
        j += 1
        death = min(j, n) * mu + max(j - n, 0) * th
        p.append(p[-1] * lam / death)
        if j > n and p[-1] < mp.mpf(10) ** -40 * mp.fsum(p):
            break
    z = mp.fsum(p)
    return [q / z for q in p], lam, mu, th


def hypo_served_within(rates, th, t):
    """E[exp(-th V) 1{V<=t}] and E[V exp(-th V)] for V = sum of Exp(rates) (distinct)."""
    s1 = mp.mpf(0)
    s2 = mp.mpf(0)
    for i, ri in enumerate(rates):
        ci = mp.mpf(1)
        for j, rj in enumerate(rates):
            if j != i:
                ci *= rj / (rj - ri)
        s1 += ci * ri * (1 - mp.exp(-(ri + th) * t)) / (ri + th)
        s2 += ci * ri / (ri + th) ** 2
    return s1, s2


def erlang_a_point(load, aht, patience, n, t, method="hypo"):
    p, lam, mu, th = erlang_a_dist(load, aht, patience, n)
    t = mp.mpf(t)
    p_wait = mp.fsum(p[n:])
    eq = mp.fsum((j - n) * p[j] for j in range(n, len(p)))
    p_ab = th * eq / lam
    sl = mp.fsum(p[:n])
    served_wait = mp.mpf(0)
    m = n * mu / th
    u = 1 - mp.exp(-th * t)
    for k in range(len(p) - n):
        w = p[n + k]
        if method == "hypo":
            rates = [n * mu + i * th for i in range(k + 1)]
            s1, s2 = hypo_served_within(rates, th, t)
        else:
            s1 = m / (m + k + 1) * mp.betainc(k + 1, m + 1, 0, u, regularized=True)
            h = mp.fsum(1 / (m + i) for i in range(1, k + 2))
            s2 = m / (m + k + 1) * h / th
        sl += w * s1
        served_wait += w * s2
    asa = served_wait / (1 - p_ab)
    occ = load * (1 - p_ab) / n
    return p_wait, p_ab, sl, asa, occ


def erlang_a_min(load, aht, patience, t, target, method="hypo"):
    n = 1
    while True:
        _, _, sl, _, _ = erlang_a_point(load, aht, patience, n, t, method)
        if sl >= target:
            return n, sl
        n += 1


def f(x):
    return mp.nstr(x, 17, min_fixed=-30, max_fixed=30)


if __name__ == "__main__":
    print("// Erlang C points: (load, advisors, aht_s, answer_s, erlang_b, p_wait, service_level, asa_s)")
    for a, n, aht, t in [
        (10, 14, 180, 20), (0.1, 1, 180, 20), (0.5, 1, 300, 30), (2.6, 3, 180, 60),
        (10.6, 11, 180, 20), (10.6, 12, 180, 20), (99.5, 100, 240, 20), (99.5, 110, 240, 20),
        (99.99, 100, 180, 20), (480.2, 481, 180, 20), (480.2, 500, 180, 20),
        (1000, 1010, 300, 20), (1000, 1050, 300, 20), (20000, 20001, 300, 20),
        (20000, 20050, 300, 20), (20000, 20100, 300, 20),
    ]:
        b, c, sl, asa = erlang_c_point(a, n, aht, t)
        print(f"    ({a}, {n}, {aht}.0, {t}.0, {f(b)}, {f(c)}, {f(sl)}, {f(asa)}),")
    print("// Erlang C minimal advisors: (load, aht_s, answer_s, target, advisors, sl_at_min)")
    for a, aht, t, target in [
        (10, 180, 20, 0.8), (10.6, 180, 20, 0.8), (0.1, 180, 20, 0.8), (2.6, 180, 60, 0.2),
        (2.5, 180, 600, 0.5), (7.7, 240, 120, 0.6), (480.2, 180, 20, 0.8), (480.2, 180, 10, 0.95),
        (1000, 300, 20, 0.9), (20000, 300, 20, 0.8), (20000, 300, 15, 0.99),
    ]:
        n, sl = erlang_c_min(a, aht, t, mp.mpf(target))
        print(f"    ({a}, {aht}.0, {t}.0, {target}, {n}, {f(sl)}),")
    print("// Erlang A points: (load, aht_s, patience_s, advisors, answer_s, p_wait, p_abandon, service_level, asa_s, occupancy)")
    cases = [
        (10, 180, 60, 8, 20, "hypo"), (10, 180, 60, 12, 20, "hypo"), (10, 180, 600, 14, 20, "hypo"),
        (20, 300, 10, 5, 60, "hypo"), (20, 300, 10, 15, 60, "hypo"), (50, 240, 90, 45, 30, "hypo"),
        (50, 240, 90, 60, 30, "hypo"), (3, 600, 1200, 2, 30, "hypo"),
        (500, 300, 150, 480, 20, "beta"), (500, 300, 150, 520, 20, "beta"),
    ]
    for load, aht, pat, n, t, meth in cases:
        pw, pab, sl, asa, occ = erlang_a_point(load, aht, pat, n, t, meth)
        print(f"    ({load}.0, {aht}.0, {pat}.0, {n}, {t}.0, {f(pw)}, {f(pab)}, {f(sl)}, {f(asa)}, {f(occ)}),")
    print("// Erlang A minimal advisors: (load, aht_s, patience_s, answer_s, target, advisors)")
    for load, aht, pat, t, target in [
        (10, 180, 60, 20, 0.8), (20, 300, 10, 60, 0.5), (20, 300, 30, 20, 0.8), (50, 240, 90, 30, 0.9),
        (8.6, 180, 240, 20, 0.8),
    ]:
        n, sl = erlang_a_min(load, aht, pat, t, mp.mpf(target))
        print(f"    ({load}.0, {aht}.0, {pat}.0, {t}.0, {target}, {n}),")
