//! Rejection reasons (EVENTS.md section 6), in the precedence order of DETAILS.md.

use std::fmt;

/// Why an input was rejected. A rejection never changes state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    MalformedJson,
    MissingField,
    UnknownType,
    InvalidValue,
    TenantMismatch,
    UnknownTicket,
    DuplicateTicket,
    UnknownAgent,
}

impl Reason {
    pub const ALL: [Reason; 8] = [
        Reason::MalformedJson,
        Reason::MissingField,
        Reason::UnknownType,
        Reason::InvalidValue,
        Reason::TenantMismatch,
        Reason::UnknownTicket,
        Reason::DuplicateTicket,
        Reason::UnknownAgent,
    ];

    /// The reason code as written in `slad simulate`'s stderr and the `slad-error` header.
    pub fn code(self) -> &'static str {
        match self {
            Reason::MalformedJson => "malformed_json",
            Reason::MissingField => "missing_field",
            Reason::UnknownType => "unknown_type",
            Reason::InvalidValue => "invalid_value",
            Reason::TenantMismatch => "tenant_mismatch",
            Reason::UnknownTicket => "unknown_ticket",
            Reason::DuplicateTicket => "duplicate_ticket",
            Reason::UnknownAgent => "unknown_agent",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused input: the reason code and one line for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: Reason,
    pub detail: String,
}

impl Rejection {
    pub fn new(reason: Reason, detail: impl Into<String>) -> Self {
        let mut detail = detail.into();
        // One line for a human: no control characters, bounded length.
        if detail.len() > 300 || detail.contains(['\n', '\r']) {
            detail = detail.replace(['\n', '\r'], " ");
            if detail.len() > 300 {
                let mut cut = 300;
                while !detail.is_char_boundary(cut) {
                    cut -= 1;
                }
                detail.truncate(cut);
                detail.push('…');
            }
        }
        Rejection { reason, detail }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason, self.detail)
    }
}
