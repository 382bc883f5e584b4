//! Reference values computed independently with mpmath at 60 digits by
//! `bench/wfm/gen_vectors.py` (explicit truncated-Poisson sums for Erlang B/C, brute-force
//! minimal staffing, and the truncated birth–death chain with the hypoexponential offered-wait
//! law or mpmath's regularized incomplete beta for Erlang A). Pasted verbatim from its output.

#![allow(clippy::unwrap_used)]
// tests: a panic is a failure with a message
// The vectors are pasted verbatim from mpmath (17 significant digits), in tuple rows.
#![allow(clippy::excessive_precision, clippy::type_complexity)]

use plateau_wfm::{erlang_b, ErlangA, ErlangC, Target};

fn close(got: f64, want: f64, rel: f64, what: &str) {
    let err = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        err <= rel,
        "{what}: got {got}, want {want}, relative error {err:e}"
    );
}

#[rustfmt::skip]
const ERLANG_C_POINTS: &[(f64, u64, f64, f64, f64, f64, f64, f64)] = &[
// Erlang C points: (load, advisors, aht_s, answer_s, erlang_b, p_wait, service_level, asa_s)
    (10.0, 14, 180.0, 20.0, 0.056819143386520859, 0.17413193359504984, 0.88835001917946688, 7.8359370117772429),
    (0.1, 1, 180.0, 20.0, 0.090909090909090914, 0.10000000000000001, 0.90951625819640404, 20.000000000000001),
    (0.5, 1, 300.0, 30.0, 0.33333333333333333, 0.5, 0.524385287749643, 300.0),
    (2.6, 3, 180.0, 60.0, 0.2956135629709365, 0.75889464594127812, 0.33583565390764914, 341.50259067357523),
    (10.6, 11, 180.0, 20.0, 0.18901174349324808, 0.86503349345378938, 0.17257060322475836, 389.26507205420488),
    (10.6, 12, 180.0, 20.0, 0.14307287310010752, 0.58866169237103071, 0.4961411915808825, 75.685074733418215),
    (99.5, 100, 240.0, 20.0, 0.072849356757950276, 0.94017233481689367, 0.098196608577952861, 451.28272071210896),
    (99.5, 110, 240.0, 20.0, 0.025743371932021182, 0.21680345983791151, 0.90962287185867982, 4.9555076534379775),
    (99.99, 100, 180.0, 20.0, 0.075643152658657318, 0.99877949472954418, 0.0023296439623292552, 17978.030905122598),
    (480.2, 481, 180.0, 20.0, 0.034509165912749261, 0.95553628100083219, 0.12573472774728951, 214.99566322518419),
    (480.2, 500, 180.0, 20.0, 0.014486713760677545, 0.27071371368358381, 0.97000406551186239, 2.4610337607598514),
    (1000.0, 1010, 300.0, 20.0, 0.01890017484325554, 0.66052114546784321, 0.66087713643379231, 19.815634364035296),
    (1000.0, 1050, 300.0, 20.0, 0.0038131359845401547, 0.074401774037428377, 0.997345791607965, 0.44641064422457026),
    (20000.0, 20001, 300.0, 20.0, 0.0055890374782383391, 0.99118279523447661, 0.072741571614983461, 297.35483857034298),
    (20000.0, 20050, 300.0, 20.0, 0.004136538900418501, 0.62485586386121303, 0.97770889606962344, 3.7491351831672782),
    (20000.0, 20100, 300.0, 20.0, 0.0028789313861073064, 0.36722315517806916, 0.99953265940008574, 1.1016694655342075),
];

#[rustfmt::skip]
const ERLANG_C_MIN: &[(f64, f64, f64, f64, u64, f64)] = &[
// Erlang C minimal advisors: (load, aht_s, answer_s, target, advisors, sl_at_min)
    (10.0, 180.0, 20.0, 0.8, 14, 0.88835001917946688),
    (10.6, 180.0, 20.0, 0.8, 14, 0.83161169157491942),
    (0.1, 180.0, 20.0, 0.8, 1, 0.90951625819640404),
    (2.6, 180.0, 60.0, 0.2, 3, 0.33583565390764914),
    (2.5, 180.0, 600.0, 0.5, 3, 0.86736263845676837),
    (7.7, 240.0, 120.0, 0.6, 9, 0.70533916809636048),
    (480.2, 180.0, 20.0, 0.8, 490, 0.81477225336539375),
    (480.2, 180.0, 10.0, 0.95, 505, 0.95412947157836631),
    (1000.0, 300.0, 20.0, 0.9, 1021, 0.90225694903401503),
    (20000.0, 300.0, 20.0, 0.8, 20022, 0.81110028267728336),
    (20000.0, 300.0, 15.0, 0.99, 20078, 0.99053181812585096),
];

#[rustfmt::skip]
const ERLANG_A_POINTS: &[(f64, f64, f64, u64, f64, f64, f64, f64, f64, f64)] = &[
// Erlang A points: (load, aht_s, patience_s, advisors, answer_s, p_wait, p_abandon, service_level, asa_s, occupancy)
    (10.0, 180.0, 60.0, 8, 20.0, 0.62517906573953113, 0.27835286158343521, 0.52755245944529648, 14.074539065943096, 0.90205892302070599),
    (10.0, 180.0, 60.0, 12, 20.0, 0.24042610835587457, 0.07590179693345054, 0.8603006596476895, 3.5198324085874179, 0.77008183588879122),
    (10.0, 180.0, 600.0, 14, 20.0, 0.15592733947052454, 0.0088171924136846284, 0.9066184463879303, 5.0556787014774507, 0.70798771970451098),
    (20.0, 300.0, 10.0, 5, 60.0, 0.85314982335743401, 0.75894778019501342, 0.24093146556017491, 3.9276778141017516, 0.96420887921994631),
    (20.0, 300.0, 10.0, 15, 60.0, 0.43908304104480247, 0.31697227981429459, 0.68300560659980429, 1.3933564841823342, 0.91070362691427388),
    (50.0, 240.0, 90.0, 45, 30.0, 0.62293405427666943, 0.13264966308303789, 0.75349334565417411, 11.414011641913768, 0.96372259657440235),
    (50.0, 240.0, 90.0, 60, 30.0, 0.076789679782626966, 0.0091792162043708676, 0.98748193292109815, 0.74558539658199557, 0.82568398649635761),
    (3.0, 600.0, 1200.0, 2, 30.0, 0.87705824775217774, 0.38455906343659261, 0.13693828767131634, 477.64683827387084, 0.92316140484511109),
    (500.0, 300.0, 150.0, 480, 20.0, 0.70504704488414118, 0.047303381703680839, 0.88654104741516908, 7.0770158754638555, 0.99239231072533246),
    (500.0, 300.0, 150.0, 520, 20.0, 0.16319394739964556, 0.0061530988368423927, 0.99197105885077268, 0.89903161963448294, 0.95562202034919001),
];

#[rustfmt::skip]
const ERLANG_A_MIN: &[(f64, f64, f64, f64, f64, u64)] = &[
// Erlang A minimal advisors: (load, aht_s, patience_s, answer_s, target, advisors)
    (10.0, 180.0, 60.0, 20.0, 0.8, 12),
    (20.0, 300.0, 10.0, 60.0, 0.5, 11),
    (20.0, 300.0, 30.0, 20.0, 0.8, 20),
    (50.0, 240.0, 90.0, 30.0, 0.9, 51),
    (8.6, 180.0, 240.0, 20.0, 0.8, 11),
];

#[test]
fn erlang_c_points_match_mpmath() {
    for &(a, n, aht, t, b, c, sl, asa) in ERLANG_C_POINTS {
        let what = format!("A={a} N={n}");
        close(
            erlang_b(n, a).unwrap(),
            b,
            1e-12,
            &format!("{what} erlang_b"),
        );
        let m = ErlangC::new(a, aht).unwrap().metrics(n, t).unwrap();
        close(m.p_wait, c, 1e-11, &format!("{what} p_wait"));
        close(m.service_level, sl, 1e-11, &format!("{what} service_level"));
        close(m.asa_s, asa, 1e-9, &format!("{what} asa"));
    }
}

#[test]
fn erlang_c_minimum_matches_brute_force() {
    for &(a, aht, t, target, n, sl) in ERLANG_C_MIN {
        let m = ErlangC::new(a, aht)
            .unwrap()
            .required(&Target::new(target, t))
            .unwrap();
        assert_eq!(m.advisors, n, "A={a} t={t} target={target}");
        close(m.service_level, sl, 1e-11, "sl at minimum");
    }
}

#[test]
fn erlang_a_points_match_mpmath() {
    for &(load, aht, patience, n, t, pw, pab, sl, asa, occ) in ERLANG_A_POINTS {
        let what = format!("R={load} N={n} patience={patience}");
        let m = ErlangA::new(load, aht, patience)
            .unwrap()
            .metrics(n, t)
            .unwrap();
        close(m.p_wait, pw, 1e-10, &format!("{what} p_wait"));
        close(
            m.p_abandon.unwrap(),
            pab,
            1e-10,
            &format!("{what} p_abandon"),
        );
        close(m.service_level, sl, 1e-10, &format!("{what} service_level"));
        close(m.asa_s, asa, 1e-9, &format!("{what} asa"));
        close(m.occupancy, occ, 1e-10, &format!("{what} occupancy"));
    }
}

#[test]
fn erlang_a_minimum_matches_brute_force() {
    for &(load, aht, patience, t, target, n) in ERLANG_A_MIN {
        let m = ErlangA::new(load, aht, patience)
            .unwrap()
            .required(&Target::new(target, t))
            .unwrap();
        assert_eq!(
            m.advisors, n,
            "R={load} patience={patience} target={target}"
        );
    }
}
