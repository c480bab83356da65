use crate::testkit::{server, TestClient};

fn resp3(srv: &std::sync::Arc<crate::Server>) -> TestClient {
    let mut c = TestClient::new(srv);
    c.cmd(&["HELLO", "3"]);
    c
}

#[test]
fn default_mode_invalidates_read_keys_once() {
    let srv = server();
    let mut c = resp3(&srv);
    let mut w = TestClient::new(&srv);
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on"]), "+OK\r\n");
    w.cmd(&["SET", "a", "1"]);
    assert_eq!(c.poll(), "", "nothing read yet");
    c.cmd(&["GET", "a"]);
    c.cmd(&["MGET", "b", "c"]);
    w.cmd(&["SET", "a", "2"]);
    w.cmd(&["SET", "a", "3"]);
    assert_eq!(c.poll(), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n");
    w.cmd(&["DEL", "c"]);
    assert_eq!(c.poll(), "", "DEL of a missing key changes nothing");
    w.cmd(&["SET", "c", "x"]);
    assert_eq!(c.poll(), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nc\r\n");
    // The client's own write: the invalidation follows the reply.
    c.cmd(&["GET", "b"]);
    assert_eq!(
        c.cmd(&["SET", "b", "1"]),
        "+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nb\r\n"
    );
    let info = w.cmd(&["CLIENT", "LIST", "ID", &c.session.id().to_string()]);
    assert!(
        info.contains(" flags=t ") && info.contains(" redir=0 "),
        "{info}"
    );
}

#[test]
fn noloop_optin_optout() {
    let srv = server();
    let mut c = resp3(&srv);
    c.cmd(&["CLIENT", "TRACKING", "on", "NOLOOP"]);
    c.cmd(&["GET", "k"]);
    assert_eq!(c.cmd(&["SET", "k", "1"]), "+OK\r\n");
    let mut o = resp3(&srv);
    o.cmd(&["CLIENT", "TRACKING", "on", "OPTIN"]);
    o.cmd(&["GET", "x"]);
    assert_eq!(o.cmd(&["CLIENT", "CACHING", "yes"]), "+OK\r\n");
    o.cmd(&["GET", "y"]);
    TestClient::new(&srv).cmd(&["MSET", "x", "1", "y", "2"]);
    assert_eq!(o.poll(), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\ny\r\n");
    assert_eq!(
        o.cmd(&["CLIENT", "CACHING", "no"]),
        "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n"
    );
    assert_eq!(
        o.cmd(&["CLIENT", "TRACKING", "on", "OPTOUT"]),
        "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, \
         and then re-enabling it with a different mode.\r\n"
    );
}

#[test]
fn bcast_prefixes_and_redirect_to_a_resp2_subscriber() {
    let srv = server();
    let mut sub = TestClient::new(&srv);
    sub.cmd(&["SUBSCRIBE", "__redis__:invalidate"]);
    let id = sub.session.id().to_string();
    let mut c = TestClient::new(&srv);
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab"]),
        "-ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single \
         client must not overlap.\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "REDIRECT", &id]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["CLIENT", "GETREDIR"]), format!(":{id}\r\n"));
    TestClient::new(&srv).cmd(&["MSET", "a2", "1", "b", "2", "a1", "3"]);
    assert_eq!(
        sub.poll(),
        "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*2\r\n$2\r\na1\r\n$2\r\na2\r\n"
    );
    TestClient::new(&srv).cmd(&["FLUSHALL"]);
    assert_eq!(
        sub.poll(),
        "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKINGINFO"]),
        "*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:2\r\n\
         $8\r\nprefixes\r\n*1\r\n$1\r\na\r\n"
            .replace(":2", &format!(":{id}"))
    );
    drop(sub);
    TestClient::new(&srv).cmd(&["SET", "a3", "1"]);
    let info = c.cmd(&["CLIENT", "TRACKINGINFO"]);
    assert!(info.contains("broken_redirect"), "{info}");
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "off"]), "+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETREDIR"]), ":-1\r\n");
}

#[test]
fn the_table_is_bounded_by_tracking_table_max_keys() {
    let srv = server();
    srv.config.write().tracking_table_max_keys = 2;
    let mut c = resp3(&srv);
    c.cmd(&["CLIENT", "TRACKING", "on"]);
    let evicted = c.cmd(&["MGET", "a", "b", "c"]);
    assert_eq!(srv.tracking.totals().0, 2);
    assert_eq!(evicted.matches("invalidate").count(), 1, "{evicted}");
}

#[test]
fn active_expiry_is_broadcast_by_the_cron() {
    let srv = server();
    let mut c = resp3(&srv);
    c.cmd(&["CLIENT", "TRACKING", "on", "BCAST"]);
    TestClient::new(&srv).cmd(&["SET", "k", "v", "PX", "1"]);
    assert_eq!(c.poll(), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
    srv.tick(crate::Now::from_ms(crate::testkit::EPOCH_MS + 10_000));
    assert_eq!(c.poll(), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
}
