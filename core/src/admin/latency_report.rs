//! The text LATENCY GRAPH and LATENCY DOCTOR reply. GRAPH draws Redis's sparkline layout (80
//! columns, 4 rows, filled, labels reading downwards under each column) so it lines up as
//! Redis's does; DOCTOR keeps Redis's report structure and per-event lines, with its advice
//! in fewer words.

use std::fmt::Write as _;

use crate::config::AppendFsync;
use crate::observe::latency::Series;
use crate::server::Server;

/// Columns of a graph line.
const GRAPH_COLS: usize = 80;
/// Rows a graph's bars span.
const GRAPH_ROWS: usize = 4;
/// Bar characters, lowest first; a bar taller than a row's share fills it with '|'.
const BAR_CHARS: &[u8; 3] = b"_o#";

/// How long ago `time` was, as a graph label: "12s", "5m", "3h", "2d".
fn age_label(now: u64, time: u64) -> String {
    let e = now.saturating_sub(time);
    match e {
        0..=59 => format!("{e}s"),
        60..=3599 => format!("{}m", e / 60),
        3600..=86_399 => format!("{}h", e / 3600),
        _ => format!("{}d", e / 86_400),
    }
}

/// LATENCY GRAPH's text for `event`'s samples at Unix second `now`.
pub fn graph(event: &str, series: &Series, now: u64) -> String {
    let samples = series.history();
    let values: Vec<f64> = samples.iter().map(|s| s.latency as f64).collect();
    let labels: Vec<String> = samples.iter().map(|s| age_label(now, s.time)).collect();
    let high = samples.iter().map(|s| s.latency).max().unwrap_or(0);
    let low = samples.iter().map(|s| s.latency).min().unwrap_or(0);
    let mut out = format!(
        "{event} - high {high} ms, low {low} ms (all time high {} ms)\n{}\n",
        series.max,
        "-".repeat(GRAPH_COLS)
    );
    for (i, chunk) in values.chunks(GRAPH_COLS).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let first = i * GRAPH_COLS;
        let labels = &labels[first..first + chunk.len()];
        sparkline(&mut out, &values, chunk, labels);
    }
    out
}

/// Draws `chunk` (part of `all`, which sets the scale) as bars `GRAPH_ROWS` high, then one
/// blank line, then each label written vertically under its column.
fn sparkline(out: &mut String, all: &[f64], chunk: &[f64], labels: &[String]) {
    let min = all.iter().copied().fold(f64::INFINITY, f64::min);
    let max = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = if max - min == 0.0 { 1.0 } else { max - min };
    let steps = (BAR_CHARS.len() * GRAPH_ROWS) as i64;
    // Redis truncates twice: the scaled value, then its quotient by the range.
    let step_of = |v: f64| -> i64 {
        let scaled = ((v - min) * steps as f64) as i64;
        ((scaled as f64 / range) as i64).clamp(0, steps - 1)
    };
    let steps_of: Vec<i64> = chunk.iter().map(|&v| step_of(v)).collect();
    for row in 0..GRAPH_ROWS as i64 {
        let floor = (GRAPH_ROWS as i64 - row - 1) * BAR_CHARS.len() as i64;
        let line: String = steps_of
            .iter()
            .map(|&step| {
                let idx = step - floor;
                if idx < 0 {
                    ' '
                } else if let Some(&c) = BAR_CHARS.get(idx as usize) {
                    c as char
                } else {
                    '|'
                }
            })
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
    if labels.is_empty() {
        return;
    }
    out.push_str(&" ".repeat(chunk.len()));
    out.push('\n');
    let longest = labels.iter().map(String::len).max().unwrap_or(0);
    for k in 0..longest {
        let line: String = labels
            .iter()
            .map(|l| l.as_bytes().get(k).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
}

/// Advice DOCTOR may give, in the order it gives it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Advice {
    EnableSlowlog,
    TuneSlowlog,
    InspectSlowlog,
    Scheduler,
    LocalDisk,
    Ssd,
    DataWriteback,
    NoAppendfsync,
    RelaxFsync,
    Hz,
    LargeObjects,
}

/// The advice an event calls for.
fn advice_for(event: &str, slowlog_us: i64, threshold_ms: u64) -> Vec<Advice> {
    use Advice::*;
    match event {
        "command" => {
            let mut a = vec![InspectSlowlog, LargeObjects];
            if slowlog_us < 0 {
                a.push(EnableSlowlog);
            } else if (slowlog_us / 1000) as u64 > threshold_ms {
                a.push(TuneSlowlog);
            }
            a
        }
        "fast-command" => vec![Scheduler],
        "aof-write-active-child" => vec![NoAppendfsync, DataWriteback, Ssd],
        "aof-write-alone" => vec![LocalDisk, DataWriteback, Ssd],
        "aof-fsync-always" => vec![RelaxFsync],
        "expire-cycle" => vec![Hz, LargeObjects],
        _ => Vec::new(),
    }
}

/// LATENCY DOCTOR's report at Unix second `now`.
pub fn doctor(server: &Server, now: u64) -> String {
    let latency = &server.observe.latency;
    let threshold = latency.threshold_ms();
    let events = latency.all();
    if events.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis \
                instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in \
                order to enable it. If we weren't in a deep space mission I'd suggest to take a \
                look at https://redis.io/topics/latency-monitor.\n"
            .into();
    }
    let (slowlog_us, hz, fsync_always) = {
        let c = server.config.read();
        (
            c.slowlog_log_slower_than,
            c.hz,
            c.appendfsync == AppendFsync::Always,
        )
    };
    let mut out = String::new();
    let mut advice: Vec<Advice> = Vec::new();
    for (n, (event, series)) in events.iter().enumerate() {
        if n == 0 {
            out.push_str(
                "Dave, I have observed latency spikes in this Redis instance. You don't mind \
                 talking about it, do you Dave?\n\n",
            );
        }
        let a = series.analyze(now);
        let period = if a.samples == 0 {
            0.0
        } else {
            a.period as f64 / a.samples as f64
        };
        let _ = writeln!(
            out,
            "{}. {event}: {} latency spikes (average {}ms, mean deviation {}ms, period {period:.2} \
             sec). Worst all time event {}ms.",
            n + 1,
            a.samples,
            a.avg,
            a.mad,
            series.max,
        );
        advice.extend(advice_for(event, slowlog_us, threshold));
    }
    advice.sort();
    advice.dedup();
    if events.is_empty() && advice.is_empty() {
        out.push_str(
            "Dave, no latency spike was observed during the lifetime of this Redis instance, not \
             in the slightest bit. I honestly think you ought to sit down calmly, take a stress \
             pill, and think things over.\n",
        );
        return out;
    }
    if advice.is_empty() {
        out.push_str(
            "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please \
             use the Redis community to get some help, providing this report in your help \
             request.\n",
        );
        return out;
    }
    out.push_str("\nI have a few advices for you:\n\n");
    for a in advice {
        let line = match a {
            Advice::EnableSlowlog => format!(
                "- Slow commands cause latency here, and the slow log is off: enable it with \
                 'CONFIG SET slowlog-log-slower-than {}' to see which commands they are.",
                threshold * 1000
            ),
            Advice::TuneSlowlog => format!(
                "- The slow log only records commands slower than the latency monitor threshold. \
                 Use 'CONFIG SET slowlog-log-slower-than {}'.",
                threshold * 1000
            ),
            Advice::InspectSlowlog => "- Check the slow log (SLOWLOG GET) to find the commands \
                                       that are too slow to run."
                .into(),
            Advice::Scheduler => "- Even fast commands were slow: the system may not give the \
                                  server CPU time steadily. Lower the load, avoid noisy \
                                  neighbours, and measure with 'redis-cli --intrinsic-latency \
                                  100'."
                .into(),
            Advice::LocalDisk => {
                "- Use local disks for persistence, above all with the AOF: remote disks are slow."
                    .into()
            }
            Advice::Ssd => "- SSDs lower fsync latency and the time snapshots and AOF rewrites \
                            take."
                .into(),
            Advice::DataWriteback => "- Mounting ext3/4 with data=writeback can speed up AOF \
                                      writes, at the price of weaker guarantees after a crash."
                .into(),
            Advice::NoAppendfsync => "- Writes stalled while a save or a rewrite ran: consider \
                                      'no-appendfsync-on-rewrite'."
                .into(),
            Advice::RelaxFsync if fsync_always => "- 'appendfsync always' makes every write wait \
                                                   for the disk; 'everysec' is much faster."
                .into(),
            Advice::Hz if hz < 100 => "- Expiring keys in smaller steps helps: try 'CONFIG SET hz \
                                       100'."
                .into(),
            Advice::LargeObjects => "- Deleting, expiring or evicting very large keys blocks the \
                                     server: split large values into smaller keys."
                .into(),
            Advice::RelaxFsync | Advice::Hz => continue,
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::LatencyMonitor;

    #[test]
    fn graph_layout() {
        let m = LatencyMonitor::default();
        m.add("command", 300, 100);
        m.add("command", 400, 102);
        m.add("command", 500, 110);
        let s = m.series(b"command").expect("recorded");
        let g = graph("command", &s, 160);
        let want = format!(
            "command - high 500 ms, low 300 ms (all time high 500 ms)\n{}\n\
             \x20 #\n\
             \x20_|\n\
             \x20||\n\
             _||\n\
             \x20  \n\
             155\n\
             m80\n\
             \x20ss\n",
            "-".repeat(80)
        );
        assert_eq!(g, want);
        assert_eq!(age_label(200, 100), "1m");
        assert_eq!(age_label(100_000, 0), "1d");
    }
}
