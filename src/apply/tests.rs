//! Executor tests against a real emulator over loopback (see tests/cli for the binary).
