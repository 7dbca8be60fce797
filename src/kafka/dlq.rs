//! Dead letters (EVENTS.md section 1): a rejected input goes to the dead-letter topic with its
//! value unchanged, its key, and three headers saying why and where it came from.

use crate::contract::Rejection;
use rdkafka::message::{Header, OwnedHeaders};

/// Header carrying the reason code (`malformed_json`, `unknown_ticket`, ...).
pub const HEADER_ERROR: &str = "slad-error";
/// Header carrying one line for a human.
pub const HEADER_DETAIL: &str = "slad-detail";
/// Header carrying `topic/partition/offset` of the rejected record.
pub const HEADER_SOURCE: &str = "slad-source";

/// The headers of a dead letter.
pub fn headers(rejection: &Rejection, topic: &str, partition: i32, offset: i64) -> OwnedHeaders {
    let detail = one_line(&rejection.detail);
    let source = format!("{topic}/{partition}/{offset}");
    OwnedHeaders::new_with_capacity(3)
        .insert(Header { key: HEADER_ERROR, value: Some(rejection.reason.code()) })
        .insert(Header { key: HEADER_DETAIL, value: Some(detail.as_str()) })
        .insert(Header { key: HEADER_SOURCE, value: Some(source.as_str()) })
}

/// The detail as a single line without control characters.
pub fn one_line(detail: &str) -> String {
    detail.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Reason;
    use rdkafka::message::Headers;

    #[test]
    fn three_headers_with_code_detail_and_source() {
        let r = Rejection::new(Reason::UnknownTicket, "ticket T9\tis unknown");
        let h = headers(&r, "support.events", 3, 42);
        let pairs: Vec<(String, String)> = h
            .iter()
            .map(|h| (h.key.to_owned(), String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("slad-error".to_owned(), "unknown_ticket".to_owned()),
                ("slad-detail".to_owned(), "ticket T9 is unknown".to_owned()),
                ("slad-source".to_owned(), "support.events/3/42".to_owned()),
            ]
        );
    }
}
