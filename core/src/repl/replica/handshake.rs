//! The replica's side of the link to a primary as a sans-I/O state machine: the handshake
//! (PING, AUTH, REPLCONF listening-port, REPLCONF capa, PSYNC), the reply to PSYNC, and the
//! RDB payload of a full sync in either form (`$<len>\r\n<bytes>` or the diskless
//! `$EOF:<mark>\r\n<bytes><mark>`). The driver writes [`Handshake::take_output`] to the
//! socket and feeds what it reads to [`Handshake::feed`]; once it says [`Event::Stream`] the
//! bytes that follow are the command stream (see [`super::apply`]).

/// What the handshake needs to know, fixed when the link is (re)started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    /// `masterauth`, and `masteruser` when set: sent as AUTH after PING.
    pub auth: Option<(Option<String>, String)>,
    /// `REPLCONF listening-port`: `replica-announce-port` if set, else the server's port.
    pub listening_port: u16,
    /// `replica-announce-ip`, sent as `REPLCONF ip-address` when set.
    pub announce_ip: Option<String>,
    /// The cached primary (replid, offset of the last byte applied) to try a partial resync
    /// from; None sends `PSYNC ? -1`.
    pub cached: Option<(String, i64)>,
    /// This server is handing its primary role to the one it connects to (FAILOVER): the
    /// PSYNC carries FAILOVER.
    pub failover: bool,
}

/// Where the handshake is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// PING sent, waiting for its reply.
    Ping,
    /// AUTH sent.
    Auth,
    /// REPLCONF listening-port sent.
    Port,
    /// REPLCONF ip-address sent.
    Ip,
    /// REPLCONF capa sent.
    Capa,
    /// PSYNC sent.
    Psync,
    /// FULLRESYNC received: waiting for the `$` header (newlines before it are keepalives).
    RdbHeader,
    /// Reading a payload of known length.
    RdbLen(usize),
    /// Reading a diskless payload ending with this 40-byte mark.
    RdbEof(Vec<u8>),
    /// The command stream flows; `feed` hands every byte back.
    Stream,
    /// Failed: the driver drops the link.
    Failed,
}

/// What feeding bytes produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `+FULLRESYNC <replid> <offset>`: an RDB follows.
    FullResync { replid: String, offset: i64 },
    /// The RDB of the full sync, whole.
    Rdb(Vec<u8>),
    /// `+CONTINUE [<replid>]`: the stream continues from the cached offset.
    Continue { replid: Option<String> },
    /// The stream flows from here: these bytes (possibly empty) are its first.
    Stream(Vec<u8>),
}

/// The handshake state machine (see the module docs).
#[derive(Debug)]
pub struct Handshake {
    params: Params,
    phase: Phase,
    buf: Vec<u8>,
    out: Vec<u8>,
    /// How much of a diskless payload was searched for its end mark already: each read
    /// searches only the new bytes (and the mark's length before them), not the whole
    /// payload again.
    eof_scanned: usize,
}

fn frame(args: &[&str]) -> Vec<u8> {
    let mut f = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        f.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    f
}

impl Handshake {
    /// Starts a handshake: PING is queued for sending.
    pub fn new(params: Params) -> Handshake {
        Handshake {
            params,
            phase: Phase::Ping,
            buf: Vec::new(),
            out: frame(&["PING"]),
            eof_scanned: 0,
        }
    }

    /// Bytes to send to the primary (taken: the next call returns only newer ones).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// ROLE's state for where the handshake is: "handshake" until the PSYNC reply, "sync"
    /// while the RDB arrives, "connected" once the stream flows.
    pub fn state(&self) -> &'static str {
        match self.phase {
            Phase::RdbHeader | Phase::RdbLen(_) | Phase::RdbEof(_) => "sync",
            Phase::Stream => "connected",
            _ => "handshake",
        }
    }

    /// Whether a full sync's RDB is being received (`master_sync_in_progress`).
    pub fn sync_in_progress(&self) -> bool {
        self.state() == "sync"
    }

    /// Bytes of the RDB received so far (`master_sync_read_bytes`).
    pub fn rdb_read(&self) -> usize {
        match self.phase {
            Phase::RdbLen(_) | Phase::RdbEof(_) => self.buf.len(),
            _ => 0,
        }
    }

    /// Feeds bytes read from the primary. An error ends the link (with Redis's log text).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Event>, String> {
        let mut events = Vec::new();
        if self.phase == Phase::Stream {
            events.push(Event::Stream(bytes.to_vec()));
            return Ok(events);
        }
        self.buf.extend_from_slice(bytes);
        let r = self.advance(&mut events);
        if r.is_err() {
            self.phase = Phase::Failed;
        }
        r.map(|()| events)
    }

    fn line(&mut self) -> Option<String> {
        let end = self.buf.windows(2).position(|w| w == b"\r\n")?;
        let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.drain(..end + 2);
        Some(line)
    }

    fn advance(&mut self, events: &mut Vec<Event>) -> Result<(), String> {
        loop {
            match self.phase.clone() {
                Phase::Failed => return Err("link failed".into()),
                Phase::Stream => {
                    events.push(Event::Stream(std::mem::take(&mut self.buf)));
                    return Ok(());
                }
                Phase::RdbHeader => {
                    // Newlines are the primary's keepalives while it prepares the RDB.
                    let skip = self.buf.iter().take_while(|&&b| b == b'\n').count();
                    self.buf.drain(..skip);
                    let Some(line) = self.line() else {
                        return Ok(());
                    };
                    if let Some(e) = line.strip_prefix('-') {
                        return Err(format!("Error reading the RDB from the MASTER: {e}"));
                    }
                    let Some(rest) = line.strip_prefix('$') else {
                        return Err(format!(
                            "Bad protocol from MASTER, the first byte is not '$' (we received \
                             '{line}'), are you sure the host and port are right?"
                        ));
                    };
                    if let Some(mark) = rest.strip_prefix("EOF:") {
                        if mark.len() != 40 {
                            return Err("Bad EOF mark in the MASTER's RDB header".into());
                        }
                        self.phase = Phase::RdbEof(mark.as_bytes().to_vec());
                    } else {
                        let len: usize = rest
                            .parse()
                            .map_err(|_| format!("Bad RDB length from MASTER: '{rest}'"))?;
                        self.phase = Phase::RdbLen(len);
                    }
                }
                Phase::RdbLen(len) => {
                    if self.buf.len() < len {
                        return Ok(());
                    }
                    let rest = self.buf.split_off(len);
                    let rdb = std::mem::replace(&mut self.buf, rest);
                    events.push(Event::Rdb(rdb));
                    self.phase = Phase::Stream;
                }
                Phase::RdbEof(mark) => {
                    // The mark may be split across reads: the search resumes where a mark
                    // not seen yet could begin.
                    let from = self.eof_scanned.saturating_sub(mark.len() - 1);
                    let found = self.buf[from..]
                        .windows(mark.len())
                        .position(|w| w == &mark[..]);
                    let Some(at) = found.map(|i| from + i) else {
                        self.eof_scanned = self.buf.len();
                        return Ok(());
                    };
                    let rest = self.buf.split_off(at + mark.len());
                    let mut rdb = std::mem::replace(&mut self.buf, rest);
                    rdb.truncate(at);
                    events.push(Event::Rdb(rdb));
                    self.phase = Phase::Stream;
                }
                phase => {
                    if phase == Phase::Psync {
                        // The primary sends newlines to keep the link alive before it replies
                        // to PSYNC (while it waits for a BGSAVE to begin).
                        let skip = self.buf.iter().take_while(|&&b| b == b'\n').count();
                        self.buf.drain(..skip);
                    }
                    let Some(line) = self.line() else {
                        return Ok(());
                    };
                    self.reply(phase, &line, events)?;
                }
            }
        }
    }

    fn send(&mut self, args: &[&str]) {
        self.out.extend_from_slice(&frame(args));
    }

    fn send_port(&mut self) {
        let port = self.params.listening_port.to_string();
        self.send(&["REPLCONF", "listening-port", &port]);
        self.phase = Phase::Port;
    }

    fn send_psync(&mut self) {
        let (replid, next) = match self.params.cached.clone() {
            Some((replid, offset)) => (replid, (offset + 1).to_string()),
            None => ("?".to_string(), "-1".to_string()),
        };
        if self.params.failover {
            self.send(&["PSYNC", &replid, &next, "FAILOVER"]);
        } else {
            self.send(&["PSYNC", &replid, &next]);
        }
        self.phase = Phase::Psync;
    }

    /// Whether PSYNC was sent and its reply not read yet (an error now is the primary
    /// refusing the PSYNC).
    pub fn awaiting_psync_reply(&self) -> bool {
        self.phase == Phase::Psync
    }

    /// One reply line of the handshake, as Redis's syncWithMaster reads it.
    fn reply(&mut self, phase: Phase, line: &str, events: &mut Vec<Event>) -> Result<(), String> {
        match phase {
            Phase::Ping => {
                // -NOAUTH (we authenticate next) and -NOPERM are fine, as in Redis; any other
                // error ends the attempt.
                if line.starts_with('-')
                    && !line.starts_with("-NOAUTH")
                    && !line.starts_with("-NOPERM")
                    && !line.starts_with("-ERR operation not permitted")
                {
                    return Err(format!("Error reply to PING from master: '{line}'"));
                }
                match self.params.auth.clone() {
                    Some((user, pass)) => {
                        match &user {
                            Some(u) => self.send(&["AUTH", u, &pass]),
                            None => self.send(&["AUTH", &pass]),
                        }
                        self.phase = Phase::Auth;
                    }
                    None => self.send_port(),
                }
            }
            Phase::Auth => {
                if line.starts_with('-') {
                    return Err(format!("Unable to AUTH to MASTER: {line}"));
                }
                self.send_port();
            }
            Phase::Port | Phase::Ip => {
                // Errors are only logged by Redis: older primaries lack the option.
                if phase == Phase::Port {
                    if let Some(ip) = self.params.announce_ip.clone() {
                        self.send(&["REPLCONF", "ip-address", &ip]);
                        self.phase = Phase::Ip;
                        return Ok(());
                    }
                }
                self.send(&["REPLCONF", "capa", "eof", "capa", "psync2"]);
                self.phase = Phase::Capa;
            }
            Phase::Capa => self.send_psync(),
            Phase::Psync => {
                if let Some(rest) = line.strip_prefix("+FULLRESYNC") {
                    let mut it = rest.split_whitespace();
                    let replid = it.next().unwrap_or("").to_string();
                    let offset = it.next().and_then(|o| o.parse().ok());
                    let (Some(offset), 40) = (offset, replid.len()) else {
                        return Err(format!(
                            "Master replied with wrong +FULLRESYNC syntax: {line}"
                        ));
                    };
                    events.push(Event::FullResync { replid, offset });
                    self.phase = Phase::RdbHeader;
                } else if let Some(rest) = line.strip_prefix("+CONTINUE") {
                    let id = rest.trim();
                    let replid = (id.len() == 40).then(|| id.to_string());
                    events.push(Event::Continue { replid });
                    self.phase = Phase::Stream;
                } else if line.starts_with("-NOMASTERLINK") || line.starts_with("-LOADING") {
                    return Err(format!("Master is currently unable to PSYNC: {line}"));
                } else if line.starts_with('-') {
                    // A primary without PSYNC: Redis falls back to SYNC; lode's primaries and
                    // Redis 7's all know PSYNC, so the attempt ends.
                    return Err(format!("Unexpected reply to PSYNC from master: {line}"));
                } else {
                    return Err(format!("Unexpected reply to PSYNC from master: {line}"));
                }
            }
            _ => unreachable!("not a reply phase"),
        }
        Ok(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef01234567";

    /// Feeds `input` split at `cut` and returns every event and the output sent.
    fn run(params: Params, replies: &[&[u8]], cut: usize) -> (Vec<Event>, Vec<u8>) {
        let mut h = Handshake::new(params);
        let mut sent = h.take_output();
        let input: Vec<u8> = replies.concat();
        let mut events = Vec::new();
        let cut = cut.min(input.len());
        for part in [&input[..cut], &input[cut..]] {
            events.extend(h.feed(part).expect("no error"));
            sent.extend(h.take_output());
        }
        (events, sent)
    }

    fn merged(events: Vec<Event>) -> Vec<Event> {
        // Stream chunks split by the cut are joined, so every split compares equal.
        let mut out: Vec<Event> = Vec::new();
        for e in events {
            match (out.last_mut(), e) {
                (Some(Event::Stream(a)), Event::Stream(b)) => a.extend(b),
                (_, e) => out.push(e),
            }
        }
        out
    }

    #[test]
    fn full_sync_with_a_length_payload_at_every_split() {
        let params = Params {
            listening_port: 6380,
            ..Params::default()
        };
        let full = format!("+FULLRESYNC {ID} 42\r\n");
        let replies: Vec<&[u8]> = vec![
            b"+PONG\r\n",
            b"+OK\r\n",
            b"+OK\r\n",
            b"\n\n",
            full.as_bytes(),
            b"\n\n$5\r\nREDIS*1\r\n$4\r\nPING\r\n",
        ];
        let total: usize = replies.iter().map(|r| r.len()).sum();
        for cut in 0..=total {
            let (events, sent) = run(params.clone(), &replies, cut);
            assert_eq!(
                merged(events),
                vec![
                    Event::FullResync {
                        replid: ID.into(),
                        offset: 42
                    },
                    Event::Rdb(b"REDIS".to_vec()),
                    Event::Stream(b"*1\r\n$4\r\nPING\r\n".to_vec()),
                ],
                "cut at {cut}"
            );
            assert_eq!(
                String::from_utf8(sent).unwrap(),
                "*1\r\n$4\r\nPING\r\n\
                 *3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n6380\r\n\
                 *5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n\
                 *3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n"
            );
        }
    }

    #[test]
    fn diskless_payload_with_its_mark_at_every_split() {
        let mark = "m".repeat(40);
        let params = Params {
            listening_port: 1,
            auth: Some((Some("u".into()), "p".into())),
            ..Params::default()
        };
        let full = format!("+FULLRESYNC {ID} 0\r\n");
        let body = format!("$EOF:{mark}\r\nREDIS0010xyz{mark}*1\r\n$4\r\nPING\r\n");
        let replies: Vec<&[u8]> = vec![
            b"-NOAUTH Authentication required.\r\n",
            b"+OK\r\n",
            b"+OK\r\n",
            b"+OK\r\n",
            full.as_bytes(),
            body.as_bytes(),
        ];
        let total: usize = replies.iter().map(|r| r.len()).sum();
        for cut in 0..=total {
            let (events, sent) = run(params.clone(), &replies, cut);
            assert_eq!(
                merged(events),
                vec![
                    Event::FullResync {
                        replid: ID.into(),
                        offset: 0
                    },
                    Event::Rdb(b"REDIS0010xyz".to_vec()),
                    Event::Stream(b"*1\r\n$4\r\nPING\r\n".to_vec()),
                ],
                "cut at {cut}"
            );
            assert!(String::from_utf8(sent)
                .unwrap()
                .contains("*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$1\r\np\r\n"));
        }
    }

    #[test]
    fn partial_resync_from_the_cached_primary() {
        let params = Params {
            listening_port: 7,
            cached: Some((ID.into(), 99)),
            ..Params::default()
        };
        let cont = format!("+CONTINUE {}\r\n", "f".repeat(40));
        let replies: Vec<&[u8]> =
            vec![b"+PONG\r\n", b"+OK\r\n", b"+OK\r\n", cont.as_bytes(), b"*1"];
        let (events, sent) = run(params, &replies, 9);
        assert_eq!(
            merged(events),
            vec![
                Event::Continue {
                    replid: Some("f".repeat(40))
                },
                Event::Stream(b"*1".to_vec())
            ]
        );
        let sent = String::from_utf8(sent).unwrap();
        assert!(sent.ends_with(&format!(
            "*3\r\n$5\r\nPSYNC\r\n$40\r\n{ID}\r\n$3\r\n100\r\n"
        )));
    }

    #[test]
    fn a_failover_psync_names_the_request_and_a_refusal_ends_it() {
        let params = Params {
            listening_port: 7,
            cached: Some((ID.into(), 9)),
            failover: true,
            ..Params::default()
        };
        let mut h = Handshake::new(params);
        for reply in [&b"+PONG\r\n"[..], b"+OK\r\n", b"+OK\r\n"] {
            h.take_output();
            h.feed(reply).expect("handshake step");
        }
        let sent = String::from_utf8(h.take_output()).unwrap();
        assert_eq!(
            sent,
            format!("*4\r\n$5\r\nPSYNC\r\n$40\r\n{ID}\r\n$2\r\n10\r\n$8\r\nFAILOVER\r\n")
        );
        assert!(h.awaiting_psync_reply());
        assert!(h.feed(b"-NOPERM no\r\n").is_err());
    }

    #[test]
    fn errors_end_the_link() {
        let mut h = Handshake::new(Params::default());
        assert!(h.feed(b"-ERR nope\r\n").is_err());
        let mut h = Handshake::new(Params::default());
        h.feed(b"+PONG\r\n+OK\r\n+OK\r\n").unwrap();
        assert_eq!(h.state(), "handshake");
        assert!(h
            .feed(b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n")
            .is_err());
    }
}
