//! Criterion benchmark: one simulated day with 100,000 calls and 500 advisors (the scenario
//! of `bench/wfm/sim_day.json`, also run by the SimPy peer script).

use criterion::{criterion_group, criterion_main, Criterion};
use plateau_wfm::sim::{simulate, RunOptions, Scenario};

fn bench(c: &mut Criterion) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/wfm/sim_day.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let sc: Scenario = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut g = c.benchmark_group("simulator");
    g.sample_size(10);
    g.bench_function("one_day_100k_calls_500_advisors", |b| {
        b.iter(|| {
            let r = simulate(
                &sc,
                &RunOptions {
                    replications: 1,
                    seed: 7,
                    threads: 1,
                },
                &mut |_| {},
            );
            std::hint::black_box(r.map(|r| r.events_per_replication).unwrap_or(0.0))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
