//! Pub/Sub: the server-wide registry of channel, pattern and shard-channel subscriptions, and
//! PUBLISH's fan-out into the subscribers' mailboxes (docs/ARCHITECTURE.md, "Pub/Sub").

/// Every subscription of every client, and the fan-out of published messages.
#[derive(Default)]
pub struct PubSub {}

impl PubSub {
    /// Delivers `message` on `channel` to its subscribers and the clients whose patterns match
    /// it; the number of clients that received it.
    pub fn publish(&self, _channel: &[u8], _message: &[u8]) -> usize {
        0
    }
}
