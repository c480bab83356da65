//! CLIENT ID, INFO, LIST, SETNAME, GETNAME, NO-EVICT, NO-TOUCH, SETINFO, HELP.

use crate::testkit::{server, TestClient};

/// The text of a CLIENT INFO reply (a bulk string), without its newline.
pub(crate) fn field_line(reply: &str) -> &str {
    reply
        .split("\r\n")
        .nth(1)
        .map_or("", |l| l.trim_end_matches('\n'))
}

/// The value of `name=` in a CLIENT LIST line.
pub(crate) fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
        .unwrap_or("")
}

#[test]
fn id_name_info_list() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    let b = TestClient::new(&srv);
    let (ida, idb) = (a.session.id(), b.session.id());
    assert_eq!(a.cmd(&["CLIENT", "ID"]), format!(":{ida}\r\n"));
    assert_eq!(a.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
    assert_eq!(
        a.cmd(&["CLIENT", "SETNAME", "a b"]),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(a.cmd(&["CLIENT", "SETNAME", "alpha"]), "+OK\r\n");
    assert_eq!(a.cmd(&["CLIENT", "GETNAME"]), "$5\r\nalpha\r\n");
    let info = a.cmd(&["CLIENT", "INFO"]);
    let line = field_line(&info);
    assert!(
        line.starts_with(&format!(
            "id={ida} addr=?:0 laddr=?:0 fd=-1 name=alpha age=0 idle=0 flags=N db=0 sub=0 \
             psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free="
        )),
        "{line}"
    );
    // Its own line shows the command it runs (argv-mem) and the memory Redis would count.
    assert_eq!(field(line, "argv-mem"), "10");
    let qbuf_free: usize = field(line, "qbuf-free").parse().expect("qbuf-free");
    assert_eq!(
        field(line, "tot-mem"),
        (26 + qbuf_free + 768 + 16384 + 10 + 16).to_string()
    );
    assert!(
        line.ends_with(&format!(
            " multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem={} events=r \
             cmd=client|info user=default redir=-1 resp=2",
            field(line, "tot-mem")
        )),
        "{line}"
    );
    let list = a.cmd(&["CLIENT", "LIST"]);
    assert!(list.contains(&format!("id={ida} ")) && list.contains(&format!("id={idb} ")));
    let one = a.cmd(&["CLIENT", "LIST", "ID", &idb.to_string(), "999"]);
    assert!(one.contains(&format!("id={idb} ")) && !one.contains(&format!("id={ida} ")));
    assert_eq!(
        a.cmd(&["CLIENT", "LIST", "ID", "x"]),
        "-ERR Invalid client ID\r\n"
    );
    assert!(a
        .cmd(&["CLIENT", "LIST", "TYPE", "normal"])
        .contains("name=alpha"));
    assert_eq!(a.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]), "$0\r\n\r\n");
    assert_eq!(
        a.cmd(&["CLIENT", "LIST", "TYPE", "foo"]),
        "-ERR Unknown client type 'foo'\r\n"
    );
    assert_eq!(
        a.cmd(&["CLIENT", "LIST", "foo", "bar"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(a.cmd(&["CLIENT", "SETNAME", ""]), "+OK\r\n");
    assert_eq!(a.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
}

#[test]
fn no_evict_no_touch_setinfo() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    assert_eq!(
        a.cmd(&["CLIENT", "NO-EVICT", "maybe"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(a.cmd(&["CLIENT", "NO-EVICT", "on"]), "+OK\r\n");
    assert_eq!(a.cmd(&["CLIENT", "NO-TOUCH", "ON"]), "+OK\r\n");
    assert!(a.cmd(&["CLIENT", "INFO"]).contains(" flags=eT "));
    assert_eq!(a.cmd(&["CLIENT", "NO-TOUCH", "off"]), "+OK\r\n");
    assert_eq!(
        a.cmd(&["CLIENT", "NO-TOUCH"]),
        "-ERR wrong number of arguments for 'client|no-touch' command\r\n"
    );
    assert_eq!(
        a.cmd(&["CLIENT", "SETINFO", "LIB-NAME", "redis-py"]),
        "+OK\r\n"
    );
    assert_eq!(a.cmd(&["CLIENT", "SETINFO", "lib-ver", "5.0"]), "+OK\r\n");
    {
        let lib = a.session_handle_lib();
        assert_eq!(lib.0.as_deref(), Some(&b"redis-py"[..]));
        assert_eq!(lib.1.as_deref(), Some(&b"5.0"[..]));
    }
    assert_eq!(
        a.cmd(&["CLIENT", "SETINFO", "foo", "x"]),
        "-ERR Unrecognized option 'foo'\r\n"
    );
    assert_eq!(
        a.cmd(&["CLIENT", "SETINFO", "lib-name", "a b"]),
        "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"
    );
    // Only the subcommands lode registers, in its own words; HELP's entry closes it.
    let h = a.cmd(&["CLIENT", "HELP"]);
    assert!(h.starts_with(
        "*46\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n\
         +CACHING YES|NO\r\n"
    ));
    assert!(h.contains("\r\n+REPLY ON|OFF|SKIP\r\n"), "{h}");
    assert!(h.contains("\r\n+PAUSE <timeout> [WRITE|ALL]\r\n"), "{h}");
    assert!(
        h.contains("\r\n+UNPAUSE\r\n") && h.contains("\r\n+TRACKINGINFO\r\n"),
        "{h}"
    );
    assert!(h.ends_with("+HELP\r\n+    Prints this help.\r\n"), "{h}");
    assert_eq!(
        a.cmd(&["CLIENT", "NOPE"]),
        "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n"
    );
}

trait LibOf {
    fn session_handle_lib(&self) -> (Option<bytes::Bytes>, Option<bytes::Bytes>);
}

impl LibOf for TestClient {
    fn session_handle_lib(&self) -> (Option<bytes::Bytes>, Option<bytes::Bytes>) {
        let srv = self.session.server();
        let h = srv.clients.get(self.session.id()).expect("registered");
        let lib = h.lib.lock().clone();
        lib
    }
}

/// The CLIENT LIST line of client `id`, as `by` sees it.
fn line_of(by: &mut TestClient, id: u64) -> String {
    field_line(&by.cmd(&["CLIENT", "LIST", "ID", &id.to_string()])).to_owned()
}

/// `tot-mem` of a line, less what every client has (query buffer, client struct, reply buffer).
fn extra_mem(line: &str) -> usize {
    let n = |f| field(line, f).parse::<usize>().unwrap_or(0);
    n("tot-mem") - n("qbuf") - n("qbuf-free") - 768 - 16384
}

#[test]
fn other_clients_lines_show_their_state_and_memory() {
    let srv = server();
    let mut a = TestClient::new(&srv);
    let mut b = TestClient::new(&srv);
    let mut s = TestClient::new(&srv);
    let mut w = TestClient::new(&srv);
    // Blocked: its command's arguments are kept.
    assert_eq!(b.cmd(&["BLPOP", "l", "0"]), "");
    let line = line_of(&mut a, b.session.id());
    assert_eq!(field(&line, "flags"), "b");
    assert_eq!(
        (field(&line, "cmd"), field(&line, "argv-mem")),
        ("blpop", "7")
    );
    assert_eq!(extra_mem(&line), 7 + 3 * 8);
    // Subscriptions: Redis's list nodes, dict entries and dict slots.
    s.cmd(&["SUBSCRIBE", "a", "b", "c"]);
    s.cmd(&["PSUBSCRIBE", "x*"]);
    let line = line_of(&mut a, s.session.id());
    assert_eq!(field(&line, "flags"), "P");
    assert_eq!(extra_mem(&line), 24 + 3 * 24 + 4 * 8);
    // A transaction: queued commands, watched keys, then a touched WATCH.
    assert_eq!(w.cmd(&["WATCH", "k", "k2", "k3"]), "+OK\r\n");
    assert_eq!(w.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(w.cmd(&["SET", "k", "v"]), "+QUEUED\r\n");
    let line = line_of(&mut a, w.session.id());
    assert_eq!((field(&line, "flags"), field(&line, "multi")), ("x", "1"));
    assert_eq!(field(&line, "multi-mem"), "29");
    assert_eq!(extra_mem(&line), 29 + 3 * (24 + 32) + 2 * 24);
    assert_eq!(a.cmd(&["SET", "k", "touched"]), "+OK\r\n");
    assert_eq!(w.cmd(&["SET", "k2", "v"]), "+QUEUED\r\n");
    let line = line_of(&mut a, w.session.id());
    assert_eq!((field(&line, "flags"), field(&line, "multi")), ("xd", "1"));
    assert_eq!(w.cmd(&["EXEC"]), "*-1\r\n");
    let line = line_of(&mut a, w.session.id());
    assert_eq!(
        (field(&line, "flags"), field(&line, "multi-mem")),
        ("N", "0")
    );
    assert_eq!(extra_mem(&line), 0);
}
