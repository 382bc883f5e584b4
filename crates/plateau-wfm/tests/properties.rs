//! Property tests: bounds and monotonicity that the exact searches rely on.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure with a message

use plateau_wfm::{erlang_b, ErlangA, ErlangC, Target};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn erlang_b_is_a_probability_decreasing_in_n(a in 0.05f64..5000.0, n in 0u64..6000) {
        let b = erlang_b(n, a).unwrap();
        prop_assert!((0.0..=1.0).contains(&b));
        prop_assert!(erlang_b(n + 1, a).unwrap() <= b);
    }

    #[test]
    fn erlang_c_service_level_increases_with_n(a in 0.1f64..2000.0, t in 0.0f64..120.0, aht in 30.0f64..900.0) {
        let q = ErlangC::new(a, aht).unwrap();
        let n0 = q.min_stable();
        let mut prev = q.metrics(n0, t).unwrap();
        for n in n0 + 1..n0 + 40 {
            let m = q.metrics(n, t).unwrap();
            prop_assert!(m.service_level >= prev.service_level - 1e-15);
            prop_assert!(m.p_wait <= prev.p_wait + 1e-15 && m.asa_s <= prev.asa_s);
            prop_assert!((0.0..=1.0).contains(&m.service_level) && (0.0..=1.0).contains(&m.p_wait));
            prev = m;
        }
    }

    #[test]
    fn erlang_c_minimum_is_tight(a in 0.1f64..3000.0, t in 0.0f64..60.0, sl in 0.05f64..0.99,
                                 occ in proptest::option::of(0.5f64..1.0), aht in 60.0f64..600.0) {
        let q = ErlangC::new(a, aht).unwrap();
        let mut target = Target::new(sl, t);
        target.max_occupancy = occ;
        let m = q.required(&target).unwrap();
        prop_assert!(m.service_level >= sl);
        prop_assert!(occ.is_none_or(|o| m.occupancy <= o));
        let below = m.advisors - 1;
        if (below as f64) > a {
            let mb = q.metrics(below, t).unwrap();
            prop_assert!(mb.service_level < sl || occ.is_some_and(|o| mb.occupancy > o));
        } else {
            prop_assert_eq!(m.advisors, q.min_stable().max(m.advisors));
        }
    }

    #[test]
    fn erlang_a_measures_are_monotone(r in 0.5f64..400.0, aht in 60.0f64..600.0, patience in 5.0f64..1200.0, t in 0.0f64..60.0) {
        let q = ErlangA::new(r, aht, patience).unwrap();
        let top = (r * 1.5) as u64 + 10;
        let step = (top / 40).max(1);
        let mut prev = q.metrics(1, t).unwrap();
        let mut n = 1 + step;
        while n <= top {
            let m = q.metrics(n, t).unwrap();
            prop_assert!(m.service_level >= prev.service_level - 1e-12, "SL n={}", n);
            prop_assert!(m.p_abandon.unwrap() <= prev.p_abandon.unwrap() + 1e-12, "Pab n={}", n);
            prop_assert!(m.asa_s <= prev.asa_s + 1e-9, "ASA n={}", n);
            prop_assert!(m.occupancy <= prev.occupancy + 1e-12, "occ n={}", n);
            for v in [m.service_level, m.p_wait, m.p_abandon.unwrap(), m.occupancy] {
                prop_assert!((0.0..=1.0).contains(&v));
            }
            prev = m;
            n += step;
        }
    }

    #[test]
    fn erlang_a_minimum_is_tight(r in 0.5f64..300.0, aht in 60.0f64..600.0, patience in 5.0f64..1200.0,
                                 t in 0.0f64..60.0, sl in 0.05f64..0.95) {
        let q = ErlangA::new(r, aht, patience).unwrap();
        let m = q.required(&Target::new(sl, t)).unwrap();
        prop_assert!(m.service_level >= sl);
        if m.advisors > 1 {
            prop_assert!(q.metrics(m.advisors - 1, t).unwrap().service_level < sl);
        }
    }
}
