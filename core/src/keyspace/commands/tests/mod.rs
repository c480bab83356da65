//! Tests of the generic key commands. `redis_diff` holds command sequences whose expected
//! replies were recorded from redis-server 7.0.15; the other files test what needs the fake
//! clock or many keys (expiry, SCAN's guarantee, RANDOMKEY's spread).

mod dump;
mod expiry;
mod lazyfree;
mod redis_diff;
mod scan;
