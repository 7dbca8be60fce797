//! The KPI table of one or more reports, side by side: built once, printed as text by
//! `slad whatif` and as HTML by the what-if page.

use super::{Percentiles, Report};
use std::collections::BTreeSet;

/// One figure of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    Count(u64),
    /// A duration in ms, absent without values.
    Millis(Option<i64>),
    /// A share in percent, absent when nothing was counted.
    Percent(Option<f64>),
}

impl Figure {
    fn value(self) -> Option<f64> {
        match self {
            Figure::Count(n) => Some(n as f64),
            Figure::Millis(ms) => ms.map(|ms| ms as f64),
            Figure::Percent(p) => p,
        }
    }

    pub fn text(self) -> String {
        match self {
            Figure::Count(n) => n.to_string(),
            Figure::Millis(None) | Figure::Percent(None) => "-".to_owned(),
            Figure::Millis(Some(ms)) => duration_text(ms),
            Figure::Percent(Some(p)) => format!("{p:.1}%"),
        }
    }

    /// `self - base` as text (`+3`, `-2m30s`, `+1.5 pp`), or `-` when either is absent.
    pub fn delta_text(self, base: Figure) -> String {
        let (Some(new), Some(old)) = (self.value(), base.value()) else {
            return "-".to_owned();
        };
        let sign = |d: f64| {
            if d > 0.0 {
                "+"
            } else if d < 0.0 {
                "-"
            } else {
                ""
            }
        };
        let d = new - old;
        if d == 0.0 {
            return "0".to_owned();
        }
        match self {
            Figure::Count(_) => format!("{}{}", sign(d), d.abs() as u64),
            Figure::Millis(_) => format!("{}{}", sign(d), duration_text(d.abs() as i64)),
            Figure::Percent(_) => format!("{}{:.1} pp", sign(d), d.abs()),
        }
    }
}

/// `1h02m`, `4m05s`, `12.3s`, `250ms`.
fn duration_text(ms: i64) -> String {
    let s = ms / 1000;
    if ms < 1000 {
        format!("{ms}ms")
    } else if s < 60 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

/// One line of the table: a label and one figure per report.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    pub figures: Vec<Figure>,
}

/// Rows grouped in titled sections.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub title: String,
    pub rows: Vec<Row>,
}

/// The table of `reports` (one column each), over the union of their keys.
pub fn kpi_table(reports: &[&Report]) -> Vec<Section> {
    let row = |label: String, figure: &dyn Fn(&Report) -> Figure| Row {
        label,
        figures: reports.iter().map(|r| figure(r)).collect(),
    };
    let mut sections = Vec::new();

    let mut run = vec![
        row("inputs applied".into(), &|r| Figure::Count(r.inputs.applied)),
        row("inputs skipped as duplicates".into(), &|r| Figure::Count(r.inputs.duplicates)),
        row("inputs rejected".into(), &|r| Figure::Count(r.inputs.rejected.values().sum())),
    ];
    let types: BTreeSet<&String> = reports.iter().flat_map(|r| r.outputs.keys()).collect();
    for kind in types {
        run.push(row(format!("{kind} outputs"), &|r| Figure::Count(r.outputs.get(kind).copied().unwrap_or(0))));
    }
    sections.push(Section { title: "Run".into(), rows: run });

    let mut keys: Vec<(&str, &str)> =
        reports.iter().flat_map(|r| r.sla.iter().map(|s| (s.metric.as_str(), s.policy.as_str()))).collect();
    keys.sort_by_key(|(metric, policy)| (metric_order(metric), *policy));
    keys.dedup();
    for (metric, policy) in keys {
        let sla = |r: &Report| r.sla.iter().find(|s| s.metric == metric && s.policy == policy).cloned();
        let count = |f: fn(&super::SlaRow) -> u64| move |r: &Report| Figure::Count(sla(r).map_or(0, |s| f(&s)));
        let elapsed = |f: fn(&Percentiles) -> Option<i64>| {
            move |r: &Report| Figure::Millis(sla(r).and_then(|s| f(&s.elapsed_ms)))
        };
        let rows = vec![
            row("cycles started".into(), &count(|s| s.started)),
            row("breached".into(), &count(|s| s.breached)),
            row("breach rate".into(), &|r| {
                Figure::Percent(sla(r).filter(|s| s.started > 0).map(|s| 100.0 * s.breached as f64 / s.started as f64))
            }),
            row("fulfilled".into(), &count(|s| s.fulfilled)),
            row("fulfilled in time".into(), &count(|s| s.fulfilled_in_time)),
            row("active at the end".into(), &count(|s| s.active)),
            row("elapsed p50".into(), &elapsed(|p| p.p50)),
            row("elapsed p90".into(), &elapsed(|p| p.p90)),
        ];
        sections.push(Section { title: format!("SLA {metric}, policy {policy}"), rows });
    }

    let mut escalations: Vec<(&str, u32)> =
        reports.iter().flat_map(|r| r.escalations.iter().map(|e| (e.kind.as_str(), e.level))).collect();
    escalations.sort();
    escalations.dedup();
    let mut notify: Vec<Row> = escalations
        .into_iter()
        .map(|(kind, level)| {
            row(format!("{kind} escalations, level {level}"), &|r| {
                Figure::Count(r.escalations.iter().find(|e| e.kind == kind && e.level == level).map_or(0, |e| e.count))
            })
        })
        .collect();
    let channels: BTreeSet<&String> = reports.iter().flat_map(|r| r.notifications.iter().map(|n| &n.channel)).collect();
    for channel in channels {
        notify.push(row(format!("notifications by {channel}"), &|r| {
            Figure::Count(r.notifications.iter().find(|n| &n.channel == channel).map_or(0, |n| n.count))
        }));
    }
    sections.push(Section { title: "Escalations and notifications".into(), rows: notify });

    sections.push(Section {
        title: "Routing".into(),
        rows: vec![
            row("rounds".into(), &|r| Figure::Count(r.routing.rounds)),
            row("queued".into(), &|r| Figure::Count(r.routing.queued)),
            row("expanded".into(), &|r| Figure::Count(r.routing.expanded)),
            row("assigned".into(), &|r| Figure::Count(r.routing.assigned)),
            row("wait p50".into(), &|r| Figure::Millis(r.routing.wait_ms.p50)),
            row("wait p90".into(), &|r| Figure::Millis(r.routing.wait_ms.p90)),
            row("wait p99".into(), &|r| Figure::Millis(r.routing.wait_ms.p99)),
        ],
    });
    sections
}

fn metric_order(metric: &str) -> usize {
    crate::contract::Metric::parse(metric).map_or(usize::MAX, crate::contract::Metric::index)
}

/// The table as aligned text: one column per report, then the delta of the last against the
/// first when there are two.
pub fn render_text(sections: &[Section], labels: &[&str]) -> String {
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut header = vec![String::new()];
    header.extend(labels.iter().map(|l| l.to_string()));
    if labels.len() == 2 {
        header.push("delta".into());
    }
    for section in sections {
        lines.push(vec![section.title.clone()]);
        for row in &section.rows {
            let mut cells = vec![format!("  {}", row.label)];
            cells.extend(row.figures.iter().map(|f| f.text()));
            if let [a, b] = row.figures[..] {
                cells.push(b.delta_text(a));
            }
            lines.push(cells);
        }
    }
    let columns = header.len();
    let mut widths = vec![0; columns];
    for cells in std::iter::once(&header).chain(lines.iter().filter(|l| l.len() > 1)) {
        for (i, cell) in cells.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for cells in std::iter::once(&header).chain(lines.iter()) {
        if cells.len() == 1 {
            text.push_str(&cells[0]);
        } else {
            for (i, cell) in cells.iter().enumerate() {
                if i == 0 {
                    text.push_str(&format!("{cell:<w$}", w = widths[0]));
                } else {
                    text.push_str(&format!("  {cell:>w$}", w = widths[i]));
                }
            }
        }
        text.push('\n');
    }
    text
}
