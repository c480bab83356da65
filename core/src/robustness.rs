//! Robustness tests: whatever bytes a client sends, the engine answers or closes, and never
//! panics or wedges the server for other clients. (Deterministic: seeded, no clock, no sockets.)

#[cfg(test)]
mod tests {
    use crate::testkit::{frame, server, TestClient};

    /// Command names worth hitting with random arguments: every command lode serves, so new
    /// commands are covered as they land.
    fn names(srv: &crate::Server) -> Vec<String> {
        let mut v: Vec<String> = srv.commands.iter().map(|c| c.name.clone()).collect();
        v.retain(|n| n != "debug" && n != "shutdown");
        v.sort();
        v
    }

    fn random_arg(rng: &mut fastrand::Rng) -> Vec<u8> {
        const WORDS: &[&str] = &[
            "k",
            "k2",
            "{k}x",
            "0",
            "1",
            "-1",
            "100",
            "9223372036854775807",
            "-9223372036854775808",
            "1.5",
            "inf",
            "nan",
            "",
            "EX",
            "PX",
            "NX",
            "XX",
            "GT",
            "LT",
            "GET",
            "KEEPTTL",
            "MATCH",
            "COUNT",
            "TYPE",
            "*",
            "[a-",
            "\\",
            "LEN",
            "IDX",
            "REPLACE",
            "DB",
            "ASYNC",
            "hz",
        ];
        match rng.u8(..4) {
            0 => (0..rng.usize(..40)).map(|_| rng.u8(..)).collect(),
            _ => WORDS[rng.usize(..WORDS.len())].as_bytes().to_vec(),
        }
    }

    #[test]
    fn random_commands_and_garbage_never_panic_or_wedge() {
        for seed in 0..40u64 {
            let srv = server();
            let names = names(&srv);
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut c = TestClient::new(&srv);
            let mut stream = Vec::new();
            for _ in 0..300 {
                match rng.u8(..10) {
                    // Raw garbage, or a valid-looking header claiming a huge length.
                    0 => stream.extend((0..rng.usize(..64)).map(|_| rng.u8(..))),
                    1 => stream.extend_from_slice(b"*3\r\n$2000000000\r\nab"),
                    _ => {
                        let mut args = vec![names[rng.usize(..names.len())].clone().into_bytes()];
                        for _ in 0..rng.usize(..6) {
                            args.push(random_arg(&mut rng));
                        }
                        stream.extend(frame(&args));
                    }
                }
            }
            // Feed it in random-sized pieces; a protocol error closes this client only.
            let mut pos = 0;
            while pos < stream.len() && !c.session.is_closing() {
                let n = (1 + rng.usize(..200)).min(stream.len() - pos);
                c.raw(&stream[pos..pos + n]);
                c.advance_ms(rng.u64(..50));
                srv.tick(c.now);
                pos += n;
            }
            let mut fresh = TestClient::new(&srv);
            assert_eq!(fresh.cmd(&["PING"]), "+PONG\r\n", "seed {seed}");
            assert!(fresh.cmd(&["DBSIZE"]).starts_with(':'), "seed {seed}");
        }
    }
}
