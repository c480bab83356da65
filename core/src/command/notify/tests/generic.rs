//! Generic key commands (db.c, expire.c, cluster.c's RESTORE) and expiry: lazy, active, met
//! by SCAN and RANDOMKEY.

use super::fixture;

#[test]
fn del_rename_move_copy() {
    let mut f = fixture("EAn");
    f.run(&["MSET", "a", "1", "b", "2"]);
    assert_eq!(f.events(&["DEL", "a", "x", "b"]), ["del a", "del b"]);
    f.run(&["SET", "a", "1"]);
    assert_eq!(f.events(&["UNLINK", "a"]), ["del a"]);
    f.run(&["MSET", "a", "1", "b", "2"]);
    // The destination is deleted and added again: `new` even though it existed.
    assert_eq!(
        f.events(&["RENAME", "a", "b"]),
        ["new b", "rename_from a", "rename_to b"]
    );
    assert_eq!(
        f.events(&["RENAMENX", "b", "c"]),
        ["new c", "rename_from b", "rename_to c"]
    );
    f.run(&["SET", "d", "1"]);
    assert!(f.events(&["RENAMENX", "c", "d"]).is_empty());
    assert!(f.events(&["RENAME", "c", "c"]).is_empty());
    assert_eq!(
        f.events(&["MOVE", "c", "2"]),
        [
            "__keyevent@2__:new c",
            "move_from c",
            "__keyevent@2__:move_to c"
        ]
    );
    assert!(f.events(&["MOVE", "nope", "2"]).is_empty());
    assert_eq!(f.events(&["COPY", "d", "e"]), ["new e", "copy_to e"]);
    assert!(f.events(&["COPY", "d", "e"]).is_empty());
    assert_eq!(
        f.events(&["COPY", "d", "e", "REPLACE"]),
        ["new e", "copy_to e"]
    );
    assert_eq!(
        f.events(&["COPY", "d", "e", "DB", "1"]),
        ["__keyevent@1__:new e", "__keyevent@1__:copy_to e"]
    );
}

#[test]
fn expire_and_persist() {
    let mut f = fixture("EA");
    f.run(&["SET", "k", "v"]);
    assert_eq!(f.events(&["EXPIRE", "k", "100"]), ["expire k"]);
    assert_eq!(
        f.events(&["PEXPIREAT", "k", "99999999999999"]),
        ["expire k"]
    );
    assert!(f.events(&["EXPIRE", "k", "100", "NX"]).is_empty());
    assert!(f.events(&["EXPIRE", "none", "100"]).is_empty());
    assert_eq!(f.events(&["PERSIST", "k"]), ["persist k"]);
    assert!(f.events(&["PERSIST", "k"]).is_empty());
    assert_eq!(f.events(&["EXPIRE", "k", "-1"]), ["del k"]);
}

#[test]
fn flush_and_swapdb_publish_nothing() {
    let mut f = fixture("EAn");
    f.run(&["MSET", "a", "1", "b", "2"]);
    assert!(f.events(&["SWAPDB", "0", "1"]).is_empty());
    assert!(f.events(&["FLUSHDB"]).is_empty());
    assert!(f.events(&["FLUSHALL"]).is_empty());
}

#[test]
fn restore() {
    let mut f = fixture("EAn");
    f.run(&["SET", "k", "v"]);
    let dump = f.c.raw(&crate::testkit::frame(&["DUMP", "k"]));
    // The payload is the bulk string after its "$<len>\r\n" header.
    let start = dump.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
    let payload = &dump[start..dump.len() - 2];
    super::published();
    let restore = |f: &mut super::Fixture, args: &[&[u8]]| {
        f.c.raw(&crate::testkit::frame(args));
        super::published()
    };
    assert_eq!(
        restore(&mut f, &[b"RESTORE", b"r", b"0", payload]),
        ["new r", "restore r"]
    );
    assert!(restore(&mut f, &[b"RESTORE", b"r", b"0", payload]).is_empty());
    assert_eq!(
        restore(&mut f, &[b"RESTORE", b"r", b"0", payload, b"REPLACE"]),
        ["new r", "restore r"]
    );
    // Already expired: REPLACE deletes and nothing is added.
    assert_eq!(
        restore(
            &mut f,
            &[b"RESTORE", b"r", b"1", payload, b"REPLACE", b"ABSTTL"]
        ),
        ["del r"]
    );
}

#[test]
fn lazy_expiry_publishes_expired_before_the_command_s_own_events() {
    let mut f = fixture("EAnm");
    f.run(&["SET", "k", "v", "PX", "10"]);
    f.c.advance_ms(20);
    assert_eq!(
        f.events(&["SET", "k", "w"]),
        ["expired k", "new k", "set k"]
    );
    f.run(&["SET", "k", "v", "PX", "10"]);
    f.c.advance_ms(20);
    assert_eq!(f.events(&["GET", "k"]), ["expired k", "keymiss k"]);
    f.run(&["RPUSH", "l", "a"]);
    f.run(&["PEXPIRE", "l", "10"]);
    f.c.advance_ms(20);
    assert_eq!(
        f.events(&["LPUSH", "l", "b"]),
        ["expired l", "new l", "lpush l"]
    );
}

#[test]
fn active_expiry_scan_and_randomkey_publish_expired() {
    let mut f = fixture("Ex");
    f.run(&["SET", "k", "v", "PX", "10"]);
    assert!(super::published().is_empty());
    f.srv
        .tick(crate::Now::from_ms(crate::testkit::EPOCH_MS + 20));
    assert_eq!(super::published(), ["expired k"]);
    f.run(&["SET", "k", "v", "PX", "10"]);
    f.c.advance_ms(20);
    assert_eq!(f.events(&["SCAN", "0", "COUNT", "100"]), ["expired k"]);
    f.run(&["SET", "k", "v", "PX", "10"]);
    f.c.advance_ms(20);
    assert_eq!(f.events(&["RANDOMKEY"]), ["expired k"]);
    // SCAN's TYPE filter reads the key, so the miss is reported too.
    let mut f = fixture("Exm");
    f.run(&["SET", "k", "v", "PX", "10"]);
    f.c.advance_ms(20);
    assert_eq!(
        f.events(&["SCAN", "0", "TYPE", "string"]),
        ["expired k", "keymiss k"]
    );
    // KEYS skips expired keys without deleting them.
    f.run(&["SET", "j", "v", "PX", "10"]);
    f.c.advance_ms(20);
    assert!(f.events(&["KEYS", "*"]).is_empty());
}

#[test]
fn class_x_alone_hides_the_rest() {
    let mut f = fixture("Kx");
    f.run(&["SET", "k", "v", "PX", "10"]);
    f.c.advance_ms(20);
    assert_eq!(f.events(&["GET", "k"]), ["__keyspace@0__:k expired"]);
    assert!(f.events(&["DEL", "k"]).is_empty());
}

#[test]
fn deletions_without_a_lookup_delete_an_expired_key_rather_than_expire_it() {
    let mut f = fixture("EAnx");
    f.run(&["SET", "d", "v", "PX", "10"]);
    f.run(&["SET", "e", "v", "PX", "10"]);
    f.run(&["SET", "r", "v", "PX", "10"]);
    f.c.advance_ms(20);
    assert_eq!(f.events(&["SINTERSTORE", "d", "a", "none"]), ["del d"]);
    assert_eq!(f.events(&["SORT", "none", "STORE", "e"]), ["del e"]);
    // Redis 7.0's DUMP of the string "hello".
    let payload: &[u8] = b"\x00\x05hello\x0a\x00cr\xdfve4 \x0a";
    f.c.raw(&crate::testkit::frame(&[
        &b"RESTORE"[..],
        b"r",
        b"0",
        payload,
        b"REPLACE",
    ]));
    assert_eq!(super::published(), ["new r", "restore r"]);
}

#[test]
fn a_whole_value_write_over_an_expired_key_expires_it_first() {
    let mut f = fixture("EAnx");
    for d in ["d", "e", "z"] {
        f.run(&["SET", d, "v", "PX", "10"]);
    }
    f.run(&["SADD", "a", "1"]);
    f.run(&["ZADD", "b", "1", "x"]);
    f.c.advance_ms(20);
    assert_eq!(
        f.events(&["SUNIONSTORE", "d", "a"]),
        ["expired d", "new d", "sunionstore d"]
    );
    assert_eq!(
        f.events(&["SORT", "a", "STORE", "e"]),
        ["expired e", "new e", "sortstore e"]
    );
    assert_eq!(
        f.events(&["ZUNIONSTORE", "z", "1", "b"]),
        ["expired z", "new z", "zunionstore z"]
    );
}

#[test]
fn the_eviction_hook_publishes_evicted() {
    let f = fixture("KEe");
    f.srv.keyspace.evicted(0, b"k", Some(&*f.srv));
    assert_eq!(
        super::published(),
        ["__keyspace@0__:k evicted", "evicted k"]
    );
    let f = fixture("KEA");
    f.srv.keyspace.evicted(0, b"k", None);
    assert!(super::published().is_empty());
}

#[test]
fn migrate_publishes_the_deletion_of_the_keys_it_moved() {
    /// A target that stores everything MIGRATE sends.
    struct Accepting;
    impl crate::host::Host for Accepting {
        fn migrate(
            &self,
            req: &crate::keyspace::commands::migrate::MigrateRequest,
        ) -> Result<(), String> {
            req.acked.lock().iter_mut().for_each(|a| *a = true);
            Ok(())
        }
    }
    let config = crate::config::Config {
        notify_keyspace_events: crate::config::value::notify_flags("Eg").unwrap_or(0),
        ..Default::default()
    };
    let srv = std::sync::Arc::new(crate::server::Server::new(
        config,
        1,
        Box::new(Accepting),
        crate::Now::from_ms(crate::testkit::EPOCH_MS),
    ));
    let mut c = crate::testkit::TestClient::new(&srv);
    c.cmd(&["MSET", "a", "1", "b", "2"]);
    super::capture::start();
    c.cmd(&["MIGRATE", "h", "1", "", "0", "10", "KEYS", "a", "b", "none"]);
    c.poll();
    assert_eq!(super::published(), ["del a", "del b"]);
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["MIGRATE", "h", "1", "k", "0", "10", "COPY"]);
    c.poll();
    assert!(super::published().is_empty());
}
