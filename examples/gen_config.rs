//! Benchmark input: prints a valid config with N applications (default 10,000) on stdout.
//!
//! `cargo run --release --example gen_config -- 10000 > /tmp/big.yaml`
//! `hyperfine 'target/release/m2mctl validate -f /tmp/big.yaml'`
//!
//! The file has 20 APIs with 5 scopes each; every application has a description, metadata,
//! two grants to custom APIs (with a shared per-API lifetime) and every 10th one a Management
//! API grant, and some values come from `${VAR:-default}` so substitution is measured too.

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let apis = 20;
    let mut out = BufWriter::new(std::io::stdout().lock());
    writeln!(
        out,
        "# yaml-language-server: $schema=../schemas/m2mctl.schema.json"
    )?;
    writeln!(
        out,
        "version: 1\nproject: bench-${{ENV:-dev}}\ntenant:\n  domain: ${{AUTH0_DOMAIN:-local}}"
    )?;
    writeln!(out, "settings: {{ prune: false, max_deletes: 5 }}\napis:")?;
    for a in 0..apis {
        writeln!(
            out,
            "  - identifier: https://api{a}.example.com/\n    name: API {a}"
        )?;
        writeln!(
            out,
            "    token_lifetime: ${{TTL_{a}:-{}}}\n    scopes:",
            3600 + a
        )?;
        for s in 0..5 {
            writeln!(
                out,
                "      - value: scope{s}:api{a}\n        description: Scope {s} of API {a}"
            )?;
        }
    }
    writeln!(out, "applications:")?;
    for i in 0..n {
        let (a, b) = (i % apis, (i * 7 + 3) % apis);
        let b = if a == b { (b + 1) % apis } else { b };
        writeln!(
            out,
            "  - name: worker-{i}\n    key: w{i}\n    description: Background worker number {i}"
        )?;
        writeln!(
            out,
            "    token_endpoint_auth_method: client_secret_post\n    grants:"
        )?;
        writeln!(
            out,
            "      - api: https://api{a}.example.com/\n        scopes: [scope0:api{a}, scope1:api{a}]"
        )?;
        writeln!(
            out,
            "      - api: https://api{b}.example.com/\n        scopes: [scope2:api{b}]"
        )?;
        if i % 10 == 0 {
            writeln!(
                out,
                "      - api: management\n        scopes: [read:clients, read:client_grants]"
            )?;
        }
        writeln!(
            out,
            "    metadata:\n      team: team-{}\n      tier: \"{}\"",
            i % 17,
            i % 3
        )?;
    }
    out.flush()
}
