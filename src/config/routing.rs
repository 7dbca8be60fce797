//! `[routing]` and its `[[routing.expand]]` steps (ROUTING.md).

use super::error::Errors;
use super::walk::Node;
use crate::engine::rules::{ExpandStep, RoutingRules, Strategy};

pub(super) fn routing(node: Option<Node<'_>>, errors: &mut Errors) -> RoutingRules {
    let mut routing = RoutingRules::default();
    let Some(node) = node else { return routing };
    node.deny_unknown(errors, &["strategy", "route_within_group", "expand"]);
    if let Some(strategy) = node.string(errors, "strategy") {
        match strategy {
            "longest_idle" => routing.strategy = Strategy::LongestIdle,
            "most_skilled" => routing.strategy = Strategy::MostSkilled,
            "least_loaded" => routing.strategy = Strategy::LeastLoaded,
            other => errors.push(
                node.path_of("strategy"),
                format!("unknown strategy {other:?} (expected longest_idle, most_skilled or least_loaded)"),
            ),
        }
    }
    if let Some(b) = node.boolean(errors, "route_within_group") {
        routing.route_within_group = b;
    }
    // The `after` of the previous step that had a valid one.
    let mut previous: Option<i64> = None;
    for step in node.tables(errors, "expand") {
        step.deny_unknown(errors, &["after", "lower_min_level_by", "drop_optional_skills", "any_agent"]);
        let mut expand = ExpandStep::default();
        match step.duration(errors, "after") {
            Some(after) => {
                if let Some(prev) = previous.filter(|&p| p > after.ms) {
                    errors.push(
                        step.path_of("after"),
                        format!(
                            "expansion steps must be in order of `after` (cumulative from the round's start): \
                             {} ms is before the previous step's {prev} ms",
                            after.ms
                        ),
                    );
                }
                previous = Some(after.ms);
                expand.after_ms = after.ms;
            }
            None if step.value("after").is_none() => errors.push(step.path_of("after"), "missing (required)"),
            None => {}
        }
        if let Some(n) = step.count_at_least::<u32>(errors, "lower_min_level_by", 0) {
            expand.lower_min_level_by = n;
        }
        if let Some(b) = step.boolean(errors, "drop_optional_skills") {
            expand.drop_optional_skills = b;
        }
        if let Some(b) = step.boolean(errors, "any_agent") {
            expand.any_agent = b;
        }
        if ["lower_min_level_by", "drop_optional_skills", "any_agent"].iter().all(|k| step.value(k).is_none()) {
            errors.push(
                step.path.clone(),
                "an expansion step needs at least one of lower_min_level_by, drop_optional_skills, any_agent",
            );
        }
        routing.expand.push(expand);
    }
    routing
}
