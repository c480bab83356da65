//! A script that runs past `busy-reply-threshold` with the default single worker thread: new
//! connections still reach the server (the transport's rescue thread), get -BUSY, and can stop
//! the script with SCRIPT KILL or the server with SHUTDOWN NOSAVE.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{request, tcp, Server};

const BUSY: &[u8] =
    b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";

/// Sends `script` with EVAL on a fresh connection without reading the reply, and waits past
/// the threshold. (A connection made before then would be the busy thread's, as the script's
/// own: only connections made once the script is known to be busy reach the rescue thread.)
fn start_busy_script(server: &Server, script: &str) -> std::net::TcpStream {
    let mut runner = tcp(server);
    let cmd = format!(
        "*3\r\n$4\r\nEVAL\r\n${}\r\n{script}\r\n$1\r\n0\r\n",
        script.len()
    );
    runner.write_all(cmd.as_bytes()).expect("write");
    std::thread::sleep(Duration::from_millis(500));
    let mut c = tcp(server);
    assert_eq!(request(&mut c, b"PING\r\n", BUSY.len()), BUSY);
    runner
}

#[test]
fn script_kill_stops_a_busy_read_only_script() {
    let server = Server::start(&["--busy-reply-threshold", "50"]);
    let mut runner = start_busy_script(&server, "while true do end");
    // FUNCTION KILL is for functions: Redis names the command that would work.
    let mut admin = tcp(&server);
    assert_eq!(request(&mut admin, b"FUNCTION KILL\r\n", BUSY.len()), BUSY);
    assert_eq!(request(&mut admin, b"SCRIPT KILL\r\n", 5), b"+OK\r\n");
    let mut reply = vec![0u8; 46];
    runner.read_exact(&mut reply).expect("read");
    assert_eq!(
        &reply[..],
        b"-ERR Script killed by user with SCRIPT KILL..."
    );
    // The server serves everyone again, the script's own connection included.
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        runner.read_exact(&mut byte).expect("read");
        line.push(byte[0]);
    }
    assert_eq!(request(&mut runner, b"PING\r\n", 7), b"+PONG\r\n");
    assert_eq!(request(&mut admin, b"PING\r\n", 7), b"+PONG\r\n");
}

#[test]
fn a_busy_script_that_wrote_is_unkillable_but_shutdown_nosave_stops_the_server() {
    let mut server = Server::start(&["--busy-reply-threshold", "50"]);
    let _runner = start_busy_script(&server, "redis.call('set', 'k', 'v') while true do end");
    let mut admin = tcp(&server);
    let reply = request(&mut admin, b"SCRIPT KILL\r\n", 12);
    assert_eq!(reply, b"-UNKILLABLE ");
    admin.write_all(b"SHUTDOWN NOSAVE\r\n").expect("write");
    let status = server.wait_exit();
    assert!(status.success(), "{status}");
}
