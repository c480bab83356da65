//! Keys written with a TTL on a writable replica (`replica-read-only no`): Redis's
//! slaveKeysWithExpire. A replica expires nothing of the primary's (its DELs do that), but a
//! key a client wrote to the replica itself would then live for ever: the replica remembers
//! such keys and its cron deletes them once their TTL passes (INFO
//! `slave_expires_tracked_keys`).

use std::collections::HashSet;

use bytes::Bytes;

use crate::command::Command;
use crate::server::Server;
use crate::sync::Mutex;

/// The keys a writable replica's own clients gave a TTL, by (database, key).
#[derive(Default)]
pub struct WrittenKeys {
    keys: Mutex<HashSet<(usize, Vec<u8>)>>,
}

impl WrittenKeys {
    /// How many are tracked (`slave_expires_tracked_keys`).
    pub fn len(&self) -> usize {
        self.keys.lock().len()
    }

    /// Whether none is tracked.
    pub fn is_empty(&self) -> bool {
        self.keys.lock().is_empty()
    }

    /// Forgets them all (this server became a primary, or a full sync replaced the dataset).
    pub fn clear(&self) {
        self.keys.lock().clear();
    }
}

/// After a write by one of this replica's own clients (not its primary's): the keys it wrote
/// that now have a TTL are remembered.
pub fn note_write(server: &Server, db: usize, cmd: &Command, args: &[Bytes], now_ms: u64) {
    let mut idx: smallvec::SmallVec<[usize; 8]> = smallvec::SmallVec::new();
    for spec in cmd.key_specs.iter().filter(|s| s.writes) {
        spec.extract(args, &mut idx);
    }
    let ks = &server.keyspace;
    for key in idx.iter().filter_map(|&i| args.get(i)) {
        let locked = ks.lock_one(db, key, now_ms);
        if locked.peek_live(key).is_some_and(|e| e.expire_at != 0) {
            let tracked = &server.repl.replica.written;
            tracked.keys.lock().insert((db, key.to_vec()));
        }
    }
}

/// The cron's step (Redis's expireSlaveKeys): deletes the tracked keys whose TTL passed and
/// forgets those gone or without a TTL. Nothing enters the stream: the primary never had them.
pub fn expire(server: &Server, now_ms: u64) {
    let tracked = &server.repl.replica.written;
    if tracked.is_empty() {
        return;
    }
    let keys: Vec<(usize, Vec<u8>)> = tracked.keys.lock().iter().cloned().collect();
    let ks = &server.keyspace;
    for (db, key) in keys {
        let mut locked = ks.lock_one(db, &key, now_ms);
        let expire_at = locked.shard_mut(&key).peek(&key).map(|e| e.expire_at);
        let keep = match expire_at {
            Some(at) if at != 0 && at <= now_ms => {
                locked.delete(&key);
                ks.expired_keys
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                false
            }
            Some(at) => at != 0,
            None => false,
        };
        if !keep {
            tracked.keys.lock().remove(&(db, key));
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn a_writable_replica_expires_only_the_keys_its_clients_wrote() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["SET", "from-primary", "v", "PX", "10"]), "+OK\r\n");
        srv.repl.replica.set_primary("127.0.0.1", 1);
        srv.keyspace.pause.hold_for_replica(true);
        c.cmd(&["CONFIG", "SET", "replica-read-only", "no"]);
        c.cmd(&["SELECT", "5"]);
        assert_eq!(c.cmd(&["SET", "mine", "v", "PX", "10"]), "+OK\r\n");
        assert_eq!(c.cmd(&["SET", "forever", "v"]), "+OK\r\n");
        assert_eq!(srv.repl.replica.written.len(), 1);
        c.advance_ms(20);
        srv.tick(c.now);
        assert_eq!(c.cmd(&["DBSIZE"]), ":1\r\n");
        assert!(srv.repl.replica.written.is_empty());
        // The primary's key stays (hidden) until the primary's DEL.
        c.cmd(&["SELECT", "0"]);
        assert_eq!(c.cmd(&["DBSIZE"]), ":1\r\n");
        assert_eq!(c.cmd(&["GET", "from-primary"]), "$-1\r\n");
    }
}
