use crate::testkit::{server, TestClient};

#[test]
fn publish_reaches_channel_and_pattern_subscribers_in_order() {
    let srv = server();
    let mut sub = TestClient::new(&srv);
    let mut psub = TestClient::new(&srv);
    let mut publisher = TestClient::new(&srv);
    assert_eq!(
        sub.cmd(&["SUBSCRIBE", "news", "sport"]),
        "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n"
    );
    assert_eq!(
        psub.cmd(&["PSUBSCRIBE", "n*"]),
        "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:1\r\n"
    );
    assert_eq!(publisher.cmd(&["PUBLISH", "news", "a"]), ":2\r\n");
    assert_eq!(publisher.cmd(&["PUBLISH", "news", "b"]), ":2\r\n");
    assert_eq!(publisher.cmd(&["PUBLISH", "other", "c"]), ":0\r\n");
    assert_eq!(
        sub.poll(),
        "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\na\r\n*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\nb\r\n"
    );
    assert_eq!(
        psub.poll(),
        "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$1\r\na\r\n\
         *4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$1\r\nb\r\n"
    );
    assert_eq!(
        publisher.cmd(&["PUBSUB", "NUMSUB", "news", "x"]),
        "*4\r\n$4\r\nnews\r\n:1\r\n$1\r\nx\r\n:0\r\n"
    );
    assert_eq!(publisher.cmd(&["PUBSUB", "NUMPAT"]), ":1\r\n");
    assert_eq!(
        publisher.cmd(&["PUBSUB", "CHANNELS", "s*"]),
        "*1\r\n$5\r\nsport\r\n"
    );
    // A message published before UNSUBSCRIBE reaches the subscriber before its reply.
    publisher.cmd(&["PUBLISH", "sport", "d"]);
    assert_eq!(
        sub.cmd(&["UNSUBSCRIBE"]),
        "*3\r\n$7\r\nmessage\r\n$5\r\nsport\r\n$1\r\nd\r\n\
         *3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:1\r\n\
         *3\r\n$11\r\nunsubscribe\r\n$5\r\nsport\r\n:0\r\n"
    );
    assert_eq!(
        sub.cmd(&["UNSUBSCRIBE"]),
        "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    );
    assert_eq!(publisher.cmd(&["PUBLISH", "news", "e"]), ":1\r\n");
    assert_eq!(sub.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn resp2_subscribed_context_allows_only_subscription_commands() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SUBSCRIBE", "ch"]);
    assert_eq!(
        c.cmd(&["GET", "k"]),
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
         RESET are allowed in this context\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(c.cmd(&["PING", "x"]), "*2\r\n$4\r\npong\r\n$1\r\nx\r\n");
    assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), "$-1\r\n");
    assert_eq!(TestClient::new(&srv).cmd(&["PUBLISH", "ch", "m"]), ":0\r\n");
}

#[test]
fn resp3_subscribers_get_pushes_and_may_run_anything() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        c.cmd(&["SSUBSCRIBE", "s"]),
        ">3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n"
    );
    assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(TestClient::new(&srv).cmd(&["SPUBLISH", "s", "m"]), ":1\r\n");
    assert_eq!(TestClient::new(&srv).cmd(&["PUBLISH", "s", "m"]), ":0\r\n");
    assert_eq!(c.poll(), ">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nm\r\n");
    assert_eq!(
        TestClient::new(&srv).cmd(&["PUBSUB", "SHARDNUMSUB", "s"]),
        "*2\r\n$1\r\ns\r\n:1\r\n"
    );
}

#[test]
fn disconnecting_leaves_every_channel() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["SUBSCRIBE", "a"]);
    c.cmd(&["PSUBSCRIBE", "*"]);
    let line = TestClient::new(&srv).cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert!(
        line.contains(" flags=P ") && line.contains(" sub=1 psub=1 ssub=0 "),
        "{line}"
    );
    drop(c);
    let mut p = TestClient::new(&srv);
    assert_eq!(p.cmd(&["PUBLISH", "a", "m"]), ":0\r\n");
    assert_eq!(p.cmd(&["PUBSUB", "NUMPAT"]), ":0\r\n");
    assert_eq!(p.cmd(&["PUBSUB", "CHANNELS"]), "*0\r\n");
}

#[test]
fn a_subscriber_over_its_hard_limit_is_closed_without_its_output() {
    let srv = server();
    srv.config.write().client_output_buffer_limit[2] = crate::config::ObufLimit {
        hard: 1000,
        soft: 0,
        soft_seconds: 0,
    };
    srv.pubsub
        .set_limit(&srv.config.read().client_output_buffer_limit[2]);
    let mut sub = TestClient::new(&srv);
    sub.cmd(&["SUBSCRIBE", "ch"]);
    let mut p = TestClient::new(&srv);
    let payload = "x".repeat(100);
    for _ in 0..20 {
        p.cmd(&["PUBLISH", "ch", &payload]);
    }
    assert!(sub.session.is_closing());
    assert_eq!(
        sub.poll(),
        "",
        "what the subscriber did not read is dropped"
    );
}

#[test]
fn publish_is_propagated_to_replicas_only() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let log = &srv.keyspace.log;
    let mut replica = log.subscribe_replica(None);
    let mut aof = log.subscribe();
    assert_eq!(c.cmd(&["PUBLISH", "ch", "hello"]), ":0\r\n");
    assert_eq!(c.cmd(&["SPUBLISH", "sh", "x"]), ":0\r\n");
    let stream: Vec<u8> = log.read(&mut replica).unwrap().concat();
    assert_eq!(
        String::from_utf8_lossy(&stream),
        "*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$5\r\nhello\r\n\
         *3\r\n$8\r\nSPUBLISH\r\n$2\r\nsh\r\n$1\r\nx\r\n"
    );
    assert!(log.read(&mut aof).unwrap().is_empty());
    assert_eq!(log.changes(), 0);
}
