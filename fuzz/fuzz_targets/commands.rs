//! Structured command sequences over a four-key pool (two keys share a hash tag), with time
//! passing and the server cron running, through one in-process session. After every command
//! the keyspace invariants are checked from a second session: see `check_invariants`. At the
//! end the replay property must hold: the propagation stream, applied to an empty server,
//! reproduces the dataset (`lode_core::sim::replay`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lode_core::clock::Now;
use lode_core::sim::replay::check_replay;
use lode_core::testkit::{TestClient, EPOCH_MS};
use lode_fuzz::{call, check_invariants, server, Step};

fuzz_target!(|steps: Vec<Step>| {
    let srv = server(None);
    let mut reader = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    let mut checker = TestClient::new(&srv);
    for step in steps.iter().take(64) {
        call(&mut c, &step.op.args());
        c.advance_ms(step.advance_ms());
        if step.tick {
            srv.tick(c.now);
        }
        checker.now = c.now;
        check_invariants(&mut checker);
    }
    if let Err(e) = check_replay(&srv, &mut reader, c.now, Now::from_ms(EPOCH_MS)) {
        panic!("replay property: {e}");
    }
    srv.keyspace.log.unsubscribe(reader);
});
