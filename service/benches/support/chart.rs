//! A horizontal bar chart with an optional target line, written as SVG text.
//!
//! The benches draw a handful of bars per figure (percentiles against a
//! latency target, a rate against a reference): a few dozen lines of SVG are
//! simpler to keep than a plotting crate and its font and image stack. The
//! output is plain SVG 1.1 that GitHub shows inline in Markdown.

use std::fmt::Write as _;

/// Which side of the target is good.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Better {
    Lower,
    Higher,
}

/// A dashed line across the bars, e.g. "p99 < 20 ms".
#[derive(Clone, Debug)]
pub struct Target {
    pub value: f64,
    pub label: String,
    pub better: Better,
}

impl Target {
    pub fn below(value: f64, label: impl Into<String>) -> Target {
        Target { value, label: label.into(), better: Better::Lower }
    }

    pub fn above(value: f64, label: impl Into<String>) -> Target {
        Target { value, label: label.into(), better: Better::Higher }
    }

    fn met_by(&self, value: f64) -> bool {
        match self.better {
            Better::Lower => value < self.value,
            Better::Higher => value >= self.value,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Judged against the target (coloured met/missed); a reference bar, such
    /// as the plain loop a rate is compared with, is drawn neutral.
    pub judged: bool,
}

#[derive(Clone, Debug)]
pub struct BarChart {
    pub title: String,
    /// Under the title: where and when the figures were measured.
    pub note: String,
    /// After each value: "ms", "runs/s".
    pub unit: String,
    /// Under the axis; the unit when not set.
    pub axis_label: String,
    pub bars: Vec<Bar>,
    pub target: Option<Target>,
}

pub const MET: &str = "#2e7d32";
pub const MISSED: &str = "#c62828";
pub const NEUTRAL: &str = "#78909c";

const WIDTH: f64 = 680.0;
const LABEL_W: f64 = 210.0;
const VALUE_W: f64 = 90.0;
const TOP: f64 = 78.0;
const ROW: f64 = 30.0;
const BAR: f64 = 18.0;
const AXIS: f64 = 30.0;

impl BarChart {
    pub fn new(title: impl Into<String>, unit: impl Into<String>) -> BarChart {
        let unit = unit.into();
        BarChart { title: title.into(), note: String::new(), axis_label: unit.clone(), unit, bars: Vec::new(), target: None }
    }

    pub fn axis_label(mut self, label: impl Into<String>) -> Self {
        self.axis_label = label.into();
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    pub fn target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    pub fn bar(mut self, label: impl Into<String>, value: f64) -> Self {
        self.bars.push(Bar { label: label.into(), value, judged: true });
        self
    }

    pub fn reference(mut self, label: impl Into<String>, value: f64) -> Self {
        self.bars.push(Bar { label: label.into(), value, judged: false });
        self
    }

    fn colour(&self, bar: &Bar) -> &'static str {
        match &self.target {
            Some(t) if bar.judged => {
                if t.met_by(bar.value) {
                    MET
                } else {
                    MISSED
                }
            }
            _ => NEUTRAL,
        }
    }

    /// The chart as an SVG document. A value that is not finite (a bench
    /// section that measured nothing) is drawn as an empty bar marked "n/a".
    pub fn svg(&self) -> String {
        let plot_w = WIDTH - LABEL_W - VALUE_W;
        let finite = |v: f64| v.is_finite().then_some(v.max(0.0));
        let top = self.bars.iter().filter_map(|b| finite(b.value)).chain(self.target.as_ref().and_then(|t| finite(t.value))).fold(0.0, f64::max);
        let (step, ticks) = axis(top);
        let scale_max = step * ticks as f64;
        let x = |v: f64| LABEL_W + plot_w * (v / scale_max);
        let plot_bottom = TOP + ROW * self.bars.len() as f64;
        let height = plot_bottom + AXIS + 8.0;

        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" font-family="Helvetica, Arial, sans-serif">"#,
            esc(&self.title)
        );
        let _ = writeln!(s, "<title>{}</title>", esc(&self.title));
        let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
        let _ = writeln!(s, r##"<text x="12" y="24" font-size="16" font-weight="bold" fill="#212121">{}</text>"##, esc(&self.title));
        let _ = writeln!(s, r##"<text x="12" y="44" font-size="12" fill="#616161">{}</text>"##, esc(&self.note));

        // Grid and axis: a few round numbers, so a bar's length can be read.
        for k in 0..=ticks {
            let v = step * k as f64;
            let gx = x(v);
            let _ = writeln!(s, r##"<line x1="{gx:.1}" y1="{:.1}" x2="{gx:.1}" y2="{plot_bottom:.1}" stroke="#e0e0e0"/>"##, TOP - 6.0);
            let _ = writeln!(s, r##"<text x="{gx:.1}" y="{:.1}" font-size="11" fill="#616161" text-anchor="middle">{}</text>"##, plot_bottom + 16.0, number(v));
        }
        let _ = writeln!(s, r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#616161" text-anchor="middle">{}</text>"##, LABEL_W + plot_w / 2.0, plot_bottom + 29.0, esc(&self.axis_label));

        for (i, bar) in self.bars.iter().enumerate() {
            let y = TOP + ROW * i as f64;
            let mid = y + BAR / 2.0 + 4.0;
            let _ = writeln!(s, r##"<text x="{:.1}" y="{mid:.1}" font-size="12" fill="#212121" text-anchor="end">{}</text>"##, LABEL_W - 8.0, esc(&bar.label));
            match finite(bar.value) {
                Some(v) => {
                    let w = x(v) - LABEL_W;
                    let _ = writeln!(s, r#"<rect class="bar" x="{LABEL_W:.1}" y="{y:.1}" width="{w:.1}" height="{BAR}" fill="{}"/>"#, self.colour(bar));
                    let _ = writeln!(s, r##"<text x="{:.1}" y="{mid:.1}" font-size="12" fill="#212121">{} {}</text>"##, x(v) + 5.0, number(bar.value), esc(&self.unit));
                }
                None => {
                    let _ = writeln!(s, r##"<rect class="bar" x="{LABEL_W:.1}" y="{y:.1}" width="0" height="{BAR}" fill="{NEUTRAL}"/>"##);
                    let _ = writeln!(s, r##"<text x="{:.1}" y="{mid:.1}" font-size="12" fill="#616161">n/a</text>"##, LABEL_W + 5.0);
                }
            }
        }

        if let Some(t) = self.target.as_ref().filter(|t| t.value.is_finite()) {
            let tx = x(t.value.max(0.0));
            let _ = writeln!(s, r##"<line class="target" x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{plot_bottom:.1}" stroke="#212121" stroke-width="2" stroke-dasharray="6 4"/>"##, TOP - 10.0);
            // The label sits above the line, kept inside the picture.
            let anchor = if tx > LABEL_W + plot_w * 0.7 { "end" } else { "start" };
            let lx = if anchor == "end" { tx - 4.0 } else { tx + 4.0 };
            let _ = writeln!(s, r##"<text x="{lx:.1}" y="{:.1}" font-size="12" font-weight="bold" fill="#212121" text-anchor="{anchor}">{}</text>"##, TOP - 14.0, esc(&t.label));
        }
        s.push_str("</svg>\n");
        s
    }
}

/// A round step (1, 2, 2.5 or 5 times a power of ten) and how many steps
/// reach past `top`, aiming at about five grid lines.
fn axis(top: f64) -> (f64, usize) {
    if top <= 0.0 {
        return (1.0, 1);
    }
    let rough = top / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= rough).unwrap_or(10.0 * magnitude);
    let ticks = (top / step).ceil().max(1.0) as usize;
    // Room after the longest bar for its value label.
    let ticks = if step * ticks as f64 - top < step * 0.15 { ticks + 1 } else { ticks };
    (step, ticks)
}

/// 0.28, 13.3, 424, 2,048: precision that suits the size.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v.abs() >= 1000.0 {
        let n = v.round() as i64;
        let digits = n.abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        return if n < 0 { format!("-{out}") } else { out };
    }
    let text = if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    // 5.0 reads as 5, 2.50 as 2.5.
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
#[allow(dead_code, unused_imports)]
mod tests {
    use super::*;

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed SVG: {e}\n{svg}"))
    }

    fn bars<'a>(doc: &'a roxmltree::Document<'a>) -> Vec<(f64, String)> {
        doc.descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some("bar"))
            .map(|n| (n.attribute("width").unwrap().parse().unwrap(), n.attribute("fill").unwrap().to_string()))
            .collect()
    }

    fn texts(doc: &roxmltree::Document<'_>) -> Vec<String> {
        doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text().map(str::to_string)).collect()
    }

    #[test]
    fn bars_are_as_long_as_their_values_and_coloured_by_the_target() {
        let chart = BarChart::new("Due-to-start latency", "ms").note("quiet machine").target(Target::below(20.0, "p99 < 20 ms")).bar("p50", 6.0).bar("p99", 30.0);
        let svg = chart.svg();
        let doc = parse(&svg);
        let found = bars(&doc);
        assert_eq!(found.len(), 2);
        assert!((found[1].0 / found[0].0 - 5.0).abs() < 0.01, "30 ms is five times 6 ms: {found:?}");
        assert_eq!(found[0].1, MET);
        assert_eq!(found[1].1, MISSED);
        let text = texts(&doc);
        assert!(text.contains(&"6 ms".to_string()) && text.contains(&"30 ms".to_string()), "{text:?}");
        assert!(text.contains(&"p99 < 20 ms".to_string()), "the target is labelled: {text:?}");
    }

    #[test]
    fn the_target_line_sits_at_its_value_on_the_bars_scale() {
        let svg = BarChart::new("t", "ms").target(Target::below(5.0, "< 5 ms")).bar("a", 10.0).svg();
        let doc = parse(&svg);
        let line = doc.descendants().find(|n| n.attribute("class") == Some("target")).expect("a target line");
        let x: f64 = line.attribute("x1").unwrap().parse().unwrap();
        let (width, _) = bars(&doc)[0];
        assert!((x - LABEL_W - width / 2.0).abs() < 0.2, "5 is half of 10: line at {x}, bar {width} long");
    }

    #[test]
    fn a_higher_is_better_target_judges_only_the_bars_that_are_judged() {
        let svg = BarChart::new("Throughput", "runs/s").target(Target::above(1434.0, ">= 70% of plain")).reference("plain loop", 2048.0).bar("cronkeeper", 424.0).svg();
        let found = bars(&parse(&svg));
        assert_eq!(found[0].1, NEUTRAL, "the reference is not judged");
        assert_eq!(found[1].1, MISSED);
        let svg = BarChart::new("Throughput", "runs/s").target(Target::above(100.0, ">= 100")).bar("fast", 100.0).svg();
        assert_eq!(bars(&parse(&svg))[0].1, MET, "reaching the target meets it");
    }

    #[test]
    fn text_is_escaped_and_missing_values_do_not_break_the_picture() {
        let svg = BarChart::new("`runs` <all> & \"more\"", "ms").target(Target::below(10.0, "p99 < 10 ms")).bar("p50 <a>", f64::NAN).bar("p99", 3.0).svg();
        let doc = parse(&svg);
        let text = texts(&doc);
        assert!(text.contains(&"`runs` <all> & \"more\"".to_string()), "{text:?}");
        assert!(text.contains(&"n/a".to_string()));
        assert_eq!(bars(&doc)[0].0, 0.0);
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        // No bars at all still makes a picture.
        parse(&BarChart::new("empty", "ms").svg());
    }

    #[test]
    fn numbers_and_axis_steps_are_round() {
        assert_eq!(number(0.28), "0.28");
        assert_eq!(number(13.3), "13.3");
        assert_eq!(number(5.0), "5");
        assert_eq!(number(424.4), "424");
        assert_eq!(number(2048.0), "2,048");
        assert_eq!(number(1_000_000.0), "1,000,000");
        assert_eq!(axis(21.4), (5.0, 5));
        assert_eq!(axis(2048.0), (500.0, 5));
        let (step, ticks) = axis(14.0);
        assert!(step * ticks as f64 >= 14.0, "the scale reaches past the longest bar");
        assert_eq!(axis(0.0), (1.0, 1));
    }
}
