//! Small pure helpers shared by the engine's modules.

pub mod c_str;
pub mod digest;
pub mod glob;
pub mod num;
pub mod os_error;
pub mod repr;
pub mod sha1;
pub mod slot;
pub mod small_bytes;
pub mod split_args;
