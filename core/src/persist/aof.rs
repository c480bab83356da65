//! Redis 7's multi-part append-only file, as pure functions: the manifest that lists the
//! files (`file <name> seq <n> type <b|h|i>` per line), their names, and the command stream
//! incremental files hold (RESP arrays of bulk strings, `#TS:` annotations between them).
//! The server reads, writes and fsyncs the files; core parses and replays them.

use bytes::Bytes;

/// Longest manifest line Redis reads.
const MANIFEST_MAX_LINE: usize = 1024;

/// What a file listed in the manifest is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// The base: the dataset when the last rewrite began (RDB, or AOF commands).
    Base,
    /// An incremental file: commands since the base, in sequence order.
    Incr,
    /// A file a rewrite made obsolete, not yet deleted.
    History,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::Incr => 'i',
            FileKind::History => 'h',
        }
    }
}

/// One line of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofFile {
    /// File name inside the AOF directory.
    pub name: String,
    /// Sequence number (base and incremental files count separately).
    pub seq: u64,
    /// What the file is.
    pub kind: FileKind,
}

/// The manifest: the base (if any), the history files and the incremental files in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file.
    pub base: Option<AofFile>,
    /// Incremental files, oldest first.
    pub incrs: Vec<AofFile>,
    /// Obsolete files still on disk.
    pub history: Vec<AofFile>,
}

impl Manifest {
    /// The manifest's file name for `appendfilename`.
    pub fn file_name(appendfilename: &str) -> String {
        format!("{appendfilename}.manifest")
    }

    /// Parses a manifest as Redis 7.0's loader does: `#` lines are comments, any other line
    /// must hold at least `file`, `seq` and `type` pairs. Err: Redis's report of what is wrong
    /// and where.
    pub fn parse(text: &[u8]) -> Result<Manifest, String> {
        if text.is_empty() {
            return Err("Found an empty AOF manifest".into());
        }
        let mut m = Manifest::default();
        let mut last_incr = 0;
        for (i, raw) in text.split_inclusive(|&b| b == b'\n').enumerate() {
            let fail = |what: &str| {
                let line = String::from_utf8_lossy(raw).trim().to_string();
                format!(
                    "*** FATAL AOF MANIFEST FILE ERROR *** Reading the manifest file, at line \
                     {}: >>> '{line}': {what}",
                    i + 1
                )
            };
            if raw.first() == Some(&b'#') {
                continue;
            }
            if raw.len() > MANIFEST_MAX_LINE
                || !raw.ends_with(b"\n") && raw.len() == MANIFEST_MAX_LINE
            {
                return Err(fail("The AOF manifest file contains too long line"));
            }
            let line = std::str::from_utf8(raw)
                .map_err(|_| fail("Invalid AOF manifest file format"))?
                .trim_matches(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n');
            let words = split_words(line)
                .filter(|w| w.len() >= 6 && w.len() % 2 == 0)
                .ok_or_else(|| fail("Invalid AOF manifest file format"))?;
            let (mut name, mut seq, mut kind) = (None, 0u64, None);
            for pair in words.chunks(2) {
                match pair[0].to_ascii_lowercase().as_str() {
                    "file" => {
                        if pair[1].contains('/') {
                            return Err(fail("File can't be a path, just a filename"));
                        }
                        name = Some(pair[1].clone());
                    }
                    // atoll: a number's leading digits, anything else 0.
                    "seq" => {
                        let digits: String =
                            pair[1].chars().take_while(char::is_ascii_digit).collect();
                        seq = digits.parse().unwrap_or(0);
                    }
                    "type" => kind = pair[1].chars().next(),
                    _ => {}
                }
            }
            let (Some(name), true, Some(kind)) = (name, seq != 0, kind) else {
                return Err(fail("Invalid AOF manifest file format"));
            };
            let kind = match kind {
                'b' => FileKind::Base,
                'i' => FileKind::Incr,
                'h' => FileKind::History,
                _ => return Err(fail("Unknown AOF file type")),
            };
            let f = AofFile { name, seq, kind };
            match kind {
                FileKind::Base => {
                    if m.base.is_some() {
                        return Err(fail("Found duplicate base file information"));
                    }
                    m.base = Some(f);
                }
                FileKind::Incr => {
                    if f.seq <= last_incr {
                        return Err(fail("Found a non-monotonic sequence number"));
                    }
                    last_incr = f.seq;
                    m.incrs.push(f);
                }
                FileKind::History => m.history.push(f),
            }
        }
        Ok(m)
    }

    /// The manifest's text: base, history, then incremental files, one line each.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let files = self.base.iter().chain(&self.history).chain(&self.incrs);
        for f in files {
            let name = if f.name.bytes().all(|b| b.is_ascii_graphic() && b != b'"') {
                f.name.clone()
            } else {
                format!("{:?}", f.name)
            };
            out.push_str(&format!(
                "file {name} seq {} type {}\n",
                f.seq,
                f.kind.letter()
            ));
        }
        out
    }

    /// Highest base and incremental sequence numbers so far.
    pub fn last_seqs(&self) -> (u64, u64) {
        let base = self.base.as_ref().map_or(0, |b| b.seq);
        let incr = self.incrs.last().map_or(0, |i| i.seq);
        let hist = self
            .history
            .iter()
            .filter(|h| h.name.contains(".incr."))
            .map(|h| h.seq)
            .max()
            .unwrap_or(0);
        (base, incr.max(hist))
    }

    /// Adds a new incremental file after the last one; returns its name.
    pub fn add_incr(&mut self, appendfilename: &str) -> String {
        let seq = self.last_seqs().1 + 1;
        let name = format!("{appendfilename}.{seq}.incr.aof");
        self.incrs.push(AofFile {
            name: name.clone(),
            seq,
            kind: FileKind::Incr,
        });
        name
    }

    /// A rewrite finished: `base` replaces the old base, and every incremental file before the
    /// first one of `keep_from` becomes history. Returns the files that became history.
    pub fn rewritten(
        &mut self,
        appendfilename: &str,
        rdb: bool,
        keep_from: u64,
    ) -> (String, Vec<AofFile>) {
        let seq = self.last_seqs().0 + 1;
        let ext = if rdb { "rdb" } else { "aof" };
        let name = format!("{appendfilename}.{seq}.base.{ext}");
        let mut old: Vec<AofFile> = self.base.take().into_iter().collect();
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.incrs)
            .into_iter()
            .partition(|f| f.seq < keep_from);
        old.extend(gone);
        self.incrs = kept;
        self.base = Some(AofFile {
            name: name.clone(),
            seq,
            kind: FileKind::Base,
        });
        (name, old)
    }
}

/// Splits a manifest line into words, honouring double-quoted names with escapes.
fn split_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else {
            return Some(words);
        };
        let mut w = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => match chars.next()? {
                        'n' => w.push('\n'),
                        'r' => w.push('\r'),
                        't' => w.push('\t'),
                        o => w.push(o),
                    },
                    o => w.push(o),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                w.push(c);
                chars.next();
            }
        }
        words.push(w);
    }
}

/// One step of reading a command stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole command, and the offset just after it.
    Command(Vec<Bytes>, usize),
    /// The stream ends cleanly here.
    End,
    /// The stream ends in the middle of a command (a torn write).
    Truncated,
    /// Not an AOF command stream at this offset.
    Malformed(usize),
}

/// Reads the command at `at` in `buf`, skipping `#...` annotation lines before it.
pub fn parse_command(buf: &[u8], mut at: usize) -> Parsed {
    loop {
        match buf.get(at) {
            None => return Parsed::End,
            Some(b'#') => match find_crlf(buf, at) {
                Some(end) => at = end + 2,
                None => return Parsed::Truncated,
            },
            Some(b'*') => break,
            Some(_) => return Parsed::Malformed(at),
        }
    }
    let Some((argc, mut pos)) = read_number(buf, at + 1) else {
        return truncated_or_bad(buf, at);
    };
    if !(1..=1 << 20).contains(&argc) {
        return Parsed::Malformed(at);
    }
    let mut args = Vec::with_capacity(argc as usize);
    for _ in 0..argc {
        match buf.get(pos) {
            None => return Parsed::Truncated,
            Some(b'$') => {}
            Some(_) => return Parsed::Malformed(pos),
        }
        let Some((len, start)) = read_number(buf, pos + 1) else {
            return truncated_or_bad(buf, pos);
        };
        let end = start + len as usize;
        if end + 2 > buf.len() {
            return Parsed::Truncated;
        }
        if &buf[end..end + 2] != b"\r\n" {
            return Parsed::Malformed(end);
        }
        args.push(Bytes::copy_from_slice(&buf[start..end]));
        pos = end + 2;
    }
    Parsed::Command(args, pos)
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| from + p)
}

/// A decimal number ending in CRLF at `at`: (value, offset after the CRLF).
fn read_number(buf: &[u8], at: usize) -> Option<(u64, usize)> {
    let end = find_crlf(buf, at)?;
    let text = std::str::from_utf8(&buf[at..end]).ok()?;
    let n = text.parse::<u64>().ok()?;
    (n <= 1 << 40).then_some((n, end + 2))
}

fn truncated_or_bad(buf: &[u8], at: usize) -> Parsed {
    if find_crlf(buf, at).is_none() {
        Parsed::Truncated
    } else {
        Parsed::Malformed(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_and_rotates_as_redis_names_files() {
        let text = b"file appendonly.aof.1.base.rdb seq 1 type b\n\
                     file appendonly.aof.1.incr.aof seq 1 type i\n";
        let mut m = Manifest::parse(text).unwrap();
        assert_eq!(m.render().as_bytes(), text);
        assert_eq!(m.add_incr("appendonly.aof"), "appendonly.aof.2.incr.aof");
        let (base, old) = m.rewritten("appendonly.aof", true, 2);
        assert_eq!(base, "appendonly.aof.2.base.rdb");
        assert_eq!(old.len(), 2);
        assert_eq!(
            m.render(),
            "file appendonly.aof.2.base.rdb seq 2 type b\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        assert!(Manifest::parse(b"").is_err());
        assert!(Manifest::parse(b"file a seq 2 type i\nfile b seq 1 type i\n").is_err());
        assert!(Manifest::parse(b"file x/y seq 1 type b\n").is_err());
        assert!(
            Manifest::parse(b"file a seq 1 type b\n\n").is_err(),
            "blank line"
        );
        assert!(
            Manifest::parse(b"file a seq 1\n").is_err(),
            "line too short"
        );
        assert!(Manifest::parse(b"file a seq 1 type b x\n").is_err(), "odd");
        assert!(
            Manifest::parse(b"file a seq 1 type z\n").is_err(),
            "unknown type"
        );
        let quoted = Manifest::parse(b"file \"a b\" seq 1 type b\n").unwrap();
        assert_eq!(quoted.base.unwrap().name, "a b");
    }

    #[test]
    fn commands_annotations_and_torn_tails() {
        let s = b"#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv";
        let Parsed::Command(args, next) = parse_command(s, 0) else {
            panic!("a command")
        };
        assert_eq!(args, vec![Bytes::from("SELECT"), Bytes::from("0")]);
        assert_eq!(parse_command(s, next), Parsed::Truncated);
        assert_eq!(parse_command(b"", 0), Parsed::End);
        assert_eq!(
            parse_command(b"*1\r\n$3\r\nabcX\n", 0),
            Parsed::Malformed(11)
        );
        assert_eq!(parse_command(b"hello", 0), Parsed::Malformed(0));
        assert_eq!(parse_command(b"*1\r\n$3", 0), Parsed::Truncated);
    }
}
