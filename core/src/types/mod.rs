//! The value types and their commands, one file per type as Redis keeps t_string.c, t_list.c...

pub mod bitmap;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod list;
pub mod mpop;
pub mod scan_args;
pub mod set;
pub mod sort;
pub mod stream;
pub mod string;
pub mod zset;
