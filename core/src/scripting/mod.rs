//! Lua scripting and functions: EVAL, EVALSHA, SCRIPT, FUNCTION, FCALL, run on one Lua 5.1 VM
//! (through mlua) with Redis 7's sandbox, redis.* API and bundled libraries.

pub mod lib;
