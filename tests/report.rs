//! The what-if report (REPORT.md) against the outputs of the same run: on seeded random
//! streams, every figure that the output stream shows is counted again here, independently,
//! from the JSON lines `slad simulate` writes; the figures it cannot show (cycles started,
//! active) must be consistent with it. `slad whatif` against itself finds no difference, and
//! against a stricter policy finds the extra breaches.

use serde_json::Value;
use slad::report::compare::compare;
use slad::report::Report;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

const START_MS: i64 = 1_780_000_000_000;

fn default_rules() -> Arc<slad::engine::rules::Rules> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/slad.toml");
    Arc::new(slad::config::load(&path).expect("the default configuration loads").rules)
}

/// A stream with retries and broken lines mixed in.
fn stream(seed: u64, lines: usize) -> (String, usize) {
    let mut workload = slad::workload::Workload::new(seed, 3, START_MS).max_open_per_tenant(200);
    let mut text = String::new();
    let mut counted = 0;
    let mut previous = String::new();
    for i in 0..lines {
        let line = workload.next_line();
        text.push_str(&line);
        text.push('\n');
        counted += 1;
        if i % 97 == 13 {
            text.push_str(&previous); // a producer retry: same event_id
            text.push('\n');
            counted += 1;
        }
        if i % 211 == 7 {
            text.push_str("{\"type\": \"ticket.created\"\n# a comment\n\n");
            counted += 1;
        }
        previous = line;
    }
    (text, counted)
}

fn run(rules: Arc<slad::engine::rules::Rules>, input: &str, until: i64) -> (Report, Vec<Value>) {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let sim = slad::simulate::Simulator::new(rules).with_tally();
    let sim = slad::simulate::run_simulator(sim, input.as_bytes(), Some(until), false, &mut stdout, &mut stderr)
        .expect("the run completes");
    let outputs = String::from_utf8(stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (sim.into_tally().unwrap().report(Some(until)), outputs)
}

fn nearest_rank(mut values: Vec<i64>, q: usize) -> Option<i64> {
    values.sort();
    let rank = ((q * values.len()) as f64 / 100.0).ceil().max(1.0) as usize;
    values.get(rank - 1).copied()
}

fn count_by<K: Ord>(outputs: &[Value], key: impl Fn(&Value) -> Option<K>) -> BTreeMap<K, u64> {
    let mut counts = BTreeMap::new();
    for o in outputs {
        if let Some(k) = key(o) {
            *counts.entry(k).or_default() += 1;
        }
    }
    counts
}

fn of_type<'a>(outputs: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    outputs.iter().filter(move |o| o["type"] == kind)
}

#[test]
fn report_figures_agree_with_the_outputs_of_the_run() {
    for seed in [1, 2, 3, 4] {
        let (input, lines) = stream(seed, 6_000);
        let until = START_MS + 3 * 86_400_000;
        let (report, outputs) = run(default_rules(), &input, until);
        let context = format!("seed {seed}");

        let rejected: u64 = report.inputs.rejected.values().sum();
        assert_eq!(report.inputs.applied + report.inputs.duplicates + rejected, lines as u64, "{context}: lines");
        assert!(report.inputs.duplicates > 0 && rejected > 0, "{context}: the stream has retries and broken lines");
        assert_eq!(report.until.as_deref(), Some(slad::time::format_rfc3339(until).as_str()));

        let by_type = count_by(&outputs, |o| o["type"].as_str().map(str::to_owned));
        assert_eq!(report.outputs, by_type, "{context}: outputs by type");

        let escalations = count_by(&outputs, |o| {
            (o["type"] == "escalation.raised")
                .then(|| (o["kind"].as_str().unwrap().to_owned(), o["level"].as_u64().unwrap()))
        });
        let reported: BTreeMap<(String, u64), u64> =
            report.escalations.iter().map(|e| ((e.kind.clone(), e.level as u64), e.count)).collect();
        assert_eq!(reported, escalations, "{context}: escalations by kind and level");
        assert!(report.escalations.windows(2).all(|w| (&w[0].kind, w[0].level) < (&w[1].kind, w[1].level)));

        let channels = count_by(&outputs, |o| {
            (o["type"] == "notification.requested").then(|| o["channel"].as_str().unwrap().to_owned())
        });
        let reported: BTreeMap<String, u64> =
            report.notifications.iter().map(|n| (n.channel.clone(), n.count)).collect();
        assert_eq!(reported, channels, "{context}: notifications by channel");

        let routing = &report.routing;
        assert_eq!(routing.queued, of_type(&outputs, "routing.queued").count() as u64);
        assert_eq!(routing.expanded, of_type(&outputs, "routing.expanded").count() as u64);
        assert_eq!(routing.assigned, of_type(&outputs, "routing.assigned").count() as u64);
        // Every round opened is queued or assigned at once, so it shows in one of the two.
        let rounds: BTreeSet<(String, String, u64)> = outputs
            .iter()
            .filter(|o| o["type"] == "routing.queued" || o["type"] == "routing.assigned")
            .map(|o| (o["tenant"].to_string(), o["ticket_id"].to_string(), o["round"].as_u64().unwrap()))
            .collect();
        assert_eq!(routing.rounds, rounds.len() as u64, "{context}: rounds");
        let waits: Vec<i64> = of_type(&outputs, "routing.assigned").map(|o| o["wait_ms"].as_i64().unwrap()).collect();
        assert!(!waits.is_empty());
        assert_eq!(routing.wait_ms.p50, nearest_rank(waits.clone(), 50), "{context}: wait p50");
        assert_eq!(routing.wait_ms.p90, nearest_rank(waits.clone(), 90), "{context}: wait p90");
        assert_eq!(routing.wait_ms.p99, nearest_rank(waits, 99), "{context}: wait p99");

        assert!(!report.sla.is_empty());
        let metric_order = ["first_response", "next_response", "periodic_update", "resolution"];
        let order = |metric: &str| metric_order.iter().position(|m| *m == metric).unwrap();
        assert!(report
            .sla
            .windows(2)
            .all(|w| (order(&w[0].metric), &w[0].policy) < (order(&w[1].metric), &w[1].policy)));
        for row in &report.sla {
            assert!(row.breached <= row.started && row.fulfilled + row.active <= row.started, "{context}: {row:?}");
            assert!(row.fulfilled_in_time <= row.fulfilled, "{context}: {row:?}");
        }
        for metric in metric_order {
            let rows: Vec<_> = report.sla.iter().filter(|r| r.metric == metric).collect();
            let breaches = of_type(&outputs, "sla.breached").filter(|o| o["metric"] == metric).count() as u64;
            assert_eq!(rows.iter().map(|r| r.breached).sum::<u64>(), breaches, "{context}: {metric} breaches");
            if metric == "resolution" {
                continue; // a reopen resumes a fulfilled resolution cycle: see the scenarios
            }
            // Other cycles are fulfilled at most once, for good.
            let fulfilled: Vec<&Value> = of_type(&outputs, "sla.fulfilled").filter(|o| o["metric"] == metric).collect();
            let in_time = fulfilled.iter().filter(|o| o["breached"] == false).count() as u64;
            assert_eq!(rows.iter().map(|r| r.fulfilled).sum::<u64>(), fulfilled.len() as u64, "{context}: {metric}");
            assert_eq!(rows.iter().map(|r| r.fulfilled_in_time).sum::<u64>(), in_time, "{context}: {metric}");
            if let [row] = rows[..] {
                let elapsed: Vec<i64> = fulfilled.iter().map(|o| o["elapsed_ms"].as_i64().unwrap()).collect();
                assert_eq!(row.elapsed_ms.p90, nearest_rank(elapsed, 90), "{context}: {metric} elapsed p90");
            }
        }
    }
}

#[test]
fn whatif_of_a_configuration_against_itself_finds_no_difference() {
    let (input, _) = stream(7, 3_000);
    let until = START_MS + 86_400_000;
    let comparison = compare(("a", default_rules()), ("b", default_rules()), input.as_bytes(), Some(until)).unwrap();
    assert_eq!(comparison.a.report, comparison.b.report);
    assert!(comparison.only_in_a.is_empty() && comparison.only_in_b.is_empty() && comparison.changed.is_empty());
    let (alone, _) = run(default_rules(), &input, until);
    assert_eq!(comparison.a.report, alone, "the side-by-side run equals a run of its own");
}

#[test]
fn whatif_against_shorter_targets_shows_the_extra_breaches() {
    let (input, _) = stream(8, 3_000);
    let until = Some(START_MS + 86_400_000);
    let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/slad.toml")).unwrap();
    let shortened = shorten_hour_targets(&text);
    assert_ne!(shortened, text);
    let stricter = Arc::new(slad::config::parse(&shortened).expect("the variant loads").rules);
    let comparison = compare(("current", default_rules()), ("stricter", stricter), input.as_bytes(), until).unwrap();
    let breaches = |r: &Report| r.sla.iter().map(|s| s.breached).sum::<u64>();
    assert!(breaches(&comparison.b.report) > breaches(&comparison.a.report));
    let extra = comparison.only_in_b.get("sla.breached").copied().unwrap_or(0);
    assert!(extra > 0, "breaches only under the stricter policy: {:?}", comparison.only_in_b);
    let text = comparison.render_text();
    assert!(text.contains("outputs only under stricter") && text.contains("breach rate"), "{text}");
}

/// Divides every `"Nh"` target in the `[policy.targets.*]` tables by ten, as minutes.
fn shorten_hour_targets(config: &str) -> String {
    let mut out = String::new();
    let mut in_targets = false;
    for line in config.lines() {
        if line.starts_with('[') {
            in_targets = line.starts_with("[policy.targets.");
        }
        let mut line = line.to_owned();
        if in_targets {
            if let Some((key, value)) = line.split_once('=') {
                let v = value.trim().trim_matches('"');
                if let Some(hours) = v.strip_suffix('h').and_then(|h| h.parse::<u64>().ok()) {
                    line = format!("{key}= \"{}m\"", hours * 6);
                }
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The what-if page of the demo configuration against a stricter variant, rendered by a real
/// browser (headless Chromium, installed by the test command): the titles are in the page it
/// parsed and the charts are drawn in both runs' colours. Without Chromium the test says so
/// and checks the page's text only.
#[test]
fn whatif_page_renders_in_a_browser_with_its_titles_and_charts() {
    let (input, _) = stream(9, 4_000);
    let until = Some(START_MS + 2 * 86_400_000);
    let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/slad.toml")).unwrap();
    let stricter = Arc::new(slad::config::parse(&shorten_hour_targets(&text)).unwrap().rules);
    let c = compare(("current", default_rules()), ("stricter", stricter), input.as_bytes(), until).unwrap();
    let runs = [
        slad::report::html::Run { label: "current", report: &c.a.report, hourly: &c.a.hourly },
        slad::report::html::Run { label: "stricter", report: &c.b.report, hourly: &c.b.hourly },
    ];
    let page = slad::report::html::render("slad what-if: stricter against current", &runs, &c.differences());
    let titles =
        ["Breaches per hour", "Escalations per hour", "Mean routing wait per hour", "KPIs", "Outputs that differ"];
    for title in titles {
        assert!(page.contains(&format!("<h2>{title}</h2>")), "{title} is on the page");
    }
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("<script"), "self-contained");

    let dir = std::env::temp_dir().join(format!("slad-whatif-page-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("whatif.html");
    std::fs::write(&html, &page).unwrap();
    let Some(chromium) = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| std::process::Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
    else {
        println!("skipped: no chromium on this machine (scripts/install-deps.sh installs it)");
        return;
    };
    let browser = |extra: &[&str]| {
        let profile = dir.join("profile");
        let output = std::process::Command::new(chromium)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
            .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(format!("file://{}", html.display()))
            .output()
            .expect("chromium runs");
        assert!(output.status.success(), "chromium: {}", String::from_utf8_lossy(&output.stderr));
        output.stdout
    };
    let dom = String::from_utf8(browser(&["--dump-dom"])).unwrap();
    for title in titles {
        assert!(dom.contains(title), "the browser's DOM has {title}");
    }
    assert_eq!(dom.matches("<svg").count(), 3, "three charts");
    let png = dir.join("whatif.png");
    browser(&["--window-size=1000,1500", "--hide-scrollbars", &format!("--screenshot={}", png.display())]);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let channels = frame.color_type.samples();
    let near = |px: &[u8], rgb: [u8; 3]| px.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) < 24);
    let count = |rgb: [u8; 3]| pixels[..frame.buffer_size()].chunks(channels).filter(|px| near(px, rgb)).count();
    let (current, strict) = (count([0x1f, 0x6f, 0xb4]), count([0xe0, 0x70, 0x1b]));
    assert!(current > 500 && strict > 500, "both runs are drawn: {current} and {strict} pixels of their colours");
    if let Ok(keep) = std::env::var("SLAD_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
