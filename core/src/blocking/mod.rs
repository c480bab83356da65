//! Blocking commands (BLPOP, BLMOVE, BZPOPMIN, ...): clients waiting on keys, and their service
//! when another command makes a key ready.
//!
//! A blocking command that finds no data registers a [`Waiter`] in the keyspace's
//! [`BlockingRegistry`] while it still holds its keys' shard locks, so no write can slip between
//! its look and its registration. A command that adds to a list or sorted set calls
//! `Locked::signal_ready`, which queues the key if anyone waits on it; after each top-level
//! command (after EXEC for a transaction) the session that ran it calls [`serve_ready`], which
//! re-runs each waiter's command on the waiter's behalf, oldest waiter first, and hands the reply
//! to the waiter's session through the waiter's slot. Timeouts, CLIENT UNBLOCK and disconnects
//! settle the same slot, under the same lock as service, so each waiter is settled exactly once.
//!
//! A waiter holds its client's `ClientHandle`, whose `blocked` names the waiter back (CLIENT
//! UNBLOCK, CLIENT LIST): whoever ends a wait (service, timeout, CLIENT UNBLOCK, the reply's
//! delivery, the session's drop) clears `blocked`, or the cycle would keep both allocated.
//!
//! Lock order (never taken in the other direction): serve lock → waiter slot → shard locks →
//! registry. The registry lock is a leaf: nothing is locked while it is held. A handle's
//! `blocked` may be held while taking a waiter slot (CLIENT LIST), so it is cleared only after
//! the slot is released.

mod no_data;
mod registry;
mod serve;
#[cfg(test)]
mod tests;
mod timeout;

pub use crate::client::{TimeoutReply, WaitState, Waiter};
pub use no_data::{block_or_reply, first_key_or_block, Tried};
pub use registry::BlockingRegistry;
pub use serve::serve_ready;
pub(crate) use serve::settle;
pub use timeout::parse_timeout;
