//! Placeholder: owned by the issue that builds `export`.
