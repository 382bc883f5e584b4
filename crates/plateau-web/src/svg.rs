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

#[cfg(test)]
mod tests {
    use super::*;

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
