//! Persistence formats (pure: encode and decode over buffers; the server does the file I/O).

pub mod rdb;
