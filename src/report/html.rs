//! The what-if page: one self-contained HTML file (no network, no script) with the KPI table
//! of one or two runs, the outputs that differ, and per-hour charts drawn as inline SVG.

use super::compare::ByType;
use super::hourly::{HourCounts, Hourly, HOUR_MS};
use super::table::{kpi_table, Figure};
use super::Report;
use crate::time::format_rfc3339;
use std::collections::BTreeSet;
use std::fmt::Write;

/// One run on the page.
pub struct Run<'a> {
    pub label: &'a str,
    pub report: &'a Report,
    pub hourly: &'a Hourly,
}

/// Series colours, one per run.
const COLOURS: [&str; 2] = ["#1f6fb4", "#e0701b"];

/// The page for `runs` (one or two), with `differences` (title, outputs by type) when comparing.
pub fn render(title: &str, runs: &[Run<'_>], differences: &[(String, &ByType)]) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>{STYLE}</style></head>\n<body>\n<h1>{t}</h1>\n",
        t = escape(title)
    );
    let until = runs.first().and_then(|r| r.report.until.clone()).unwrap_or_else(|| "the last input".to_owned());
    let _ = writeln!(page, "<p class=\"note\">Every count covers the whole run, up to {}.</p>", escape(&until));
    legend(&mut page, runs);
    page.push_str("<h2>Breaches per hour</h2>\n");
    chart(&mut page, runs, "breaches", |h| Some(h.breaches as f64), &|v| format!("{v:.0}"));
    page.push_str("<h2>Escalations per hour</h2>\n");
    chart(&mut page, runs, "escalations", |h| Some(h.escalations as f64), &|v| format!("{v:.0}"));
    page.push_str("<h2>Mean routing wait per hour</h2>\n");
    chart(&mut page, runs, "waits", |h| h.mean_wait_ms().map(|ms| ms as f64 / 60_000.0), &|v| format!("{v:.0} min"));
    page.push_str("<h2>KPIs</h2>\n");
    table(&mut page, runs);
    if !differences.is_empty() {
        page.push_str("<h2>Outputs that differ</h2>\n");
        for (title, counts) in differences {
            let total: u64 = counts.values().sum();
            let _ = write!(page, "<h3>{}: {total}</h3>\n<table class=\"diff\">", escape(title));
            for (kind, n) in counts.iter() {
                let _ = write!(page, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>", escape(kind));
            }
            page.push_str("</table>\n");
        }
    }
    page.push_str("</body></html>\n");
    page
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1000px}\
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}h3{font-size:1em}\
table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr.section th{text-align:left;background:#f3f3f3}\
.note{color:#555}.legend span{display:inline-block;margin-right:1.5em}\
.legend i{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:-2px}";

fn legend(page: &mut String, runs: &[Run<'_>]) {
    page.push_str("<p class=\"legend\">");
    for (run, colour) in runs.iter().zip(COLOURS) {
        let _ = write!(page, "<span><i style=\"background:{colour}\"></i>{}</span>", escape(run.label));
    }
    page.push_str("</p>\n");
}

fn table(page: &mut String, runs: &[Run<'_>]) {
    let reports: Vec<&Report> = runs.iter().map(|r| r.report).collect();
    page.push_str("<table class=\"kpi\"><tr><th></th>");
    for run in runs {
        let _ = write!(page, "<th class=\"n\">{}</th>", escape(run.label));
    }
    if runs.len() == 2 {
        page.push_str("<th class=\"n\">delta</th>");
    }
    page.push_str("</tr>\n");
    for section in kpi_table(&reports) {
        let _ = writeln!(
            page,
            "<tr class=\"section\"><th colspan=\"{}\">{}</th></tr>",
            runs.len() + 2,
            escape(&section.title)
        );
        for row in section.rows {
            let _ = write!(page, "<tr><td>{}</td>", escape(&row.label));
            for figure in &row.figures {
                let _ = write!(page, "<td class=\"n\">{}</td>", escape(&figure.text()));
            }
            if let [a, b] = row.figures[..] {
                let _ = write!(page, "<td class=\"n\">{}</td>", escape(&Figure::delta_text(b, a)));
            }
            page.push_str("</tr>\n");
        }
    }
    page.push_str("</table>\n");
}

/// A line chart of `value` per hour, one line per run, over every hour from the first to the
/// last that any run has; an hour without a value (no wait measured) breaks the line.
fn chart(
    page: &mut String,
    runs: &[Run<'_>],
    name: &str,
    value: impl Fn(&HourCounts) -> Option<f64>,
    label: &dyn Fn(f64) -> String,
) {
    let known: BTreeSet<i64> = runs.iter().flat_map(|r| r.hourly.hours.keys().copied()).collect();
    let (width, height, left, bottom, top) = (900.0, 220.0, 70.0, 30.0, 10.0);
    let _ = write!(
        page,
        "<svg class=\"chart\" id=\"chart-{name}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\">"
    );
    let (Some(&first), Some(&last)) = (known.first(), known.last()) else {
        let _ = writeln!(page, "<text x=\"{left}\" y=\"{}\" fill=\"#777\">no data</text></svg>", height / 2.0);
        return;
    };
    let hours: Vec<i64> = (first..=last).step_by(HOUR_MS as usize).collect();
    let max = nice_ceiling(runs.iter().flat_map(|r| r.hourly.hours.values().filter_map(&value)).fold(0.0, f64::max));
    let plot_w = width - left - 40.0;
    let plot_h = height - top - bottom;
    let x =
        |i: usize| left + if hours.len() == 1 { plot_w / 2.0 } else { plot_w * i as f64 / (hours.len() - 1) as f64 };
    let y = |v: f64| top + plot_h * (1.0 - v / max);
    for step in 0..=4 {
        let v = max * step as f64 / 4.0;
        let _ = write!(
            page,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e4e4e4\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            left + plot_w,
            left - 6.0,
            y(v) + 4.0,
            escape(&label(v)),
            y = y(v)
        );
    }
    let ticks = hours.len().div_ceil(8).max(1);
    for (i, hour) in hours.iter().enumerate().step_by(ticks) {
        let text = format_rfc3339(*hour)[5..16].replace('T', " ");
        let _ = write!(
            page,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">{text}</text>",
            x(i),
            height - 10.0
        );
    }
    for (run, colour) in runs.iter().zip(COLOURS) {
        let points: Vec<Option<(f64, f64)>> = hours
            .iter()
            .enumerate()
            .map(|(i, hour)| {
                let v = run.hourly.hours.get(hour).map_or_else(|| value(&HourCounts::default()), &value)?;
                Some((x(i), y(v)))
            })
            .collect();
        for segment in points.split(Option::is_none) {
            let path: Vec<String> = segment.iter().flatten().map(|(px, py)| format!("{px:.1},{py:.1}")).collect();
            if !path.is_empty() {
                let _ = write!(
                    page,
                    "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\" points=\"{}\"/>",
                    path.join(" ")
                );
            }
        }
        if points.len() <= 60 {
            for (px, py) in points.into_iter().flatten() {
                let _ = write!(page, "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"3.5\" fill=\"{colour}\"/>");
            }
        }
    }
    page.push_str("</svg>\n");
}

/// The smallest of 1, 2, 4, 5 or 8 times a power of ten at or above `v` (at least 4), so that
/// quarter gridlines fall on round numbers.
fn nice_ceiling(v: f64) -> f64 {
    let v = v.max(4.0);
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 4.0, 5.0, 8.0, 10.0].into_iter().map(|m| m * magnitude).find(|&c| c >= v).unwrap_or(10.0 * magnitude)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}
