//! Front-ends for `plateau staff` and `plateau simulate` (cargo feature `cli`): argument
//! definitions, the intervals CSV reader, progress bars and table/CSV/JSON rendering. The
//! `plateau` binary only has to flatten these argument structs into its subcommands.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::error::WfmError;
use crate::sim::{self, Duration, RunOptions, Scenario};
use crate::staffing::{required_advisors, StaffingRequest, StaffingResult};
use crate::stats::Estimate;
use crate::Target;

/// Errors of the CLI layer: library errors plus I/O and input-file problems, each locating
/// the offending field (and row for CSV input).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Invalid figures, unreachable targets.
    #[error(transparent)]
    Wfm(#[from] WfmError),
    /// A CSV input row could not be used.
    #[error("{path}: row {row} (line {line}), field {field}: {message}")]
    Csv {
        /// Input file.
        path: String,
        /// Data row number, 1 for the first row after the header.
        row: usize,
        /// Line number in the file.
        line: u64,
        /// Column name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A row was read but its staffing could not be computed.
    #[error("{path}: row {row} (line {line}): {source}")]
    Row {
        /// Input file.
        path: String,
        /// Data row number.
        row: usize,
        /// Line number in the file.
        line: u64,
        /// The library error, naming the field.
        source: WfmError,
    },
    /// A required value is neither given as a flag nor as a CSV column.
    #[error("missing {field}: {hint}")]
    Missing {
        /// Flag or column name.
        field: String,
        /// How to provide it.
        hint: String,
    },
    /// The scenario file is not valid JSON for a [`Scenario`].
    #[error("{path}: {message}")]
    Scenario {
        /// Scenario file.
        path: String,
        /// Parser message (with line and column).
        message: String,
    },
    /// Reading input or writing output failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being read or written.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
    let context = context.into();
    move |source| CliError::Io { context, source }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned text table.
    #[default]
    Table,
    /// JSON.
    Json,
    /// CSV with a header row.
    Csv,
}

/// `plateau staff`: minimal advisors for one interval, or for every row of a CSV.
#[derive(Debug, Clone, clap::Args)]
pub struct StaffArgs {
    /// Contacts offered in the interval (single-interval mode).
    #[arg(long, required_unless_present = "input", conflicts_with = "input")]
    pub contacts: Option<f64>,
    /// Interval length in minutes.
    #[arg(long, default_value_t = 30.0)]
    pub interval_min: f64,
    /// Average handle time in seconds.
    #[arg(long)]
    pub aht_s: Option<f64>,
    /// Target service level, strictly between 0 and 1 (0.8 for 80/20).
    #[arg(long)]
    pub target_sl: Option<f64>,
    /// Answer time of the service level, in seconds (20 for 80/20).
    #[arg(long)]
    pub answer_s: Option<f64>,
    /// Shrinkage in [0, 1): scheduled = ceil(required / (1 − shrinkage)).
    #[arg(long, default_value_t = 0.0)]
    pub shrinkage: f64,
    /// Occupancy cap in (0, 1].
    #[arg(long)]
    pub max_occupancy: Option<f64>,
    /// Cap on the average speed of answer, seconds.
    #[arg(long)]
    pub max_asa_s: Option<f64>,
    /// Cap on the abandonment probability (Erlang A), in (0, 1].
    #[arg(long)]
    pub max_abandon: Option<f64>,
    /// Headcount available: fail rather than require more.
    #[arg(long)]
    pub max_advisors: Option<u64>,
    /// Mean patience in seconds; switches from Erlang C to Erlang A.
    #[arg(long)]
    pub patience_s: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// CSV of intervals: header row, then one row per interval. Column `contacts` is required;
    /// optional columns `interval` (a label), `interval_min`, `aht_s`, `target_sl`, `answer_s`,
    /// `patience_s`, `shrinkage`, `max_occupancy`, `max_asa_s`, `max_abandon` override the
    /// flags for that row; empty cells fall back to the flags.
    #[arg(long)]
    pub input: Option<PathBuf>,
}

/// One line of `plateau staff` output. Field names are part of the JSON contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaffRow {
    /// Interval label (CSV mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// `erlang_c` or `erlang_a`.
    pub model: crate::staffing::Model,
    /// Offered load in Erlangs.
    pub load_erlangs: f64,
    /// Productive advisors required.
    pub required: u64,
    /// Advisors to schedule after shrinkage.
    pub scheduled: u64,
    /// Service level achieved at `required`.
    pub service_level: f64,
    /// Probability of waiting.
    pub p_wait: f64,
    /// Probability of abandoning (Erlang A only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_abandon: Option<f64>,
    /// Average speed of answer (answered contacts), seconds.
    pub asa_s: f64,
    /// Occupancy.
    pub occupancy: f64,
}

impl StaffRow {
    fn new(interval: Option<String>, r: &StaffingResult) -> Self {
        StaffRow {
            interval,
            model: r.model,
            load_erlangs: r.metrics.load_erlangs,
            required: r.required,
            scheduled: r.scheduled,
            service_level: r.metrics.service_level,
            p_wait: r.metrics.p_wait,
            p_abandon: r.metrics.p_abandon,
            asa_s: r.metrics.asa_s,
            occupancy: r.metrics.occupancy,
        }
    }
}

fn need(v: Option<f64>, field: &str, flag: &str) -> Result<f64, CliError> {
    v.ok_or_else(|| CliError::Missing {
        field: field.into(),
        hint: format!("pass {flag} or add a `{field}` column"),
    })
}

fn request_from(
    args: &StaffArgs,
    contacts: f64,
    o: &Overrides,
) -> Result<StaffingRequest, CliError> {
    let pick = |col: Option<f64>, flag: Option<f64>| col.or(flag);
    Ok(StaffingRequest {
        contacts,
        interval_s: pick(o.interval_min, Some(args.interval_min)).unwrap_or(30.0) * 60.0,
        aht_s: need(pick(o.aht_s, args.aht_s), "aht_s", "--aht-s")?,
        target: Target {
            service_level: need(
                pick(o.target_sl, args.target_sl),
                "target_sl",
                "--target-sl",
            )?,
            answer_s: need(pick(o.answer_s, args.answer_s), "answer_s", "--answer-s")?,
            max_occupancy: pick(o.max_occupancy, args.max_occupancy),
            max_asa_s: pick(o.max_asa_s, args.max_asa_s),
            max_abandon: pick(o.max_abandon, args.max_abandon),
            max_advisors: args.max_advisors,
        },
        patience_s: pick(o.patience_s, args.patience_s),
        shrinkage: pick(o.shrinkage, Some(args.shrinkage)).unwrap_or(0.0),
    })
}

#[derive(Debug, Default)]
struct Overrides {
    interval_min: Option<f64>,
    aht_s: Option<f64>,
    target_sl: Option<f64>,
    answer_s: Option<f64>,
    patience_s: Option<f64>,
    shrinkage: Option<f64>,
    max_occupancy: Option<f64>,
    max_asa_s: Option<f64>,
    max_abandon: Option<f64>,
}

const COLUMNS: &[&str] = &[
    "interval",
    "contacts",
    "interval_min",
    "aht_s",
    "target_sl",
    "answer_s",
    "patience_s",
    "shrinkage",
    "max_occupancy",
    "max_asa_s",
    "max_abandon",
];

/// A parsed CSV row: label, contacts, per-row overrides, and its position for messages.
struct InputRow {
    label: Option<String>,
    contacts: f64,
    overrides: Overrides,
    row: usize,
    line: u64,
}

fn read_rows(path: &std::path::Path) -> Result<Vec<InputRow>, CliError> {
    let shown = path.display().to_string();
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_path(path)
        .map_err(|e| CliError::Csv {
            path: shown.clone(),
            row: 0,
            line: 0,
            field: "-".into(),
            message: e.to_string(),
        })?;
    let headers = rdr
        .headers()
        .map_err(|e| CliError::Csv {
            path: shown.clone(),
            row: 0,
            line: 1,
            field: "header".into(),
            message: e.to_string(),
        })?
        .clone();
    for h in headers.iter() {
        if !COLUMNS.contains(&h) {
            return Err(CliError::Csv {
                path: shown,
                row: 0,
                line: 1,
                field: h.to_string(),
                message: format!("unknown column; expected some of {}", COLUMNS.join(", ")),
            });
        }
    }
    if !headers.iter().any(|h| h == "contacts") {
        return Err(CliError::Csv {
            path: shown,
            row: 0,
            line: 1,
            field: "contacts".into(),
            message: "required column is missing".into(),
        });
    }
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 1;
        let rec = rec.map_err(|e| CliError::Csv {
            path: shown.clone(),
            row,
            line: e.position().map_or(0, |p| p.line()),
            field: "-".into(),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let mut r = InputRow {
            label: None,
            contacts: f64::NAN,
            overrides: Overrides::default(),
            row,
            line,
        };
        for (h, v) in headers.iter().zip(rec.iter()) {
            if h == "interval" {
                r.label = Some(v.to_string());
                continue;
            }
            let val = if v.is_empty() {
                None
            } else {
                match v.parse::<f64>() {
                    Ok(x) if x.is_finite() => Some(x),
                    _ => {
                        return Err(CliError::Csv {
                            path: shown.clone(),
                            row,
                            line,
                            field: h.to_string(),
                            message: format!("{v:?} is not a number"),
                        })
                    }
                }
            };
            let o = &mut r.overrides;
            match h {
                "contacts" => {
                    r.contacts = val.ok_or_else(|| CliError::Csv {
                        path: shown.clone(),
                        row,
                        line,
                        field: "contacts".into(),
                        message: "is empty".into(),
                    })?
                }
                "interval_min" => o.interval_min = val,
                "aht_s" => o.aht_s = val,
                "target_sl" => o.target_sl = val,
                "answer_s" => o.answer_s = val,
                "patience_s" => o.patience_s = val,
                "shrinkage" => o.shrinkage = val,
                "max_occupancy" => o.max_occupancy = val,
                "max_asa_s" => o.max_asa_s = val,
                _ => o.max_abandon = val,
            }
        }
        rows.push(r);
    }
    Ok(rows)
}

fn progress_bar(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template(&format!("{what} {{bar:40}} {{pos}}/{{len}} {{elapsed}}"))
    {
        pb.set_style(style);
    }
    pb
}

/// Runs `plateau staff`, writing the result to `out`.
pub fn run_staff(args: &StaffArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let rows = match &args.input {
        None => {
            let contacts = need(args.contacts, "contacts", "--contacts")?;
            let req = request_from(args, contacts, &Overrides::default())?;
            let res = required_advisors(&req)?;
            vec![StaffRow::new(None, &res)]
        }
        Some(path) => {
            let input = read_rows(path)?;
            let shown = path.display().to_string();
            let pb = progress_bar(input.len() as u64, "staffing");
            let mut rows = Vec::with_capacity(input.len());
            for r in &input {
                let req = request_from(args, r.contacts, &r.overrides)?;
                let res = required_advisors(&req).map_err(|source| CliError::Row {
                    path: shown.clone(),
                    row: r.row,
                    line: r.line,
                    source,
                })?;
                rows.push(StaffRow::new(r.label.clone(), &res));
                pb.inc(1);
            }
            pb.finish_and_clear();
            rows
        }
    };
    let text = render_staff(&rows, args.format, args.input.is_none());
    out.write_all(text.as_bytes())
        .map_err(io_err("writing output"))
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.digits$}"))
}

fn render_staff(rows: &[StaffRow], format: Format, single: bool) -> String {
    match format {
        Format::Json => {
            let v = if single {
                serde_json::to_string_pretty(&rows[0])
            } else {
                serde_json::to_string_pretty(rows)
            };
            v.unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
        }
        Format::Csv => {
            let mut s = String::from("interval,model,load_erlangs,required,scheduled,service_level,p_wait,p_abandon,asa_s,occupancy\n");
            for r in rows {
                let model = if r.p_abandon.is_some() {
                    "erlang_a"
                } else {
                    "erlang_c"
                };
                let _ = writeln!(
                    s,
                    "{},{},{:.6},{},{},{:.6},{:.6},{},{:.4},{:.6}",
                    csv_cell(r.interval.as_deref().unwrap_or("")),
                    model,
                    r.load_erlangs,
                    r.required,
                    r.scheduled,
                    r.service_level,
                    r.p_wait,
                    r.p_abandon.map_or(String::new(), |p| format!("{p:.6}")),
                    r.asa_s,
                    r.occupancy
                );
            }
            s
        }
        Format::Table => {
            let header = [
                "interval",
                "load (E)",
                "required",
                "scheduled",
                "SL",
                "P(wait)",
                "P(abandon)",
                "ASA (s)",
                "occupancy",
            ];
            let body: Vec<[String; 9]> = rows
                .iter()
                .map(|r| {
                    [
                        r.interval.clone().unwrap_or_else(|| "-".into()),
                        format!("{:.3}", r.load_erlangs),
                        r.required.to_string(),
                        r.scheduled.to_string(),
                        format!("{:.4}", r.service_level),
                        format!("{:.4}", r.p_wait),
                        opt(r.p_abandon, 4),
                        format!("{:.2}", r.asa_s),
                        format!("{:.4}", r.occupancy),
                    ]
                })
                .collect();
            table(&header, &body)
        }
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn table<const N: usize>(header: &[&str; N], body: &[[String; N]]) -> String {
    let mut w: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in body {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut s = String::new();
    let line = |s: &mut String, cells: &mut dyn Iterator<Item = String>| {
        let parts: Vec<String> = cells
            .enumerate()
            .map(|(i, c)| format!("{c:>width$}", width = w[i]))
            .collect();
        let _ = writeln!(s, "{}", parts.join("  ").trim_end());
    };
    line(&mut s, &mut header.iter().map(|h| h.to_string()));
    line(&mut s, &mut w.iter().map(|&n| "-".repeat(n)));
    for r in body {
        line(&mut s, &mut r.iter().cloned());
    }
    s
}

/// Handle-time law for the single-queue flags of `plateau simulate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum HandleLaw {
    /// Exponential (the Erlang assumption).
    #[default]
    Exponential,
    /// Lognormal with `--handle-cv`.
    Lognormal,
    /// Constant.
    Constant,
}

/// `plateau simulate`: replications of a scenario with 95% confidence intervals.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Scenario file (JSON; see docs/wfm.md, "Scenario files"). Without it, the single-queue
    /// flags below describe the scenario.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Contacts offered per interval (single queue).
    #[arg(
        long,
        required_unless_present = "scenario",
        conflicts_with = "scenario"
    )]
    pub contacts: Option<f64>,
    /// Interval length in minutes (single queue).
    #[arg(long, default_value_t = 30.0)]
    pub interval_min: f64,
    /// Number of intervals simulated (single queue).
    #[arg(long, default_value_t = 16)]
    pub intervals: usize,
    /// Mean handle time in seconds (single queue).
    #[arg(long, required_unless_present = "scenario")]
    pub aht_s: Option<f64>,
    /// Handle-time law (single queue).
    #[arg(long, value_enum, default_value_t)]
    pub handle: HandleLaw,
    /// Coefficient of variation of lognormal handle times.
    #[arg(long, default_value_t = 1.0)]
    pub handle_cv: f64,
    /// Mean patience in seconds (exponential); omit for callers who never abandon.
    #[arg(long)]
    pub patience_s: Option<f64>,
    /// Advisors logged in (single queue).
    #[arg(long, required_unless_present = "scenario")]
    pub advisors: Option<u32>,
    /// Answer time of the service level, seconds (single queue).
    #[arg(long, default_value_t = 20.0)]
    pub answer_s: f64,
    /// Warm-up excluded from the statistics, minutes (single queue).
    #[arg(long, default_value_t = 0.0)]
    pub warmup_min: f64,
    /// Independent replications.
    #[arg(long, default_value_t = 30)]
    pub replications: usize,
    /// Base random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output format (`csv` prints the per-interval table).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

fn scenario_from(args: &SimulateArgs) -> Result<Scenario, CliError> {
    if let Some(path) = &args.scenario {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(io_err(format!("reading {shown}")))?;
        return serde_json::from_str(&text).map_err(|e| CliError::Scenario {
            path: shown,
            message: e.to_string(),
        });
    }
    let aht = need(args.aht_s, "aht_s", "--aht-s")?;
    let handle = match args.handle {
        HandleLaw::Exponential => Duration::Exponential { mean_s: aht },
        HandleLaw::Lognormal => Duration::Lognormal {
            mean_s: aht,
            cv: args.handle_cv,
        },
        HandleLaw::Constant => Duration::Constant { value_s: aht },
    };
    let advisors = args.advisors.ok_or_else(|| CliError::Missing {
        field: "advisors".into(),
        hint: "pass --advisors or --scenario".into(),
    })?;
    Ok(Scenario::single_queue(
        need(args.contacts, "contacts", "--contacts")?,
        args.interval_min * 60.0,
        args.intervals,
        handle,
        args.patience_s.map(|p| Duration::Exponential { mean_s: p }),
        advisors,
        args.answer_s,
        args.warmup_min * 60.0,
    ))
}

/// Runs `plateau simulate`, writing the report to `out`.
pub fn run_simulate(args: &SimulateArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let scenario = scenario_from(args)?;
    let opts = RunOptions {
        replications: args.replications,
        seed: args.seed,
        threads: args.threads,
    };
    let pb = progress_bar(args.replications as u64, "replications");
    let report = sim::simulate(&scenario, &opts, &mut |done| pb.set_position(done as u64))?;
    pb.finish_and_clear();
    let text = match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&report)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
                + "\n"
        }
        Format::Csv => {
            let mut s = String::from("interval,start_s,offered,service_level,service_level_ci,p_abandon,p_abandon_ci,asa_s,asa_s_ci\n");
            for iv in &report.intervals {
                let m = &iv.measures;
                let _ = writeln!(
                    s,
                    "{},{},{},{},{},{},{},{},{}",
                    iv.index,
                    iv.start_s,
                    opt(m.offered.map(|e| e.mean), 2),
                    opt(m.service_level.map(|e| e.mean), 4),
                    opt(m.service_level.and_then(|e| e.half_width), 4),
                    opt(m.p_abandon.map(|e| e.mean), 4),
                    opt(m.p_abandon.and_then(|e| e.half_width), 4),
                    opt(m.asa_s.map(|e| e.mean), 2),
                    opt(m.asa_s.and_then(|e| e.half_width), 2),
                );
            }
            s
        }
        Format::Table => render_sim_table(&report),
    };
    out.write_all(text.as_bytes())
        .map_err(io_err("writing output"))
}

fn ci(e: Option<Estimate>, digits: usize) -> String {
    match e {
        None => "-".into(),
        Some(e) => match e.half_width {
            Some(h) => format!("{:.digits$} ± {:.digits$}", e.mean, h),
            None => format!("{:.digits$}", e.mean),
        },
    }
}

fn render_sim_table(r: &sim::Report) -> String {
    let mut s = format!(
        "{} replications, seed {}, 95% confidence intervals (Student t)\n\n",
        r.replications, r.seed
    );
    let header = [
        "population",
        "offered",
        "SL",
        "P(wait)",
        "P(abandon)",
        "ASA (s)",
        "mean wait (s)",
    ];
    let row = |name: String, m: &sim::Measures| {
        [
            name,
            ci(m.offered, 1),
            ci(m.service_level, 4),
            ci(m.p_wait, 4),
            ci(m.p_abandon, 4),
            ci(m.asa_s, 2),
            ci(m.mean_wait_s, 2),
        ]
    };
    let mut body = vec![row("all".into(), &r.overall)];
    if r.skills.len() > 1 {
        body.extend(
            r.skills
                .iter()
                .map(|k| row(format!("skill {}", k.name), &k.measures)),
        );
    }
    s.push_str(&table(&header, &body));
    s.push('\n');
    let gh = ["group", "site", "occupancy"];
    let mut gb = vec![["all".to_string(), "-".to_string(), ci(r.occupancy, 4)]];
    gb.extend(r.groups.iter().map(|g| {
        [
            g.name.clone(),
            if g.site.is_empty() {
                "-".into()
            } else {
                g.site.clone()
            },
            ci(g.occupancy, 4),
        ]
    }));
    s.push_str(&table(&gh, &gb));
    if r.intervals.len() > 1 {
        s.push('\n');
        let ih = [
            "interval",
            "start (min)",
            "offered",
            "SL",
            "P(abandon)",
            "ASA (s)",
        ];
        let ib: Vec<[String; 6]> = r
            .intervals
            .iter()
            .map(|iv| {
                [
                    iv.index.to_string(),
                    format!("{:.0}", iv.start_s / 60.0),
                    ci(iv.measures.offered, 1),
                    ci(iv.measures.service_level, 4),
                    ci(iv.measures.p_abandon, 4),
                    ci(iv.measures.asa_s, 2),
                ]
            })
            .collect();
        s.push_str(&table(&ih, &ib));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Staff {
        #[command(flatten)]
        args: StaffArgs,
    }

    #[derive(Parser)]
    struct Sim {
        #[command(flatten)]
        args: SimulateArgs,
    }

    fn staff(argv: &[&str]) -> Result<String, CliError> {
        let mut full = vec!["staff"];
        full.extend_from_slice(argv);
        let parsed = Staff::try_parse_from(full).map_err(|e| CliError::Missing {
            field: "argv".into(),
            hint: e.to_string(),
        })?;
        let mut out = Vec::new();
        run_staff(&parsed.args, &mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn staff_json_contract() {
        let out = staff(&[
            "--contacts",
            "100",
            "--interval-min",
            "30",
            "--aht-s",
            "180",
            "--target-sl",
            "0.8",
            "--answer-s",
            "20",
            "--shrinkage",
            "0.3",
            "--format",
            "json",
        ])
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["required"], 14);
        assert_eq!(v["scheduled"], 20);
        for k in ["service_level", "p_wait", "asa_s", "occupancy"] {
            assert!(v[k].is_number(), "{k}");
        }
        assert!(v.get("p_abandon").is_none());
        let out = staff(&[
            "--contacts",
            "100",
            "--aht-s",
            "180",
            "--target-sl",
            "0.8",
            "--answer-s",
            "20",
            "--patience-s",
            "60",
            "--format",
            "json",
        ])
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["p_abandon"].is_number());
        assert_eq!(v["required"], 12);
    }

    #[test]
    fn staff_errors_name_fields() {
        let e = staff(&[
            "--contacts",
            "0",
            "--aht-s",
            "180",
            "--target-sl",
            "0.8",
            "--answer-s",
            "20",
        ])
        .unwrap_err();
        assert!(e.to_string().contains("contacts"), "{e}");
        let e = staff(&[
            "--contacts",
            "10",
            "--aht-s",
            "180",
            "--target-sl",
            "1.2",
            "--answer-s",
            "20",
        ])
        .unwrap_err();
        assert!(e.to_string().contains("target_sl"), "{e}");
        let e = staff(&[
            "--contacts",
            "100",
            "--aht-s",
            "180",
            "--target-sl",
            "0.8",
            "--answer-s",
            "20",
            "--max-advisors",
            "12",
        ])
        .unwrap_err();
        assert!(e.to_string().contains("max_advisors"), "{e}");
        let e = staff(&[
            "--contacts",
            "100",
            "--target-sl",
            "0.8",
            "--answer-s",
            "20",
        ])
        .unwrap_err();
        assert!(e.to_string().contains("aht_s"), "{e}");
    }

    #[test]
    fn staff_csv_input() {
        let dir = std::env::temp_dir().join(format!("plateau-wfm-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.csv");
        std::fs::write(
            &good,
            "interval,contacts,aht_s\n09:00,100,180\n09:30,250,\n10:00,40,300\n",
        )
        .unwrap();
        let out = staff(&[
            "--input",
            good.to_str().unwrap(),
            "--aht-s",
            "200",
            "--target-sl",
            "0.8",
            "--answer-s",
            "20",
            "--format",
            "csv",
        ])
        .unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert!(
            lines[1].starts_with("09:00,erlang_c,10.000000,14,14,"),
            "{}",
            lines[1]
        );
        let table = staff(&[
            "--input",
            good.to_str().unwrap(),
            "--aht-s",
            "200",
            "--target-sl",
            "0.8",
            "--answer-s",
            "20",
        ])
        .unwrap();
        assert!(table.contains("09:30"));

        let bad = dir.join("bad.csv");
        std::fs::write(&bad, "interval,contacts\n09:00,100\n09:30,abc\n").unwrap();
        let e = staff(&[
            "--input",
            bad.to_str().unwrap(),
            "--aht-s",
            "180",
            "--target-sl",
            "0.8",
            "--answer-s",
            "20",
        ])
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("row 2") && msg.contains("line 3") && msg.contains("contacts"),
            "{msg}"
        );

        std::fs::write(&bad, "interval,contacts\n09:00,100\n09:30,-5\n").unwrap();
        let e = staff(&[
            "--input",
            bad.to_str().unwrap(),
            "--aht-s",
            "180",
            "--target-sl",
            "0.8",
            "--answer-s",
            "20",
        ])
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("row 2") && msg.contains("contacts"), "{msg}");

        std::fs::write(&bad, "interval,contacts,ahts\n09:00,100,3\n").unwrap();
        let e = staff(&[
            "--input",
            bad.to_str().unwrap(),
            "--aht-s",
            "180",
            "--target-sl",
            "0.8",
            "--answer-s",
            "20",
        ])
        .unwrap_err();
        assert!(e.to_string().contains("ahts"), "{e}");

        std::fs::write(&bad, "interval,contacts\n09:00,100,7\n").unwrap();
        let e = staff(&[
            "--input",
            bad.to_str().unwrap(),
            "--aht-s",
            "180",
            "--target-sl",
            "0.8",
            "--answer-s",
            "20",
        ])
        .unwrap_err();
        assert!(e.to_string().contains("row 1"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn simulate_single_queue_and_file() {
        let parsed = Sim::try_parse_from([
            "simulate",
            "--contacts",
            "100",
            "--aht-s",
            "180",
            "--advisors",
            "14",
            "--intervals",
            "2",
            "--replications",
            "3",
            "--patience-s",
            "120",
        ])
        .unwrap();
        let mut out = Vec::new();
        run_simulate(&parsed.args, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("P(abandon)") && text.contains("±"), "{text}");

        let dir = std::env::temp_dir().join(format!("plateau-wfm-sim-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("scenario.json");
        let sc = Scenario::single_queue(
            50.0,
            900.0,
            4,
            Duration::Constant { value_s: 100.0 },
            None,
            7,
            20.0,
            0.0,
        );
        std::fs::write(&path, serde_json::to_string(&sc).unwrap()).unwrap();
        let parsed = Sim::try_parse_from([
            "simulate",
            "--scenario",
            path.to_str().unwrap(),
            "--replications",
            "2",
            "--format",
            "json",
        ])
        .unwrap();
        let mut out = Vec::new();
        run_simulate(&parsed.args, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["replications"], 2);
        std::fs::write(&path, "{\"interval_s\": 900, \"intervals\": 4,").unwrap();
        let mut out = Vec::new();
        let e = run_simulate(&parsed.args, &mut out).unwrap_err();
        assert!(matches!(e, CliError::Scenario { .. }), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
