//! Computes the required advisors for every row of `bench/wfm/inputs.csv` (the benchmark
//! inputs shared with pyworkforce) and writes `bench/wfm/out/rust_results.csv`, so the
//! Python side can list every case where the two disagree. Also prints a wall-clock timing.
//!
//! `cargo run --release -p plateau-wfm --example staff_batch`

use std::io::Write;
use std::time::Instant;

use plateau_wfm::{ErlangC, Target};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/wfm");
    let text = std::fs::read_to_string(root.join("inputs.csv"))?;
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(str::parse).collect::<Result<_, _>>()?;
        // Same load arithmetic as pyworkforce: (transactions / interval) * aht, in minutes.
        let load = (f[1] / f[5]) * (f[2] / 60.0);
        rows.push((f[0] as u64, load, f[2], f[3], f[4]));
    }
    let start = Instant::now();
    let mut results = Vec::with_capacity(rows.len());
    for &(_, load, aht, answer, target) in &rows {
        let m = ErlangC::new(load, aht)?.required(&Target::new(target, answer))?;
        results.push((m.advisors, m.service_level));
    }
    let elapsed = start.elapsed();
    std::fs::create_dir_all(root.join("out"))?;
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(root.join("out/rust_results.csv"))?);
    writeln!(out, "id,load,required,service_level")?;
    for (row, (n, sl)) in rows.iter().zip(&results) {
        writeln!(out, "{},{:.10},{},{:.12}", row.0, row.1, n, sl)?;
    }
    println!(
        "{} computations in {:.3} ms: {:.3} µs each",
        rows.len(),
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / rows.len() as f64
    );
    Ok(())
}
