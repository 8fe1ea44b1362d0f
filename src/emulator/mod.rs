//! Placeholder: owned by the issue that builds `emulator`.
