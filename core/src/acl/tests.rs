//! ACL behaviour through sessions: users, rules, refusals and their texts.

use crate::testkit::{server, TestClient};

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

#[test]
fn users_authenticate_and_are_refused_what_they_lack() {
    let srv = server();
    let mut admin = TestClient::new(&srv);
    let mut c = TestClient::new(&srv);
    assert_eq!(
        admin.cmd(&["ACL", "SETUSER", "alice", "on", ">pw", "~k*", "+get", "+set"]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["AUTH", "alice", "bad"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(c.cmd(&["AUTH", "alice", "pw"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["ACL", "WHOAMI"]),
        format!("-NOPERM this user has no permissions to run the 'acl|whoami' command\r\n")
    );
    assert_eq!(c.cmd(&["SET", "k1", "v"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["SET", "x", "v"]),
        "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
    );
    assert_eq!(
        c.cmd(&["INCR", "k1"]),
        "-NOPERM this user has no permissions to run the 'incr' command\r\n"
    );
    let log = admin.cmd(&["ACL", "LOG", "1"]);
    assert!(
        log.contains(&bulk("incr")) && log.contains(&bulk("alice")),
        "{log}"
    );
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "alice", "get", "x"]),
        bulk("This user has no permissions to access the 'x' key")
    );
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "alice", "get", "k2"]),
        "+OK\r\n"
    );
}

#[test]
fn getuser_and_list_describe_rules_back() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&[
        "ACL",
        "SETUSER",
        "u",
        "reset",
        "+@all",
        "-@string",
        "+incr",
        "-debug",
        "+debug|digest",
    ]);
    let list = c.cmd(&["ACL", "LIST"]);
    assert!(
        list.contains(
            "user u off sanitize-payload resetchannels +@all -@string -debug +debug|digest +incr"
        ),
        "{list}"
    );
    for cat in [
        "read",
        "write",
        "keyspace",
        "dangerous",
        "scripting",
        "connection",
    ] {
        c.cmd(&["ACL", "SETUSER", "a", "reset", "+@all", &format!("-@{cat}")]);
        let u = c.cmd(&["ACL", "GETUSER", "a"]);
        assert!(u.contains(&bulk(&format!("+@all -@{cat}"))), "{cat}: {u}");
        c.cmd(&["ACL", "SETUSER", "r", "reset", "-@all", &format!("+@{cat}")]);
        let u = c.cmd(&["ACL", "GETUSER", "r"]);
        assert!(u.contains(&bulk(&format!("-@all +@{cat}"))), "{cat}: {u}");
    }
    c.cmd(&["ACL", "SETUSER", "bob", "+memory|doctor"]);
    assert!(c
        .cmd(&["ACL", "GETUSER", "bob"])
        .contains(&bulk("-@all +memory|doctor")));
    c.cmd(&["ACL", "SETUSER", "bob", "+memory"]);
    assert!(c
        .cmd(&["ACL", "GETUSER", "bob"])
        .contains(&bulk("-@all +memory")));
    c.cmd(&["ACL", "SETUSER", "bob", "+@all", "+client|id"]);
    assert!(c.cmd(&["ACL", "GETUSER", "bob"]).contains(&bulk("+@all")));
}

#[test]
fn rule_errors_change_nothing() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "u", "on", "+nosuchcommand"]),
        "-ERR Error in ACL SETUSER modifier '+nosuchcommand': Unknown command or category name in ACL\r\n"
    );
    assert_eq!(c.cmd(&["ACL", "GETUSER", "u"]), "$-1\r\n");
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "u", "(~x", "+get"]),
        "-ERR Unmatched parenthesis in acl selector starting at '(~x'.\r\n"
    );
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "u", "+config|get|x"]),
        "-ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported\r\n"
    );
    assert_eq!(
        c.cmd(&["ACL", "DELUSER", "default"]),
        "-ERR The 'default' user cannot be removed\r\n"
    );
}

#[test]
fn selectors_widen_what_the_root_allows() {
    let srv = server();
    let mut admin = TestClient::new(&srv);
    let mut c = TestClient::new(&srv);
    admin.cmd(&[
        "ACL",
        "SETUSER",
        "s",
        "on",
        "nopass",
        "+get",
        "~a*",
        "(+set ~b*)",
    ]);
    assert_eq!(c.cmd(&["AUTH", "s", "x"]), "+OK\r\n");
    assert_eq!(c.cmd(&["GET", "a1"]), "$-1\r\n");
    assert_eq!(c.cmd(&["SET", "b1", "v"]), "+OK\r\n");
    assert!(c.cmd(&["SET", "a1", "v"]).starts_with("-NOPERM"));
    assert!(c.cmd(&["GET", "b1"]).starts_with("-NOPERM"));
    let list = admin.cmd(&["ACL", "LIST"]);
    assert!(
        list.contains(
            "user s on nopass ~a* resetchannels -@all +get (~b* resetchannels -@all +set)"
        ),
        "{list}"
    );
}

#[test]
fn exec_rechecks_and_deleted_users_clients_close() {
    let srv = server();
    let mut admin = TestClient::new(&srv);
    let mut c = TestClient::new(&srv);
    admin.cmd(&[
        "ACL", "SETUSER", "t", "on", "nopass", "~*", "+multi", "+exec", "+incr",
    ]);
    c.cmd(&["AUTH", "t", "x"]);
    c.cmd(&["MULTI"]);
    assert_eq!(c.cmd(&["INCR", "k"]), "+QUEUED\r\n");
    admin.cmd(&["ACL", "SETUSER", "t", "-incr"]);
    assert_eq!(
        c.cmd(&["EXEC"]),
        "*1\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand\r\n"
    );
    assert_eq!(admin.cmd(&["ACL", "DELUSER", "t", "nobody"]), ":1\r\n");
    assert_eq!(c.cmd(&["PING"]), "");
    assert!(c.session.is_closing());
}
