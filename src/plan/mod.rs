//! Placeholder: owned by the issue that builds `plan`.
