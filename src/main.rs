//! The `jarvis` binary: load `.env`, set up logging, run the command line.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::Parser as _;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // A missing .env is fine; the environment and defaults still apply.
    let _ = dotenvy::dotenv();
    let cli = jarvis::cli::Cli::parse();
    // The bot says what it does (its instance id, shards, deliveries taken over); other commands
    // only warn. RUST_LOG overrides both. Colours only on a terminal, never in a log file.
    let default = if cli.serves() { "warn,jarvis=info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::from(jarvis::cli::EXIT_INTERNAL);
        }
    };
    let code = runtime.block_on(jarvis::cli::run(cli));
    // Work still running (a connection that would not close) does not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    code
}
