//! Pre-flight tables.
