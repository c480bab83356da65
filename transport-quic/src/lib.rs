//! The quic transport: filled in by its own issue; compiles as an empty crate until then.
