//! Integration tests: the real `m2mctl` binary against an emulator on 127.0.0.1:0.

mod apply;
mod apply_faults;
mod apply_kit;
mod apply_safety;
mod config;
mod config_invalid;
mod emulator_cli;
mod emulator_persist;
mod emulator_socket;
mod endpoints;
mod export;
mod export_roundtrip;
mod export_seed;
mod hostile;
mod logs;
mod outputs;
mod own_token;
mod plan;
mod plan_floor;
mod policy;
mod shapes;
mod support;
mod tenant;
mod tenant_faults;
mod token;
