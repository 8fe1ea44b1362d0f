//! Integration tests: the real `m2mctl` binary against an emulator on 127.0.0.1:0.

mod emulator_socket;
mod support;
mod token;
