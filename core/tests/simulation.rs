//! Deterministic simulation over many seeds (see `lode_core::sim`).
//!
//! `LODE_SIM_SEEDS=n` runs seeds 0..n (default 300); `LODE_SIM_SEED=n` runs only seed n and
//! prints its whole step log; `LODE_SIM_STEPS` sets the steps per seed (default 300).

use std::panic::{catch_unwind, AssertUnwindSafe};

use lode_core::sim::run_seed;

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn simulation_seeds() {
    let steps = env("LODE_SIM_STEPS").unwrap_or(300) as usize;
    let (seeds, verbose) = match env("LODE_SIM_SEED") {
        Some(s) => (s..s + 1, true),
        None => (0..env("LODE_SIM_SEEDS").unwrap_or(300), false),
    };
    let start = std::time::Instant::now();
    let count = seeds.end - seeds.start;
    for seed in seeds {
        let mut log = Vec::new();
        let r = catch_unwind(AssertUnwindSafe(|| run_seed(seed, steps, &mut log)));
        let msg = match r {
            Ok(Ok(())) => {
                if verbose {
                    println!("{}", log.join("\n"));
                }
                continue;
            }
            Ok(Err(f)) => format!("step {}: {}", f.step, f.message),
            Err(p) => format!(
                "panic: {}",
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            ),
        };
        let tail = if verbose {
            0
        } else {
            log.len().saturating_sub(80)
        };
        panic!(
            "simulation seed {seed} failed: {msg}\n--- step log (last {} lines) ---\n{}\n--- rerun: LODE_SIM_SEED={seed} cargo test -p lode-core --test simulation -- --nocapture",
            log.len() - tail,
            log[tail..].join("\n"),
        );
    }
    println!(
        "simulation: {count} seeds x {steps} steps in {:?}",
        start.elapsed()
    );
}
