//! Blocking commands under concurrency, over several worker threads: producers push unique
//! values (plain pushes and MULTI/EXEC batches) while movers BLMOVE them from one list to
//! another and consumers BLPOP/BRPOP them out. Every value must come out exactly once: none
//! lost, none served twice, and nothing left blocked at the end.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lode_core::resp::value::{parse, Value};

mod common;
use common::Server;

/// A blocking RESP client over TCP.
struct Client {
    sock: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    fn connect(server: &Server) -> Client {
        let sock = TcpStream::connect(server.addr()).expect("connect");
        sock.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        Client {
            sock,
            buf: Vec::new(),
        }
    }

    fn send(&mut self, args: &[&str]) {
        let mut frame = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            frame.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.sock.write_all(&frame).expect("write");
    }

    fn read(&mut self) -> Value {
        loop {
            if let Some((value, used)) = parse(&self.buf).expect("valid RESP") {
                self.buf.drain(..used);
                return value;
            }
            let mut chunk = [0u8; 4096];
            let n = self.sock.read(&mut chunk).expect("read reply");
            assert!(n > 0, "server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn call(&mut self, args: &[&str]) -> Value {
        self.send(args);
        self.read()
    }
}

fn bulk(v: &Value) -> Option<String> {
    match v {
        Value::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

const PRODUCERS: usize = 3;
const PER_PRODUCER: usize = 1500;
const MOVERS: usize = 2;
const CONSUMERS: usize = 4;

#[test]
fn blocking_pops_serve_every_value_exactly_once() {
    let server = Arc::new(Server::start(&["--io-threads", "2"]));
    let total = PRODUCERS * PER_PRODUCER;
    let popped = Arc::new(Mutex::new(Vec::<String>::with_capacity(total)));
    let done = Arc::new(AtomicUsize::new(0));
    let mut threads = Vec::new();

    // Consumers block on the final list (and on a list nobody writes, to exercise multi-key
    // waits), until every value has been seen.
    for c in 0..CONSUMERS {
        let (server, popped, done) = (server.clone(), popped.clone(), done.clone());
        threads.push(std::thread::spawn(move || {
            let mut client = Client::connect(&server);
            let cmd = if c % 2 == 0 { "BLPOP" } else { "BRPOP" };
            while done.load(Ordering::SeqCst) < total {
                match client.call(&[cmd, "never", "out", "0.2"]) {
                    Value::Array(kv) if kv.len() == 2 => {
                        let v = bulk(&kv[1]).expect("bulk value");
                        popped.lock().expect("lock").push(v);
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                    Value::NullArray => {}
                    other => panic!("unexpected BLPOP reply {other:?}"),
                }
            }
        }));
    }
    // Movers carry values from the producers' list to the consumers' list.
    for _ in 0..MOVERS {
        let (server, done) = (server.clone(), done.clone());
        threads.push(std::thread::spawn(move || {
            let mut client = Client::connect(&server);
            while done.load(Ordering::SeqCst) < total {
                match client.call(&["BLMOVE", "in", "out", "RIGHT", "LEFT", "0.2"]) {
                    Value::Bulk(_) | Value::NullArray => {}
                    other => panic!("unexpected BLMOVE reply {other:?}"),
                }
            }
        }));
    }
    // Producers push straight to either list, singly or in MULTI/EXEC batches.
    for p in 0..PRODUCERS {
        let server = server.clone();
        threads.push(std::thread::spawn(move || {
            let mut client = Client::connect(&server);
            let mut n = 0;
            while n < PER_PRODUCER {
                let key = if n % 3 == 0 { "out" } else { "in" };
                if n % 10 == 0 && n + 3 <= PER_PRODUCER {
                    client.call(&["MULTI"]);
                    for i in 0..3 {
                        client.call(&["LPUSH", key, &format!("p{p}:{}", n + i)]);
                    }
                    assert!(matches!(client.call(&["EXEC"]), Value::Array(_)));
                    n += 3;
                } else {
                    let v = format!("p{p}:{n}");
                    assert!(matches!(
                        client.call(&["RPUSH", key, &v]),
                        Value::Integer(_)
                    ));
                    n += 1;
                }
            }
        }));
    }

    let deadline = Instant::now() + Duration::from_secs(120);
    for t in threads {
        t.join().expect("worker thread");
        assert!(Instant::now() < deadline, "stress run took too long");
    }

    let popped = popped.lock().expect("lock");
    let unique: HashSet<&String> = popped.iter().collect();
    assert_eq!(unique.len(), popped.len(), "a value was served twice");
    let expected: HashSet<String> = (0..PRODUCERS)
        .flat_map(|p| (0..PER_PRODUCER).map(move |n| format!("p{p}:{n}")))
        .collect();
    assert_eq!(popped.len(), total, "values lost");
    assert!(unique.iter().all(|v| expected.contains(*v)));

    let mut client = Client::connect(&server);
    assert_eq!(client.call(&["EXISTS", "in", "out"]), Value::Integer(0));
    // The workers' connections are closed; their waiters must be gone with them.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = bulk(&client.call(&["INFO", "clients"])).expect("info");
        if info.contains("blocked_clients:0\r\n") {
            break;
        }
        assert!(Instant::now() < deadline, "blocked clients left: {info}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
