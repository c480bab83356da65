//! Finds the `lode-server` binary: `$LODE_SERVER_BIN`, else builds it with cargo into the
//! same target directory and profile as the running test binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The lode-server binary, built at most once per process.
pub fn lode_server() -> Result<PathBuf, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(locate).clone()
}

fn locate() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("LODE_SERVER_BIN") {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("LODE_SERVER_BIN={} is not a file", bin.display()))
        };
    }
    // The test binary is <target-dir>/<profile-dir>/deps/<name>-<hash>.
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("unexpected test binary location")?;
    let target_dir = profile_dir
        .parent()
        .ok_or("unexpected test binary location")?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(p) => p,
        None => return Err("unexpected test binary location".into()),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    eprintln!("conformance: building lode-server ({profile} profile)...");
    // cargo releases the build lock before it runs tests, so this nested build cannot deadlock.
    let status = Command::new(cargo)
        .args([
            "build",
            "-p",
            "lode-server",
            "--bin",
            "lode-server",
            "--profile",
            profile,
            "--manifest-path",
        ])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build -p lode-server failed ({status})"));
    }
    let bin = profile_dir.join("lode-server");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("{} missing after the build", bin.display()))
    }
}
