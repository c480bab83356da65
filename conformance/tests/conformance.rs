//! Runs every `cases/*.case` file against each target: a real redis-server (when installed)
//! over TCP and a Unix socket, and lode-server over TCP (Tokio), a Unix socket, io_uring TCP,
//! QUIC (lode's Rust client) and QUIC through `lode-server --quic-bridge`. One test per target; each starts its
//! own server, runs all files, stops the server, and fails listing every failed check.
//!
//! Env: CONFORMANCE_TARGETS (e.g. `redis`, `lode-tcp,lode-unix`), CONFORMANCE_FILTER
//! (substring of a file or block name), CONFORMANCE_TIMEOUT_MS, LODE_SERVER_BIN.

use std::path::{Path, PathBuf};

use lode_conformance::case::{self, ServerKind};
use lode_conformance::features::LODE_FEATURES;
use lode_conformance::lode_bin;
use lode_conformance::run::{count_missing, run_file, show_counts, RunConfig};
use lode_conformance::server::{which, ServerProcess};
use lode_conformance::target::{Target, Transport};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

fn run_target(target: Target) {
    let name = target.name();
    if !target.selected() {
        eprintln!("conformance [{name}]: not selected by CONFORMANCE_TARGETS, skipped");
        return;
    }
    let files =
        case::load_dir(&cases_dir()).unwrap_or_else(|e| panic!("case files do not parse:\n{e}"));
    let bin = match target.kind {
        ServerKind::Redis => match which("redis-server") {
            Some(bin) => bin,
            None => {
                eprintln!("conformance [{name}]: redis-server is not on PATH, skipped");
                return;
            }
        },
        ServerKind::Lode => {
            lode_bin::lode_server().unwrap_or_else(|e| panic!("[{name}] lode-server: {e}"))
        }
    };
    let mut server =
        ServerProcess::start(&bin, &name, target).unwrap_or_else(|e| panic!("[{name}] {e}"));
    let cfg = RunConfig::from_env(server.endpoint(target.transport), target.kind);

    let (mut passed, mut failed, mut filtered) = (0, 0, 0);
    let mut unsupported = Vec::new();
    let mut report = String::new();
    for file in &files {
        let res = run_file(file, &cfg);
        let needs = if res.unsupported.is_empty() {
            String::new()
        } else {
            format!(" ({})", show_counts(&res.unsupported_counts()))
        };
        eprintln!(
            "conformance [{name}] {:<24} {:>4} passed {:>4} failed {:>4} filtered {:>4} skipped{needs}",
            file.name,
            res.passed,
            res.failed_blocks,
            res.filtered,
            res.unsupported.len()
        );
        for u in &res.unsupported {
            eprintln!(
                "conformance [{name}]     skipped {}:{} {:?}: needs {}",
                file.name,
                u.line,
                u.block,
                u.missing.join(" ")
            );
        }
        passed += res.passed;
        failed += res.failed_blocks;
        filtered += res.filtered;
        unsupported.extend(res.unsupported);
        for f in &res.failures {
            report.push_str(&format!("[{name}] {f}\n"));
        }
        if !server.alive() {
            report.push_str(&format!(
                "[{name}] the server died during {}\n{}\n",
                file.name,
                server.logs()
            ));
            failed += 1;
            break;
        }
    }
    drop(server);
    eprintln!(
        "conformance [{name}]: {passed} blocks passed, {failed} failed, {filtered} filtered \
         out (CONFORMANCE_FILTER, @only), {} skipped for missing features",
        unsupported.len()
    );
    if !unsupported.is_empty() {
        let counts = count_missing(&unsupported);
        eprintln!("conformance [{name}]: skipped: {}", show_counts(&counts));
    }
    assert!(
        report.is_empty(),
        "{failed} block(s) failed against {name}:\n{report}"
    );
}

/// Every case file parses; prints how many blocks and checks each holds, and how many
/// blocks need each feature.
#[test]
fn cases_parse() {
    let files =
        case::load_dir(&cases_dir()).unwrap_or_else(|e| panic!("case files do not parse:\n{e}"));
    assert!(
        !files.is_empty(),
        "no case files in {}",
        cases_dir().display()
    );
    let (mut blocks, mut checks) = (0, 0);
    for f in &files {
        let n: usize = f.blocks.iter().map(case::Block::check_count).sum();
        eprintln!(
            "{:<24} {:>4} blocks {:>5} checks",
            f.name,
            f.blocks.len(),
            n
        );
        blocks += f.blocks.len();
        checks += n;
    }
    eprintln!("{:<24} {blocks:>4} blocks {checks:>5} checks", "total");
    let mut needs = std::collections::BTreeMap::new();
    for b in files.iter().flat_map(|f| &f.blocks) {
        for n in &b.needs {
            *needs.entry(n.as_str()).or_insert(0) += 1;
        }
    }
    for (feature, n) in needs {
        let lode = if LODE_FEATURES.contains(&feature) {
            "lode has it"
        } else {
            "lode lacks it"
        };
        eprintln!("@needs {feature:<22} {n:>4} blocks ({lode})");
    }
}

#[test]
fn redis_tcp() {
    run_target(Target::new(ServerKind::Redis, Transport::Tcp));
}

#[test]
fn redis_unix() {
    run_target(Target::new(ServerKind::Redis, Transport::Unix));
}

#[test]
fn lode_tcp() {
    run_target(Target::new(ServerKind::Lode, Transport::Tcp));
}

#[test]
fn lode_unix() {
    run_target(Target::new(ServerKind::Lode, Transport::Unix));
}

#[test]
fn lode_uring() {
    run_target(Target::new(ServerKind::Lode, Transport::Uring));
}

#[test]
fn lode_quic() {
    run_target(Target::new(ServerKind::Lode, Transport::Quic));
}

#[test]
fn lode_bridge() {
    run_target(Target::new(ServerKind::Lode, Transport::Bridge));
}

#[test]
fn redis_tls() {
    run_target(Target::new(ServerKind::Redis, Transport::Tls));
}

#[test]
fn lode_tls() {
    run_target(Target::new(ServerKind::Lode, Transport::Tls));
}
