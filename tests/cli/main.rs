//! Integration tests: the real `m2mctl` binary against an emulator on 127.0.0.1:0.
#![allow(
    clippy::disallowed_methods,
    reason = "tests read their own knobs (M2MCTL_FAULT_SEEDS, …)"
)]

mod api;
mod apply;
mod apply_faults;
mod apply_kit;
mod apply_lease;
mod apply_overlap;
mod apply_safety;
mod config;
mod config_invalid;
mod deliver;
mod docs;
mod docs_parse;
mod docs_samples;
mod drift_usage;
mod emulator_cli;
mod emulator_persist;
mod emulator_socket;
mod endpoints;
mod examples;
mod export;
mod export_roundtrip;
mod export_seed;
mod hostile;
mod init;
mod keys;
mod keys_credentials;
mod keys_plans;
mod local_service;
mod local_tenant;
mod logs;
mod messages;
mod organizations;
mod outputs;
mod own_token;
mod plan;
mod plan_floor;
mod policy;
mod projects;
mod rotate;
mod saved_plans;
mod shapes;
mod support;
mod tenant;
mod tenant_faults;
mod token;
mod token_hs256;
