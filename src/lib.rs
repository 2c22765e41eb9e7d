//! Jarvis keeps a small company's infrastructure and AI/SaaS spending in view.
//!
//! See ARCHITECTURE.md for the code map: a pure [`domain`] core, [`store`] (all SQL), the [`app`]
//! layer of use cases, and thin front ends ([`cli`]).

pub mod analysis;
pub mod app;
pub mod chart;
pub mod cli;
pub mod discord;
pub mod domain;
pub mod http;
pub mod probe;
pub mod providers;
pub mod render;
pub mod store;

/// Runs CPU-bound or blocking work (analysis of a large workspace, a bulk read through SQLite's C
/// API) without holding up the runtime's other tasks, such as the bot's interaction callbacks: on
/// a multi-threaded runtime the worker hands its other tasks to another thread first.
pub fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// A short id that ties an internal error shown to a user to its full log line.
pub fn error_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    let mixed =
        (nanos as u64) ^ (u64::from(COUNTER.fetch_add(1, Ordering::Relaxed)) << 40) ^ u64::from(std::process::id());
    format!("E{:08X}", (mixed ^ (mixed >> 29)) as u32)
}
