//! Website checks (being written).
