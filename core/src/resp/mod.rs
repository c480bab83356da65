//! RESP: the request decoder (what clients send), the reply writer (what the server sends), and
//! a general RESP2/RESP3 value parser for the client side (tests, the QUIC client, fuzzing).

pub mod decoder;
pub mod value;
pub mod writer;

pub use writer::ReplyWriter;

#[cfg(test)]
mod roundtrip_tests;
