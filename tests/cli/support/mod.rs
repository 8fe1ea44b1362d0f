//! Test harness shared by the integration tests (spawned emulator, binary runner, filters).
