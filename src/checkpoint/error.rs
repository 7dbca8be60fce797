//! Why bytes are not a usable checkpoint.

/// Why [`super::decode`] or [`super::peek_meta`] refused bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Fewer bytes than the frame needs (a file or a transfer cut short).
    #[error("truncated: {found} bytes, the checkpoint needs {needed}")]
    Truncated { needed: u64, found: u64 },
    #[error("not a checkpoint (bad magic bytes)")]
    BadMagic,
    #[error("checkpoint format version {found}; this build reads version {supported}")]
    UnsupportedVersion { found: u32, supported: u32 },
    /// More bytes than the frame declares.
    #[error("{found} bytes where the checkpoint declares {declared}")]
    TrailingBytes { declared: u64, found: u64 },
    /// A header field no encoder writes.
    #[error("bad header: {0}")]
    BadHeader(String),
    #[error("checksum mismatch: the checkpoint is corrupt")]
    Checksum,
    /// The checksum matched but the payload decoder refused the payload.
    #[error("payload refused: {0}")]
    Payload(String),
    /// The payload is intact but cannot be rebuilt by this build (a calendar's time zone
    /// unknown to its time zone database).
    #[error("incompatible checkpoint: {0}")]
    Incompatible(String),
}
