//! Criterion benchmark: minimal advisors (Erlang C, exact search) for the 10,000 problems of
//! `bench/wfm/inputs.csv` (loads 2–502 Erlangs), the same inputs pyworkforce is timed on.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use plateau_wfm::{ErlangA, ErlangC, Target};

fn inputs() -> Vec<(f64, f64, f64, f64)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/wfm/inputs.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<f64> = line
                .split(',')
                .map(|x| x.parse().unwrap_or(f64::NAN))
                .collect();
            ((f[1] / f[5]) * (f[2] / 60.0), f[2], f[3], f[4])
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rows = inputs();
    let mut g = c.benchmark_group("required_advisors");
    g.throughput(Throughput::Elements(rows.len() as u64));
    g.sample_size(30);
    g.bench_function("erlang_c_10000_loads_2_to_502", |b| {
        b.iter(|| {
            let mut total = 0u64;
            for &(load, aht, answer, target) in &rows {
                if let Ok(q) = ErlangC::new(load, aht) {
                    if let Ok(m) = q.required(&Target::new(target, answer)) {
                        total += m.advisors;
                    }
                }
            }
            std::hint::black_box(total)
        })
    });
    // Erlang A on the first 1,000 rows with patience equal to the handle time.
    let some = &rows[..1000];
    g.throughput(Throughput::Elements(some.len() as u64));
    g.sample_size(10);
    g.bench_function("erlang_a_1000_loads_patience_eq_aht", |b| {
        b.iter(|| {
            let mut total = 0u64;
            for &(load, aht, answer, target) in some {
                if let Ok(q) = ErlangA::new(load, aht, aht) {
                    if let Ok(m) = q.required(&Target::new(target, answer)) {
                        total += m.advisors;
                    }
                }
            }
            std::hint::black_box(total)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
