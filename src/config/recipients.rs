//! Recipient specs (SLA.md, Recipients): `assignee`, `supervisor`, `supervisor^N`,
//! `group:NAME`, `group:*`, `agent:ID`, `role:NAME`.

use super::error::Errors;
use super::walk::Node;
use crate::engine::rules::RecipientSpec;

/// Parses one spec. `supervisor^N` needs an integer N >= 1; names and ids must not be
/// empty nor start or end with a space.
pub(super) fn parse_recipient(text: &str) -> Result<RecipientSpec, String> {
    const EXPECTED: &str = "expected assignee, supervisor, supervisor^N, group:NAME, group:*, agent:ID or role:NAME";
    match text {
        "assignee" => return Ok(RecipientSpec::Assignee),
        "supervisor" => return Ok(RecipientSpec::Supervisor(1)),
        "group:*" => return Ok(RecipientSpec::TicketGroup),
        _ => {}
    }
    if let Some(n) = text.strip_prefix("supervisor^") {
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("invalid recipient {text:?}: N in supervisor^N must be an integer >= 1"));
        }
        return match n.parse::<u32>() {
            Ok(0) => Err(format!("invalid recipient {text:?}: N in supervisor^N must be >= 1")),
            Ok(n) => Ok(RecipientSpec::Supervisor(n)),
            Err(_) => Err(format!("invalid recipient {text:?}: N is too large")),
        };
    }
    let Some((kind, name)) = text.split_once(':') else {
        return Err(format!("invalid recipient {text:?}: {EXPECTED}"));
    };
    let what = match kind {
        "group" => "group name",
        "agent" => "agent id",
        "role" => "role name",
        _ => return Err(format!("invalid recipient {text:?}: {EXPECTED}")),
    };
    if name.is_empty() {
        return Err(format!("invalid recipient {text:?}: the {what} is empty"));
    }
    if name.trim() != name {
        return Err(format!("invalid recipient {text:?}: the {what} starts or ends with a space"));
    }
    let name = name.to_owned();
    Ok(match kind {
        "group" => RecipientSpec::Group(name),
        "agent" => RecipientSpec::Agent(name),
        _ => RecipientSpec::Role(name),
    })
}

/// The list of specs at `node.key`, empty when absent; bad specs are errors (at their
/// index) and left out.
pub(super) fn recipients(node: &Node<'_>, errors: &mut Errors, key: &str) -> Vec<RecipientSpec> {
    let Some(items) = node.strings(errors, key) else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| match parse_recipient(item.text) {
            Ok(spec) => Some(spec),
            Err(message) => {
                errors.push(item.path, message);
                None
            }
        })
        .collect()
}
