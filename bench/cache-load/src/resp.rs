//! Just enough RESP for pipelined GET and SET: commands are appended to an output buffer and
//! written at once; replies are parsed from a read buffer without copying values out.

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// One reply, as the load needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A bulk string of this many bytes (a GET hit).
    Bulk(usize),
    /// A null bulk string (a GET miss).
    Nil,
    /// A simple string (SET's +OK).
    Status,
    /// An error reply (e.g. -OOM).
    Error,
}

pub struct Conn {
    stream: TcpStream,
    out: Vec<u8>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Conn {
    pub fn connect(addr: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            out: Vec::with_capacity(64 * 1024),
            buf: vec![0; 256 * 1024],
            start: 0,
            end: 0,
        })
    }

    /// Queues `args` as one command.
    pub fn push(&mut self, args: &[&[u8]]) {
        self.out.push(b'*');
        push_len(&mut self.out, args.len());
        for a in args {
            self.out.push(b'$');
            push_len(&mut self.out, a.len());
            self.out.extend_from_slice(a);
            self.out.extend_from_slice(b"\r\n");
        }
    }

    /// Sends what was queued.
    pub fn flush(&mut self) -> io::Result<()> {
        self.stream.write_all(&self.out)?;
        self.out.clear();
        Ok(())
    }

    /// Reads the next reply.
    pub fn reply(&mut self) -> io::Result<Reply> {
        let line = self.line()?;
        let (kind, rest) = (self.buf[line.0], (line.0 + 1, line.1));
        match kind {
            b'+' => Ok(Reply::Status),
            b'-' => Ok(Reply::Error),
            b'_' => Ok(Reply::Nil),
            b'$' => {
                let text = &self.buf[rest.0..rest.1];
                if text == b"-1" {
                    return Ok(Reply::Nil);
                }
                let len = parse_len(text)?;
                self.skip(len + 2)?;
                Ok(Reply::Bulk(len))
            }
            other => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unexpected reply type {:?}", other as char),
            )),
        }
    }

    /// The next line's bounds in `buf` (without CRLF), consumed.
    fn line(&mut self) -> io::Result<(usize, usize)> {
        let mut scanned = self.start;
        loop {
            if let Some(i) = self.buf[scanned..self.end]
                .windows(2)
                .position(|w| w == b"\r\n")
            {
                let at = (self.start, scanned + i);
                self.start = scanned + i + 2;
                return Ok(at);
            }
            scanned = self.end.saturating_sub(1).max(self.start);
            let before = self.start;
            self.fill()?;
            // fill() may have moved the unread bytes to the front.
            scanned -= before - self.start;
        }
    }

    /// Consumes `n` bytes.
    fn skip(&mut self, mut n: usize) -> io::Result<()> {
        loop {
            let have = self.end - self.start;
            if have >= n {
                self.start += n;
                return Ok(());
            }
            n -= have;
            self.start = 0;
            self.end = 0;
            self.fill()?;
        }
    }

    /// Reads more bytes, compacting the buffer first.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self.stream.read(&mut self.buf[self.end..])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        self.end += n;
        Ok(())
    }
}

fn push_len(out: &mut Vec<u8>, n: usize) {
    push_decimal(out, n as u64);
    out.extend_from_slice(b"\r\n");
}

/// Appends `n` in decimal.
pub fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn parse_len(text: &[u8]) -> io::Result<usize> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad bulk length"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn parses_replies_split_across_reads() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let replies: &[u8] = b"$5\r\nhello\r\n$-1\r\n+OK\r\n-OOM no\r\n$0\r\n\r\n_\r\n";
            // One byte at a time: every split point is exercised.
            for b in replies {
                s.write_all(&[*b]).unwrap();
                s.flush().unwrap();
            }
            let mut got = vec![0u8; 64];
            let n = s.read(&mut got).unwrap();
            got.truncate(n);
            got
        });
        let mut c = Conn::connect(&addr).unwrap();
        let want = [
            Reply::Bulk(5),
            Reply::Nil,
            Reply::Status,
            Reply::Error,
            Reply::Bulk(0),
            Reply::Nil,
        ];
        for w in want {
            assert_eq!(c.reply().unwrap(), w);
        }
        c.push(&[b"GET", b"key:12"]);
        c.flush().unwrap();
        assert_eq!(
            server.join().unwrap(),
            b"*2\r\n$3\r\nGET\r\n$6\r\nkey:12\r\n"
        );
    }
}
