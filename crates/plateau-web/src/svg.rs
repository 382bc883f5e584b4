//! Charts drawn on the server as SVG, so pages need no charting script.

use crate::ui::escape;

/// One horizontal stacked bar per row; `segments` are (value, css class).
pub struct StackedBars<'a> {
    pub title: &'a str,
    pub rows: Vec<(String, Vec<(i64, &'static str)>)>,
    pub legend: Vec<(String, &'static str)>,
}

impl StackedBars<'_> {
    pub fn render(&self) -> String {
        let label_w = 170.0;
        let bar_w = 420.0;
        let row_h = 26.0;
        let top = 8.0;
        let legend_h = 28.0;
        let max = self
            .rows
            .iter()
            .map(|(_, segs)| segs.iter().map(|s| s.0).sum::<i64>())
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        let height = top + row_h * self.rows.len() as f64 + legend_h;
        let width = label_w + bar_w + 60.0;
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
            escape(self.title),
            escape(self.title)
        );
        for (i, (label, segs)) in self.rows.iter().enumerate() {
            let y = top + row_h * i as f64;
            s.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" class=\"chart-label\" text-anchor=\"end\">{}</text>",
                label_w - 8.0,
                y + row_h * 0.62,
                escape(label)
            ));
            let mut x = label_w;
            let mut total = 0;
            for (v, class) in segs {
                if *v > 0 {
                    let w = bar_w * (*v as f64) / max;
                    s.push_str(&format!(
                        "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" class=\"{class}\"><title>{v}</title></rect>",
                        y + 4.0,
                        row_h - 8.0
                    ));
                    x += w;
                }
                total += v;
            }
            s.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" class=\"chart-value\">{total}</text>",
                x + 6.0,
                y + row_h * 0.62
            ));
        }
        let mut lx = label_w;
        let ly = top + row_h * self.rows.len() as f64 + 10.0;
        for (name, class) in &self.legend {
            s.push_str(&format!(
                "<rect x=\"{lx}\" y=\"{ly}\" width=\"12\" height=\"12\" class=\"{class}\"/><text x=\"{}\" y=\"{}\" class=\"chart-legend\">{}</text>",
                lx + 16.0,
                ly + 10.5,
                escape(name)
            ));
            lx += 24.0 + 8.0 * name.chars().count() as f64;
        }
        s.push_str("</svg>");
        s
    }
}

/// A "nice" axis maximum at or above `v`: 1, 2 or 5 times a power of ten.
fn nice_max(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|m| *m >= v - 1e-9)
        .unwrap_or(10.0 * p)
}

/// Number text for an axis tick: whole numbers without decimals.
fn tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// One column per planning interval: forecast contacts as bars (right axis), advisors
/// needed and advisors scheduled as step lines (left axis), and intervals where the
/// schedule falls short shaded behind them. The table beside it carries the same figures
/// for screen readers; the chart gets a title and a one-line summary.
pub struct StaffingChart<'a> {
    pub title: &'a str,
    /// A one-sentence reading of the chart (`<desc>`).
    pub summary: String,
    /// X-axis label per interval (only some are drawn when there are many).
    pub labels: Vec<String>,
    pub contacts: Vec<f64>,
    pub needed: Vec<f64>,
    pub scheduled: Vec<f64>,
    pub shortfall: Vec<bool>,
    /// Legend texts: contacts, needed, scheduled, shortfall.
    pub legend: [String; 4],
    /// Axis titles: advisors (left), contacts (right).
    pub axes: [String; 2],
}

impl StaffingChart<'_> {
    pub fn render(&self) -> String {
        let n = self.labels.len().max(1);
        let (left, right, top, plot_h) = (52.0, 56.0, 14.0, 220.0);
        let plot_w = 680.0;
        let width = left + plot_w + right;
        let axis_y = top + plot_h;
        let legend_y = axis_y + 40.0;
        let height = legend_y + 22.0;
        let col = plot_w / n as f64;
        let max_of = |v: &[f64]| v.iter().copied().fold(0.0f64, f64::max);
        let adv_max = nice_max(max_of(&self.needed).max(max_of(&self.scheduled)));
        let con_max = nice_max(max_of(&self.contacts));
        let y_adv = |v: f64| axis_y - plot_h * (v / adv_max);
        let y_con = |v: f64| axis_y - plot_h * (v / con_max);
        let x = |i: usize| left + col * i as f64;
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart staffing-chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title><desc>{d}</desc>",
            t = escape(self.title),
            d = escape(&self.summary)
        );
        for (i, short) in self.shortfall.iter().enumerate() {
            if *short {
                s.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{top}\" width=\"{col:.1}\" height=\"{plot_h}\" class=\"st-short\"/>",
                    x(i)
                ));
            }
        }
        // Grid lines and both axes' ticks at 0, ½ and the maximum.
        for f in [0.0, 0.5, 1.0] {
            let y = axis_y - plot_h * f;
            s.push_str(&format!(
                "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" class=\"chart-grid\"/><text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"end\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-label\">{}</text>",
                left + plot_w,
                left - 6.0,
                y + 4.0,
                tick(adv_max * f),
                left + plot_w + 6.0,
                y + 4.0,
                tick(con_max * f)
            ));
        }
        s.push_str(&format!(
            "<text x=\"4\" y=\"{:.1}\" class=\"chart-legend\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-legend\" text-anchor=\"end\">{}</text>",
            top - 2.0,
            escape(&self.axes[0]),
            width - 4.0,
            top - 2.0,
            escape(&self.axes[1])
        ));
        for (i, v) in self.contacts.iter().enumerate() {
            if *v > 0.0 {
                let y = y_con(*v);
                s.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" class=\"st-contacts\"><title>{} · {v:.1}</title></rect>",
                    x(i) + col * 0.15,
                    col * 0.7,
                    axis_y - y,
                    escape(self.labels.get(i).map(String::as_str).unwrap_or(""))
                ));
            }
        }
        // Step lines: a staffing level holds for the whole interval.
        for (values, class) in [
            (&self.needed, "st-needed"),
            (&self.scheduled, "st-scheduled"),
        ] {
            if values.is_empty() {
                continue;
            }
            let mut d = String::new();
            for (i, v) in values.iter().enumerate() {
                let y = y_adv(*v);
                if i == 0 {
                    d.push_str(&format!("M{:.1} {y:.1}", x(0)));
                } else {
                    d.push_str(&format!(" V{y:.1}"));
                }
                d.push_str(&format!(" H{:.1}", x(i + 1)));
            }
            s.push_str(&format!("<path d=\"{d}\" class=\"{class}\"/>"));
        }
        let every = n.div_ceil(12).max(1);
        for (i, label) in self.labels.iter().enumerate().step_by(every) {
            s.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"middle\">{}</text>",
                x(i) + col / 2.0,
                axis_y + 16.0,
                escape(label)
            ));
        }
        let mut lx = left;
        let swatches = [
            "st-contacts",
            "st-needed-key",
            "st-scheduled-key",
            "st-short",
        ];
        for (name, class) in self.legend.iter().zip(swatches) {
            s.push_str(&format!(
                "<rect x=\"{lx:.1}\" y=\"{legend_y}\" width=\"12\" height=\"12\" class=\"{class}\"/><text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-legend\">{}</text>",
                lx + 16.0,
                legend_y + 10.5,
                escape(name)
            ));
            lx += 30.0 + 6.5 * name.chars().count() as f64;
        }
        s.push_str("</svg>");
        s
    }
}

/// Today's service level per queue against its target: one bar per queue on
/// a 0–100 % scale, coloured by whether it meets the target, with the target
/// drawn as a dashed line across; a queue with nothing answered yet shows a
/// dash instead of a bar.
pub struct ServiceLevelChart<'a> {
    pub title: &'a str,
    /// (queue, percent answered within the threshold, meets the target).
    pub rows: Vec<(String, Option<f64>, bool)>,
    pub target_percent: f64,
    /// The target line's label, e.g. "target 80 %".
    pub target_label: String,
}

impl ServiceLevelChart<'_> {
    pub fn render(&self) -> String {
        let (label_w, bar_w, row_h, top) = (170.0, 420.0, 26.0, 22.0);
        let height = top + row_h * self.rows.len().max(1) as f64 + 8.0;
        let width = label_w + bar_w + 70.0;
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
            t = escape(self.title)
        );
        for (i, (label, pct, meets)) in self.rows.iter().enumerate() {
            let y = top + row_h * i as f64;
            s.push_str(&format!(
                "<text x=\"{}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"end\">{}</text>",
                label_w - 8.0,
                y + row_h * 0.62,
                escape(label)
            ));
            match pct {
                Some(p) => {
                    let p = p.clamp(0.0, 100.0);
                    let w = bar_w * p / 100.0;
                    let class = if *meets { "sl-met" } else { "sl-missed" };
                    s.push_str(&format!(
                        "<rect x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" class=\"{class}\"><title>{p:.0} %</title></rect><text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-value\">{p:.0} %</text>",
                        y + 4.0,
                        row_h - 8.0,
                        label_w + w + 6.0,
                        y + row_h * 0.62
                    ));
                }
                None => s.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-value\">—</text>",
                    label_w + 6.0,
                    y + row_h * 0.62
                )),
            }
        }
        let tx = label_w + bar_w * self.target_percent.clamp(0.0, 100.0) / 100.0;
        s.push_str(&format!(
            "<line x1=\"{tx:.1}\" y1=\"{:.1}\" x2=\"{tx:.1}\" y2=\"{:.1}\" class=\"sl-target\"/><text x=\"{tx:.1}\" y=\"12\" class=\"chart-legend\" text-anchor=\"middle\">{}</text></svg>",
            top - 4.0,
            height - 4.0,
            escape(&self.target_label)
        ));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_level_bars_scale_to_100_and_mark_the_target() {
        let chart = ServiceLevelChart {
            title: "Today <SL>",
            rows: vec![
                ("sales".into(), Some(50.0), false),
                ("after_sales".into(), Some(100.0), true),
                ("new".into(), None, false),
            ],
            target_percent: 80.0,
            target_label: "target 80 %".into(),
        };
        let svg = chart.render();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Today &lt;SL&gt;"), "titles are escaped");
        // Half of the 420-wide scale, then all of it; the target at 80 %.
        assert!(
            svg.contains("width=\"210.0\" height=\"18.0\" class=\"sl-missed\""),
            "{svg}"
        );
        assert!(
            svg.contains("width=\"420.0\" height=\"18.0\" class=\"sl-met\""),
            "{svg}"
        );
        assert!(svg.contains("x1=\"506.0\""), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 2, "no bar before an answer");
    }

    #[test]
    fn staffing_chart_scales_steps_and_shades_shortfalls() {
        let chart = StaffingChart {
            title: "Staffing <day>",
            summary: "peak".into(),
            labels: vec!["08:00".into(), "09:00".into()],
            contacts: vec![10.0, 40.0],
            needed: vec![3.0, 7.0],
            scheduled: vec![5.0, 5.0],
            shortfall: vec![false, true],
            legend: ["c".into(), "n".into(), "s".into(), "x".into()],
            axes: ["advisors".into(), "contacts".into()],
        };
        let svg = chart.render();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Staffing &lt;day&gt;"), "titles are escaped");
        // Advisors axis tops at 10 (nice max of 7), contacts at 50 (of 40).
        assert!(
            svg.contains(">10</text>") && svg.contains(">50</text>"),
            "{svg}"
        );
        // One shaded interval, the second: x = 52 + 340.
        assert_eq!(
            svg.matches("class=\"st-short\"/>").count(),
            2,
            "shade + legend swatch"
        );
        assert!(svg.contains("<rect x=\"392.0\" y=\"14\""), "{svg}");
        // Needed: 3 → y = 234 − 220·0.3 = 168, then 7 → 80; steps hold per interval.
        assert!(
            svg.contains("d=\"M52.0 168.0 H392.0 V80.0 H732.0\""),
            "{svg}"
        );
        assert!(svg.contains("<title>09:00 · 40.0</title>"));
    }

    #[test]
    fn nice_axis_maxima() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(40.0), 50.0);
        assert_eq!(nice_max(100.0), 100.0);
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(5.0), "5");
    }

    #[test]
    fn bars_scale_to_the_largest_row_and_escape_labels() {
        let chart = StackedBars {
            title: "t",
            rows: vec![
                ("A & B".into(), vec![(3, "s-new"), (1, "s-open")]),
                ("C".into(), vec![(2, "s-new")]),
            ],
            legend: vec![("new".into(), "s-new")],
        };
        let svg = chart.render();
        assert!(svg.contains("A &amp; B"));
        assert!(svg.contains("width=\"315.0\""), "{svg}");
        assert!(svg.contains("width=\"105.0\""));
        assert!(svg.contains(">4</text>"));
    }
}
