//! The simulator against the analytic models: on scenarios that satisfy the Erlang
//! assumptions (stationary Poisson arrivals, exponential handling and patience, one skill),
//! each analytic measure must lie inside the simulated 95% confidence interval.
//!
//! Each scenario runs 8 hours after a 1-hour warm-up (so the empty-centre start does not
//! bias the steady-state comparison), 20 replications, seed fixed once and never tuned.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure with a message

use plateau_wfm::sim::{simulate, Duration, RunOptions, Scenario};
use plateau_wfm::stats::Estimate;
use plateau_wfm::{ErlangA, ErlangC, Metrics};

fn scenario(
    load: f64,
    aht_s: f64,
    advisors: u32,
    patience_s: Option<f64>,
    answer_s: f64,
) -> Scenario {
    let interval_s = 3600.0;
    Scenario::single_queue(
        load * interval_s / aht_s,
        interval_s,
        9,
        Duration::Exponential { mean_s: aht_s },
        patience_s.map(|p| Duration::Exponential { mean_s: p }),
        advisors,
        answer_s,
        3600.0,
    )
}

fn check(name: &str, est: Option<Estimate>, analytic: f64) {
    let est = est.unwrap_or_else(|| panic!("{name}: no estimate"));
    eprintln!(
        "{name}: analytic {analytic:.5}, simulated {:.5} ± {:.5}",
        est.mean,
        est.half_width.unwrap_or(f64::NAN)
    );
    assert!(
        est.contains(analytic),
        "{name}: analytic {analytic} outside [{}, {}]",
        est.low(),
        est.high()
    );
}

fn run(sc: &Scenario) -> plateau_wfm::sim::Report {
    simulate(
        sc,
        &RunOptions {
            replications: 20,
            seed: 20_240_601,
            threads: 0,
        },
        &mut |_| {},
    )
    .expect("valid scenario")
}

fn compare(label: &str, sc: &Scenario, m: &Metrics) {
    let r = run(sc);
    check(
        &format!("{label} service level"),
        r.overall.service_level,
        m.service_level,
    );
    check(&format!("{label} P(wait)"), r.overall.p_wait, m.p_wait);
    check(&format!("{label} ASA"), r.overall.asa_s, m.asa_s);
    if let Some(pa) = m.p_abandon {
        check(&format!("{label} P(abandon)"), r.overall.p_abandon, pa);
    }
    check(&format!("{label} occupancy"), r.occupancy, m.occupancy);
}

#[test]
fn erlang_c_agrees_with_simulation() {
    for (load, aht, n, t) in [
        (10.0, 180.0, 14, 20.0),
        (10.0, 180.0, 12, 20.0),
        (40.0, 300.0, 44, 15.0),
    ] {
        let m = ErlangC::new(load, aht).unwrap().metrics(n, t).unwrap();
        compare(
            &format!("Erlang C A={load} N={n}"),
            &scenario(load, aht, n as u32, None, t),
            &m,
        );
    }
}

#[test]
fn erlang_a_agrees_with_simulation() {
    for (load, aht, patience, n, t) in [
        (10.0, 180.0, 60.0, 10, 20.0),
        (10.0, 180.0, 60.0, 12, 20.0),
        (20.0, 300.0, 30.0, 16, 30.0),
    ] {
        let m = ErlangA::new(load, aht, patience)
            .unwrap()
            .metrics(n, t)
            .unwrap();
        compare(
            &format!("Erlang A R={load} N={n} patience={patience}"),
            &scenario(load, aht, n as u32, Some(patience), t),
            &m,
        );
    }
}
