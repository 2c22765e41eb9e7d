//! RDAP lookups (being written).
