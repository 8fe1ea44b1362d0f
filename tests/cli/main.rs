//! Integration tests: the real `m2mctl` binary against an emulator on 127.0.0.1:0.

mod config;
mod config_invalid;
mod emulator_cli;
mod emulator_persist;
mod emulator_socket;
mod support;
mod token;
