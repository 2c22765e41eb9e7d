//! The Jarvis report.
