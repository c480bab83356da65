//! The replay property: applying a server's propagation stream to an empty server reproduces
//! its dataset. The simulation subscribes to the stream before its first command and checks the
//! property when the run ends (and the fuzz targets do likewise).

use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::admin::digest::dataset_digest;
use crate::clock::Now;
use crate::config::Config;
use crate::propagate::LogReader;
use crate::resp::decoder::{DecodeLimits, RequestDecoder};
use crate::server::Server;
use crate::session::{ClientInfo, NoopWaker, Session};
use crate::testkit::MemHost;

/// Replays everything `reader` has not read from `source`'s stream onto a fresh server whose
/// clock stands at `replay_at` (the run's start, so no propagated expiry time has passed there
/// yet), then compares the two datasets' digests. `source_now` is the source's current time.
pub fn check_replay(
    source: &Server,
    reader: &mut LogReader,
    source_now: Now,
    replay_at: Now,
) -> Result<(), String> {
    let chunks =
        source.keyspace.log.read(reader).map_err(|_| {
            "the propagation stream dropped entries before they were read".to_string()
        })?;
    let replica = Arc::new(Server::new(
        Config::default(),
        0,
        Box::new(MemHost::default()),
        replay_at,
    ));
    let mut session = Session::new(
        replica.clone(),
        ClientInfo::Internal,
        Arc::new(NoopWaker),
        replay_at,
    );
    let mut stream = BytesMut::new();
    for c in &chunks {
        stream.extend_from_slice(c);
    }
    // Every command in the stream must be one a replica can apply: decode it as a client would
    // send it and refuse forms whose effect depends on when or how often they run.
    let mut check = stream.clone();
    let mut decoder = RequestDecoder::new();
    let mut args: Vec<Bytes> = Vec::new();
    let limits = DecodeLimits {
        proto_max_bulk_len: u64::MAX,
        query_buffer_limit: usize::MAX,
    };
    while decoder
        .decode(&mut check, &limits, &mut args)
        .map_err(|_| "the propagation stream is not valid RESP".to_string())?
    {
        let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
        if NOT_REPLAYABLE.contains(&name.as_str()) {
            return Err(format!("the stream holds {name}, whose replay differs"));
        }
        if name == "RESTORE" && relative_restore(&args) {
            return Err(
                "the stream holds RESTORE with a relative TTL, whose replay differs".into(),
            );
        }
    }
    session.handle_input(replay_at, &mut stream);
    if !stream.is_empty() {
        return Err("the propagation stream ends in a partial command".into());
    }
    // A failed command is never propagated, so any error here is a divergence.
    let errors = crate::stats::Stats::get(&replica.stats.total_error_replies);
    if errors > 0 {
        return Err(format!("replaying the stream gave {errors} error replies"));
    }
    let want = dataset_digest(&source.keyspace, source_now.ms());
    let got = dataset_digest(&replica.keyspace, replay_at.ms());
    if want != got {
        return Err(format!(
            "replaying the stream ({} bytes) gave another dataset",
            stream_len(&chunks)
        ));
    }
    Ok(())
}

fn stream_len(chunks: &[Bytes]) -> usize {
    chunks.iter().map(Bytes::len).sum()
}

/// Whether `args` is a RESTORE whose TTL is relative (non-zero, no ABSTTL): the expiry would
/// depend on when it is replayed, so RESTORE propagates the absolute form instead.
fn relative_restore(args: &[Bytes]) -> bool {
    let ttl = args.get(2).map_or(&b"0"[..], |a| &a[..]);
    ttl != b"0"
        && !args[4.min(args.len())..]
            .iter()
            .any(|a| a.eq_ignore_ascii_case(b"absttl"))
}

/// Commands that must never be propagated: relative times, random choices, blocking forms.
const NOT_REPLAYABLE: &[&str] = &[
    "EXPIRE",
    "PEXPIRE",
    "EXPIREAT",
    "SETEX",
    "PSETEX",
    "GETEX",
    "INCRBYFLOAT",
    "HINCRBYFLOAT",
    "SPOP",
    "SRANDMEMBER",
    "BLPOP",
    "BRPOP",
    "BLMOVE",
    "BRPOPLPUSH",
    "BLMPOP",
    "BZPOPMIN",
    "BZPOPMAX",
    "BZMPOP",
    // Propagated as the XCLAIMs and XGROUP SETID it amounts to.
    "XREADGROUP",
];

#[cfg(test)]
mod tests {
    use super::relative_restore;
    use bytes::Bytes;

    fn args(a: &[&'static str]) -> Vec<Bytes> {
        a.iter().map(|s| Bytes::from_static(s.as_bytes())).collect()
    }

    #[test]
    fn restore_with_a_relative_ttl_is_not_replayable() {
        assert!(relative_restore(&args(&["RESTORE", "k", "100", "p"])));
        assert!(relative_restore(&args(&[
            "RESTORE", "k", "100", "p", "REPLACE"
        ])));
        assert!(!relative_restore(&args(&["RESTORE", "k", "0", "p"])));
        assert!(!relative_restore(&args(&[
            "RESTORE", "k", "100", "p", "absttl"
        ])));
        // A key or payload spelled ABSTTL is not the option.
        assert!(relative_restore(&args(&[
            "RESTORE", "absttl", "100", "ABSTTL"
        ])));
    }
}
