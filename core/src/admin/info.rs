//! INFO [section ...]: Redis 7.0's sections and field names, in Redis's order, "\r\n" line
//! endings, sent as verbatim text (a bulk string in RESP2).
//!
//! Figures lode doesn't track are reported as Redis reports an idle server (0, -1, "ok"):
//! average TTL, instantaneous rates, forks, replication offsets, persistence progress.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use super::hello::REDIS_VERSION;
use crate::command::{Command, Ctx, Handler};
use crate::server::Server;
use crate::stats::Stats;

/// The INFO command.
pub const COMMANDS: &[(&str, Handler)] = &[("info", info)];

/// Sections INFO shows without arguments (or with "default").
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

fn info(ctx: &mut Ctx) {
    let args: Vec<&[u8]> = ctx.args[1..].iter().map(|a| &a[..]).collect();
    let text = render(ctx.server, &args, ctx.now.micros());
    ctx.out.verbatim(b"txt", text.as_bytes());
}

/// Redis's bytesToHuman: "1023B", "1.50K", "2.00M", ...
pub fn human_bytes(n: u64) -> String {
    const UNITS: [(u64, char); 5] = [
        (1 << 10, 'K'),
        (1 << 20, 'M'),
        (1 << 30, 'G'),
        (1 << 40, 'T'),
        (1 << 50, 'P'),
    ];
    if n < 1024 {
        return format!("{n}B");
    }
    for (i, (unit, c)) in UNITS.iter().enumerate() {
        let next = UNITS.get(i + 1).map_or(1 << 60, |u| u.0);
        if n < next {
            return format!("{:.2}{c}", n as f64 / *unit as f64);
        }
    }
    format!("{n}B")
}

/// Replaces the characters that would break INFO's line format, as Redis does.
fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '#' | ':' | '\n' | '\r') {
                '_'
            } else {
                c
            }
        })
        .collect()
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The INFO text for the requested sections (`args` as given to INFO).
pub fn render(server: &Server, args: &[&[u8]], now_us: u64) -> String {
    let mut wanted: HashSet<String> = HashSet::new();
    let mut all = false;
    if args.is_empty() {
        wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
    }
    for a in args {
        let a = String::from_utf8_lossy(a).to_ascii_lowercase();
        match a.as_str() {
            "default" => wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string())),
            "all" | "everything" => all = true,
            _ => {
                wanted.insert(a);
            }
        }
    }
    let on = |name: &str| all || wanted.contains(name);
    let mut out = String::new();
    let section = |out: &mut String, body: String| {
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        out.push_str(&body);
    };
    if on("server") {
        section(&mut out, server_section(server, now_us));
    }
    if on("clients") {
        section(&mut out, clients_section(server));
    }
    if on("memory") {
        section(&mut out, memory_section(server));
    }
    if on("persistence") {
        section(&mut out, persistence_section(server, now_us));
    }
    if on("stats") {
        section(&mut out, stats_section(server));
    }
    if on("replication") {
        section(&mut out, crate::repl::info::section(server, now_us / 1000));
    }
    if on("cpu") {
        section(&mut out, cpu_section(server));
    }
    if on("module_list") || on("modules") {
        section(&mut out, "# Modules\r\n".into());
    }
    if on("commandstats") {
        section(&mut out, commandstats_section(server));
    }
    if on("errorstats") {
        let mut s = String::from("# Errorstats\r\n");
        for (code, n) in server.stats.error_stats() {
            let code = safe(&String::from_utf8_lossy(&code));
            let _ = write!(s, "errorstat_{code}:count={n}\r\n");
        }
        section(&mut out, s);
    }
    if on("latencystats") {
        section(&mut out, latencystats_section(server));
    }
    if on("cluster") {
        section(&mut out, "# Cluster\r\ncluster_enabled:0\r\n".into());
    }
    if on("keyspace") {
        let mut s = String::from("# Keyspace\r\n");
        for db in 0..server.keyspace.databases() {
            let (keys, expires) = server.keyspace.db_counts(db);
            if keys > 0 || expires > 0 {
                let _ = write!(s, "db{db}:keys={keys},expires={expires},avg_ttl=0\r\n");
            }
        }
        section(&mut out, s);
    }
    out
}

fn server_section(server: &Server, now_us: u64) -> String {
    let cfg = server.config.read();
    let proc_info = server.host.process();
    let uptime = now_us.saturating_sub(server.started_at.micros()) / 1_000_000;
    // Redis's LRU clock: seconds, wrapping at 24 bits.
    let lru_clock = (now_us / 1_000_000) & ((1 << 24) - 1);
    let mut s = String::from("# Server\r\n");
    let _ = write!(
        s,
        "redis_version:{REDIS_VERSION}\r\n\
         redis_git_sha1:00000000\r\n\
         redis_git_dirty:0\r\n\
         redis_build_id:0\r\n\
         redis_mode:standalone\r\n\
         os:{}\r\n\
         arch_bits:{}\r\n\
         monotonic_clock:POSIX clock_gettime\r\n\
         multiplexing_api:epoll\r\n\
         atomicvar_api:c11-builtin\r\n\
         gcc_version:0.0.0\r\n\
         process_id:{}\r\n\
         process_supervised:no\r\n\
         run_id:{}\r\n\
         tcp_port:{}\r\n\
         server_time_usec:{now_us}\r\n\
         uptime_in_seconds:{uptime}\r\n\
         uptime_in_days:{}\r\n\
         hz:{}\r\n\
         configured_hz:{}\r\n\
         lru_clock:{lru_clock}\r\n\
         executable:{}\r\n\
         config_file:{}\r\n\
         io_threads_active:0\r\n",
        proc_info.os,
        usize::BITS,
        proc_info.pid,
        server.run_id,
        tcp_port(&cfg),
        uptime / 86_400,
        cfg.hz,
        cfg.hz,
        proc_info.executable,
        proc_info.config_file,
    );
    s
}

fn clients_section(server: &Server) -> String {
    let clients = server.clients.snapshot();
    let tracking_clients = server.tracking.clients();
    let max_in = clients
        .iter()
        .map(|c| c.qbuf.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    let max_out = clients
        .iter()
        .map(|c| c.omem.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    format!(
        "# Clients\r\n\
         connected_clients:{}\r\n\
         cluster_connections:0\r\n\
         maxclients:{}\r\n\
         client_recent_max_input_buffer:{max_in}\r\n\
         client_recent_max_output_buffer:{max_out}\r\n\
         blocked_clients:{}\r\n\
         tracking_clients:{tracking_clients}\r\n\
         clients_in_timeout_table:{}\r\n",
        clients.len(),
        server.config.read().maxclients,
        server.keyspace.blocking.blocked_clients(),
        clients
            .iter()
            .filter(|c| c.blocked.lock().as_ref().is_some_and(|w| w.deadline_ms > 0))
            .count(),
    )
}

/// Memory held by replica clients and by the others (normal and pub/sub), each counted as
/// CLIENT LIST's `tot-mem`.
/// Output and query buffer bytes of (replicas, other clients), for INFO and MEMORY STATS.
pub(super) fn clients_memory(server: &Server) -> (usize, usize) {
    let mut totals = (0, 0);
    for c in server.clients.snapshot() {
        let mem = super::client_line::total_memory(&c);
        if c.class() == crate::client::ClientClass::Replica {
            totals.0 += mem;
        } else {
            totals.1 += mem;
        }
    }
    totals
}

/// The memory section's scripting lines, as Redis 7.0 prints them.
fn scripting_memory(server: &Server) -> String {
    let s = &server.scripting;
    let eval_vm = s.lua_memory() as u64;
    let (functions, libraries, functions_vm, functions_mem) = s.functions_figures();
    let total_vm = eval_vm + functions_vm;
    let scripts = s.scripts_memory() as u64 + functions_mem;
    format!(
        "used_memory_lua:{eval_vm}\r\n\
         used_memory_vm_eval:{eval_vm}\r\n\
         used_memory_lua_human:{}\r\n\
         used_memory_scripts_eval:{}\r\n\
         number_of_cached_scripts:{}\r\n\
         number_of_functions:{functions}\r\n\
         number_of_libraries:{libraries}\r\n\
         used_memory_vm_functions:{functions_vm}\r\n\
         used_memory_vm_total:{total_vm}\r\n\
         used_memory_vm_total_human:{}\r\n\
         used_memory_functions:{functions_mem}\r\n\
         used_memory_scripts:{scripts}\r\n\
         used_memory_scripts_human:{}\r\n",
        human_bytes(eval_vm),
        s.scripts_memory(),
        s.cached_scripts(),
        human_bytes(total_vm),
        human_bytes(scripts),
    )
}

/// INFO's `tcp_port`: `port`, or `tls-port` when there is no plain port, as Redis shows it.
fn tcp_port(cfg: &crate::config::Config) -> i64 {
    match (cfg.port, cfg.other.get("tls-port")) {
        (0, Some(crate::config::value::ConfigValue::Int(tls))) => *tls,
        (port, _) => i64::from(port),
    }
}

fn memory_section(server: &Server) -> String {
    let m = server.host.memory();
    let o = super::memory::Overhead::measure(server, &m);
    let (mem_clients_slaves, mem_clients_normal) = (o.clients_slaves, o.clients_normal);
    let not_counted = crate::evict::not_counted(server);
    let (maxmemory, policy) = {
        let c = server.config.read();
        (c.maxmemory, c.maxmemory_policy.name())
    };
    let peak = if m.peak > 0 {
        m.peak
    } else {
        server
            .stats
            .peak_memory
            .fetch_max(m.used, Ordering::Relaxed)
            .max(m.used)
    };
    let overhead = o.total;
    let dataset = m.used - overhead;
    let net = if m.used > m.startup {
        m.used - m.startup
    } else {
        1
    };
    let signed = |a: u64, b: u64| a as i64 - b as i64;
    let scripting = scripting_memory(server);
    let allocator = if m.allocator_name.is_empty() {
        "libc"
    } else {
        m.allocator_name
    };
    format!(
        "# Memory\r\n\
         used_memory:{used}\r\n\
         used_memory_human:{}\r\n\
         used_memory_rss:{rss}\r\n\
         used_memory_rss_human:{}\r\n\
         used_memory_peak:{peak}\r\n\
         used_memory_peak_human:{}\r\n\
         used_memory_peak_perc:{:.2}%\r\n\
         used_memory_overhead:{overhead}\r\n\
         used_memory_startup:{}\r\n\
         used_memory_dataset:{dataset}\r\n\
         used_memory_dataset_perc:{:.2}%\r\n\
         allocator_allocated:{}\r\n\
         allocator_active:{}\r\n\
         allocator_resident:{}\r\n\
         total_system_memory:{}\r\n\
         total_system_memory_human:{}\r\n\
         {scripting}\
         maxmemory:{maxmemory}\r\n\
         maxmemory_human:{}\r\n\
         maxmemory_policy:{policy}\r\n\
         allocator_frag_ratio:{:.2}\r\n\
         allocator_frag_bytes:{}\r\n\
         allocator_rss_ratio:{:.2}\r\n\
         allocator_rss_bytes:{}\r\n\
         rss_overhead_ratio:{:.2}\r\n\
         rss_overhead_bytes:{}\r\n\
         mem_fragmentation_ratio:{:.2}\r\n\
         mem_fragmentation_bytes:{}\r\n\
         mem_not_counted_for_evict:{not_counted}\r\n\
         mem_replication_backlog:0\r\n\
         mem_total_replication_buffers:0\r\n\
         mem_clients_slaves:{mem_clients_slaves}\r\n\
         mem_clients_normal:{mem_clients_normal}\r\n\
         mem_cluster_links:0\r\n\
         mem_aof_buffer:0\r\n\
         mem_allocator:{allocator}\r\n\
         active_defrag_running:0\r\n\
         lazyfree_pending_objects:{}\r\n\
         lazyfreed_objects:{}\r\n",
        human_bytes(m.used),
        human_bytes(m.rss),
        human_bytes(peak),
        ratio(m.used, peak) * 100.0,
        m.startup,
        ratio(dataset, net) * 100.0,
        m.allocator_allocated,
        m.allocator_active,
        m.allocator_resident,
        m.total_system,
        human_bytes(m.total_system),
        human_bytes(maxmemory),
        ratio(m.allocator_active, m.allocator_allocated),
        m.allocator_active.saturating_sub(m.allocator_allocated),
        ratio(m.allocator_resident, m.allocator_active),
        signed(m.allocator_resident, m.allocator_active),
        ratio(m.rss, m.allocator_resident),
        signed(m.rss, m.allocator_resident),
        ratio(m.rss, m.used),
        signed(m.rss, m.used),
        server.keyspace.lazyfree.pending(),
        server.keyspace.lazyfree.freed(),
        used = m.used,
        rss = m.rss,
    )
}

fn persistence_section(server: &Server, now_us: u64) -> String {
    use crate::persist::status::Running;
    let p = &server.persist;
    let aof = server.config.read().appendonly;
    let ld = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let running = p.running();
    let now_ms = now_us / 1000;
    let since = |started: u64| -> i64 {
        if started == 0 {
            -1
        } else {
            (now_ms.saturating_sub(started) / 1000) as i64
        }
    };
    let started = ld(&p.save_started_ms);
    let saving = running == Running::RdbSave;
    let rewriting = running == Running::AofRewrite;
    let status = |ok: bool| if ok { "ok" } else { "err" };
    let dirty = server
        .keyspace
        .log
        .changes()
        .saturating_sub(ld(&p.changes_at_save));
    let mut s = format!(
        "# Persistence\r\n\
         loading:0\r\n\
         async_loading:0\r\n\
         current_cow_peak:0\r\n\
         current_cow_size:0\r\n\
         current_cow_size_age:0\r\n\
         current_fork_perc:0.00\r\n\
         current_save_keys_processed:0\r\n\
         current_save_keys_total:{}\r\n\
         rdb_changes_since_last_save:{dirty}\r\n\
         rdb_bgsave_in_progress:{}\r\n\
         rdb_last_save_time:{}\r\n\
         rdb_last_bgsave_status:{}\r\n\
         rdb_last_bgsave_time_sec:{}\r\n\
         rdb_current_bgsave_time_sec:{}\r\n\
         rdb_saves:{}\r\n\
         rdb_last_cow_size:0\r\n\
         rdb_last_load_keys_expired:{}\r\n\
         rdb_last_load_keys_loaded:{}\r\n\
         aof_enabled:{}\r\n\
         aof_rewrite_in_progress:{}\r\n\
         aof_rewrite_scheduled:{}\r\n\
         aof_last_rewrite_time_sec:{}\r\n\
         aof_current_rewrite_time_sec:{}\r\n\
         aof_last_bgrewrite_status:{}\r\n\
         aof_rewrites:{}\r\n\
         aof_rewrites_consecutive_failures:0\r\n\
         aof_last_write_status:{}\r\n\
         aof_last_cow_size:0\r\n\
         module_fork_in_progress:0\r\n\
         module_fork_last_cow_size:0\r\n",
        if saving { ld(&p.save_keys_total) } else { 0 },
        saving as u8,
        ld(&p.lastsave),
        status(p.last_save_ok.load(Ordering::Relaxed)),
        p.last_save_secs.load(Ordering::Relaxed),
        if saving { since(started) } else { -1 },
        ld(&p.saves),
        ld(&p.loaded_expired),
        ld(&p.loaded_keys),
        aof as u8,
        rewriting as u8,
        p.rewrite_scheduled.load(Ordering::Relaxed) as u8,
        p.aof_last_rewrite_secs.load(Ordering::Relaxed),
        if rewriting { since(started) } else { -1 },
        status(p.aof_rewrite_ok.load(Ordering::Relaxed)),
        ld(&p.aof_rewrites),
        status(p.aof_write_ok.load(Ordering::Relaxed)),
    );
    if aof {
        let _ = write!(
            s,
            "aof_current_size:{}\r\n\
             aof_base_size:{}\r\n\
             aof_pending_rewrite:0\r\n\
             aof_buffer_length:0\r\n\
             aof_pending_bio_fsync:0\r\n\
             aof_delayed_fsync:0\r\n",
            ld(&p.aof_current_size),
            ld(&p.aof_base_size),
        );
    }
    s
}

fn stats_section(server: &Server) -> String {
    let st = &server.stats;
    let ks = &server.keyspace;
    let g = Stats::get;
    let (pubsub_channels, pubsub_patterns, pubsubshard_channels) = server.pubsub.counts();
    let (tracking_total_keys, tracking_total_items, tracking_total_prefixes) =
        server.tracking.totals();
    let (stale_perc, cap_reached) = ks.expire_cycle_stats();
    let evicted_keys = server.eviction.evicted_keys.load(Ordering::Relaxed);
    let evicted_clients = server.eviction.clients.evicted.load(Ordering::Relaxed);
    let (exceeded_total, exceeded_current) =
        server.eviction.exceeded_ms(server.host.monotonic_us());
    format!(
        "# Stats\r\n\
         total_connections_received:{}\r\n\
         total_commands_processed:{}\r\n\
         instantaneous_ops_per_sec:0\r\n\
         total_net_input_bytes:{}\r\n\
         total_net_output_bytes:{}\r\n\
         total_net_repl_input_bytes:0\r\n\
         total_net_repl_output_bytes:0\r\n\
         instantaneous_input_kbps:0.00\r\n\
         instantaneous_output_kbps:0.00\r\n\
         instantaneous_input_repl_kbps:0.00\r\n\
         instantaneous_output_repl_kbps:0.00\r\n\
         rejected_connections:{}\r\n\
         sync_full:{}\r\n\
         sync_partial_ok:{}\r\n\
         sync_partial_err:{}\r\n\
         expired_keys:{}\r\n\
         expired_stale_perc:{stale_perc:.2}\r\n\
         expired_time_cap_reached_count:{cap_reached}\r\n\
         expire_cycle_cpu_milliseconds:0\r\n\
         evicted_keys:{evicted_keys}\r\n\
         evicted_clients:{evicted_clients}\r\n\
         total_eviction_exceeded_time:{exceeded_total}\r\n\
         current_eviction_exceeded_time:{exceeded_current}\r\n\
         keyspace_hits:{}\r\n\
         keyspace_misses:{}\r\n\
         pubsub_channels:{pubsub_channels}\r\n\
         pubsub_patterns:{pubsub_patterns}\r\n\
         pubsubshard_channels:{pubsubshard_channels}\r\n\
         latest_fork_usec:0\r\n\
         total_forks:0\r\n\
         migrate_cached_sockets:{}\r\n\
         slave_expires_tracked_keys:{}\r\n\
         active_defrag_hits:0\r\n\
         active_defrag_misses:0\r\n\
         active_defrag_key_hits:0\r\n\
         active_defrag_key_misses:0\r\n\
         total_active_defrag_time:0\r\n\
         current_active_defrag_time:0\r\n\
         tracking_total_keys:{tracking_total_keys}\r\n\
         tracking_total_items:{tracking_total_items}\r\n\
         tracking_total_prefixes:{tracking_total_prefixes}\r\n\
         unexpected_error_replies:{}\r\n\
         total_error_replies:{}\r\n\
         dump_payload_sanitizations:0\r\n\
         total_reads_processed:0\r\n\
         total_writes_processed:0\r\n\
         io_threaded_reads_processed:0\r\n\
         io_threaded_writes_processed:0\r\n\
         reply_buffer_shrinks:0\r\n\
         reply_buffer_expands:0\r\n",
        g(&st.total_connections_received),
        g(&st.total_commands_processed),
        g(&st.total_net_input_bytes),
        g(&st.total_net_output_bytes),
        g(&st.rejected_connections),
        g(&st.sync_full),
        g(&st.sync_partial_ok),
        g(&st.sync_partial_err),
        ks.expired_keys.load(Ordering::Relaxed),
        ks.keyspace_hits.load(Ordering::Relaxed),
        ks.keyspace_misses.load(Ordering::Relaxed),
        server.host.migrate_cached_sockets(),
        server.repl.replica.written.len(),
        g(&st.unexpected_error_replies),
        g(&st.total_error_replies),
    )
}

fn cpu_section(server: &Server) -> String {
    let c = server.host.cpu();
    let t = |us: u64| format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
    // The main-thread lines repeat the process figures: lode has no single main thread.
    format!(
        "# CPU\r\n\
         used_cpu_sys:{}\r\n\
         used_cpu_user:{}\r\n\
         used_cpu_sys_children:{}\r\n\
         used_cpu_user_children:{}\r\n\
         used_cpu_sys_main_thread:{}\r\n\
         used_cpu_user_main_thread:{}\r\n",
        t(c.sys_us),
        t(c.user_us),
        t(c.sys_children_us),
        t(c.user_children_us),
        t(c.sys_us),
        t(c.user_us),
    )
}

fn push_command_stats(out: &mut Vec<(String, String)>, cmd: &Command) {
    let calls = cmd.calls.load(Ordering::Relaxed);
    let failed = cmd.failed_calls.load(Ordering::Relaxed);
    let rejected = cmd.rejected_calls.load(Ordering::Relaxed);
    let usec = cmd.usec.load(Ordering::Relaxed);
    if calls > 0 || failed > 0 || rejected > 0 {
        // Redis divides in single precision.
        let per_call = if calls == 0 {
            0.0
        } else {
            (usec as f32 / calls as f32) as f64
        };
        let line = format!(
            "cmdstat_{}:calls={calls},usec={usec},usec_per_call={per_call:.2},\
             rejected_calls={rejected},failed_calls={failed}\r\n",
            safe(&cmd.name)
        );
        out.push((cmd.name.clone(), line));
    }
    for sub in cmd.subcommands.values() {
        push_command_stats(out, sub);
    }
}

fn commandstats_section(server: &Server) -> String {
    let mut lines = Vec::new();
    for cmd in server.commands.iter() {
        push_command_stats(&mut lines, cmd);
    }
    // Redis lists them in hash order; name order keeps lode's output stable.
    lines.sort();
    let mut s = String::from("# Commandstats\r\n");
    for (_, l) in lines {
        s.push_str(&l);
    }
    s
}

/// A percentile as Redis names it in latencystats: `%f`, trailing zeros and point trimmed.
fn percentile_name(p: f64) -> String {
    let s = format!("{p:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn latencystats_section(server: &Server) -> String {
    let mut s = String::from("# Latencystats\r\n");
    let percentiles = {
        let c = server.config.read();
        if !c.latency_tracking {
            return s;
        }
        match crate::config::lookup("latency-tracking-info-percentiles").map(|p| c.value(p)) {
            Some(crate::config::ConfigValue::Percentiles(p)) => p,
            _ => Vec::new(),
        }
    };
    let mut commands: Vec<&Command> = Vec::new();
    for cmd in server.commands.iter() {
        commands.push(cmd);
        commands.extend(cmd.subcommands.values());
    }
    commands.sort_by(|a, b| a.name.cmp(&b.name));
    for cmd in commands {
        let Some(h) = cmd.latency.snapshot() else {
            continue;
        };
        let values: Vec<String> = percentiles
            .iter()
            .map(|&p| {
                let us = h.value_at_percentile(p) as f64 / 1000.0;
                format!("p{}={us:.3}", percentile_name(p))
            })
            .collect();
        let _ = write!(
            s,
            "latency_percentiles_usec_{}:{}\r\n",
            safe(&cmd.name),
            values.join(",")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::human_bytes;
    use crate::testkit::{server, TestClient};

    fn section_names(info: &str) -> Vec<String> {
        info.lines()
            .filter(|l| l.starts_with("# "))
            .map(|l| l[2..].trim_end().to_string())
            .collect()
    }

    #[test]
    fn default_all_and_single_sections() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        let info = c.cmd(&["INFO"]);
        assert_eq!(
            section_names(&info),
            [
                "Server",
                "Clients",
                "Memory",
                "Persistence",
                "Stats",
                "Replication",
                "CPU",
                "Modules",
                "Errorstats",
                "Cluster",
                "Keyspace"
            ]
        );
        assert!(info.contains("redis_version:7.0.15\r\n"));
        assert!(info.contains("\r\n\r\n# Clients\r\nconnected_clients:1\r\n"));
        let all = c.cmd(&["INFO", "all"]);
        assert_eq!(section_names(&all).len(), 13);
        assert!(all.contains("# Commandstats\r\n"));
        assert!(all.contains("# Latencystats\r\n"));
        let one = c.cmd(&["INFO", "CLUSTER"]);
        assert_eq!(one, "$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n");
        assert_eq!(c.cmd(&["INFO", "nosuchsection"]), "$0\r\n\r\n");
        let two = c.cmd(&["INFO", "cluster", "replication"]);
        assert!(two.contains("# Replication\r\nrole:master\r\n"));
        assert!(two.contains("repl_backlog_histlen:0\r\n\r\n# Cluster\r\n"));
        c.cmd(&["HELLO", "3"]);
        assert!(c
            .cmd(&["INFO", "cluster"])
            .starts_with("=34\r\ntxt:# Cluster"));
    }

    #[test]
    fn keyspace_commandstats_errorstats() {
        let srv = crate::testkit::debug_server();
        let mut c = TestClient::new(&srv);
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["SELECT", "2"]);
        c.cmd(&["SET", "b", "1"]);
        c.cmd(&["SELECT", "99"]);
        c.cmd(&["GET"]);
        c.cmd(&["NOSUCH"]);
        c.cmd(&["CONFIG", "GET", "hz"]);
        let info = c.cmd(&["INFO", "keyspace", "commandstats", "errorstats"]);
        assert!(info.contains(
            "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n"
        ));
        assert!(info.contains(
            "cmdstat_set:calls=2,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n"
        ));
        assert!(info.contains(
            "cmdstat_select:calls=2,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1\r\n"
        ));
        assert!(info.contains(
            "cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n"
        ));
        assert!(info.contains("cmdstat_config|get:calls=1,"));
        assert!(info.contains("# Errorstats\r\nerrorstat_ERR:count=3\r\n"));
        let stats = c.cmd(&["INFO", "stats"]);
        assert!(stats.contains("total_error_replies:3\r\n"));
    }

    #[test]
    fn real_durations_in_commandstats_and_latencystats() {
        let srv = crate::testkit::debug_server();
        let mut c = TestClient::new(&srv);
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["DEBUG", "SLEEP", "0.001"]);
        c.cmd(&["DEBUG", "SLEEP", "0.002"]);
        c.cmd(&["DEBUG", "SLEEP", "0"]);
        let info = c.cmd(&["INFO", "commandstats", "latencystats"]);
        assert!(info.contains(
            "cmdstat_debug:calls=3,usec=3000,usec_per_call=1000.00,rejected_calls=0,failed_calls=0\r\n"
        ));
        assert!(info.contains(
            "latency_percentiles_usec_debug:p50=1003.519,p99=2007.039,p99.9=2007.039\r\n"
        ));
        assert!(info.contains("latency_percentiles_usec_set:p50=0.001,p99=0.001,p99.9=0.001\r\n"));
        c.cmd(&[
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "0 12.5 100",
        ]);
        let info = c.cmd(&["INFO", "latencystats"]);
        assert!(
            info.contains("latency_percentiles_usec_debug:p0=0.001,p12.5=0.001,p100=2007.039\r\n"),
            "{info}"
        );
        c.cmd(&["CONFIG", "SET", "latency-tracking", "no"]);
        assert_eq!(
            c.cmd(&["INFO", "latencystats"]),
            "$16\r\n# Latencystats\r\n\r\n"
        );
    }

    #[test]
    fn human_bytes_like_redis() {
        assert_eq!(human_bytes(0), "0B");
        assert_eq!(human_bytes(1023), "1023B");
        assert_eq!(human_bytes(1536), "1.50K");
        assert_eq!(human_bytes(1190488), "1.14M");
        assert_eq!(human_bytes(25276063744), "23.54G");
    }
}
