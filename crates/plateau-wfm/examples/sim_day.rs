//! Runs `bench/wfm/sim_day.json` (one day, 100,000 calls, 500 advisors) once for a
//! wall-clock timing comparable with `bench/wfm/simpy_day.py`, then 10 replications for
//! confidence intervals next to the analytic Erlang A values.
//!
//! `cargo run --release -p plateau-wfm --example sim_day`

use std::time::Instant;

use plateau_wfm::sim::{simulate, RunOptions, Scenario};
use plateau_wfm::ErlangA;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/wfm/sim_day.json");
    let sc: Scenario = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut best = f64::INFINITY;
    for seed in 1..=3 {
        let t0 = Instant::now();
        let r = simulate(
            &sc,
            &RunOptions {
                replications: 1,
                seed,
                threads: 1,
            },
            &mut |_| {},
        )?;
        let dt = t0.elapsed().as_secs_f64();
        best = best.min(dt);
        println!(
            "seed {seed}: {:.1} ms, {} calls, {:.0} events, SL {:.4}, P(abandon) {:.5}, ASA {:.3} s",
            dt * 1e3,
            r.overall.offered.map_or(0.0, |e| e.mean),
            r.events_per_replication,
            r.overall.service_level.map_or(f64::NAN, |e| e.mean),
            r.overall.p_abandon.map_or(f64::NAN, |e| e.mean),
            r.overall.asa_s.map_or(f64::NAN, |e| e.mean),
        );
    }
    println!(
        "best of 3: {:.1} ms per simulated day (one thread)",
        best * 1e3
    );
    let r = simulate(
        &sc,
        &RunOptions {
            replications: 10,
            seed: 1,
            threads: 1,
        },
        &mut |_| {},
    )?;
    let skill = &sc.skills[0];
    let load = skill.arrivals[0] / sc.interval_s * skill.handle.mean();
    let patience = skill.patience.map_or(f64::INFINITY, |p| p.mean());
    let a = ErlangA::new(load, skill.handle.mean(), patience)?
        .metrics(u64::from(sc.groups[0].advisors[0]), sc.answer_s)?;
    let show = |name: &str, e: Option<plateau_wfm::stats::Estimate>, analytic: f64| {
        if let Some(e) = e {
            println!(
                "{name:>10}: simulated {:.5} ± {:.5}   Erlang A (steady state) {analytic:.5}",
                e.mean,
                e.half_width.unwrap_or(0.0)
            );
        }
    };
    println!("10 replications, {load:.1} Erlangs:");
    show("SL", r.overall.service_level, a.service_level);
    show(
        "P(abandon)",
        r.overall.p_abandon,
        a.p_abandon.unwrap_or(0.0),
    );
    show("ASA (s)", r.overall.asa_s, a.asa_s);
    Ok(())
}
