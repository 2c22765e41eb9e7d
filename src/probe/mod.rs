//! Probes: the network I/O behind website and domain health. `site` checks a website (HTTP,
//! TLS, keyword) without letting a URL reach private addresses; `rdap` looks a domain's
//! registration up (RFC 9083) through IANA's bootstrap (RFC 9224). No SQL and no serenity here:
//! probes return plain values for `app/` to store and `analysis/` to judge.

pub mod rdap;
pub mod site;

/// `text` from the network without its control characters (a NUL among them, which PostgreSQL
/// refuses in text and JSON): names from certificates and registries are stored and shown.
pub(crate) fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}
