# Shared helpers of the conformance scripts (sourced, not run).
# Owns: locating/building the m2mctl binary, starting `m2mctl emulator --tls` on a free loopback port,
# reading the address it prints, and stopping it. It must not install anything.

conformance_root() { cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd; }

# Prints the path of a freshly built debug m2mctl. `M2MCTL_BIN` overrides (e.g. a release build).
# Asks cargo for the executable path, so CARGO_TARGET_DIR / build-dir settings are honoured.
m2mctl_bin() {
  if [ -n "${M2MCTL_BIN:-}" ]; then
    echo "$M2MCTL_BIN"
    return
  fi
  local root
  root=$(conformance_root)
  (cd "$root" && cargo build --locked --bin m2mctl --message-format=json-render-diagnostics) |
    python3 -c '
import json, sys
exe = None
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["target"]["name"] == "m2mctl":
        exe = msg["executable"]
if not exe:
    sys.exit("cargo build did not report the m2mctl executable")
print(exe)'
}

# start_emulator DIR [extra emulator flags...]
# Starts the emulator with TLS and fixed bootstrap credentials, waits until it answers, and sets:
#   EMU_PID EMU_DOMAIN (127.0.0.1:PORT) EMU_BASE (https://127.0.0.1:PORT) EMU_CERT EMU_LOG
#   EMU_CLIENT_ID EMU_CLIENT_SECRET
# The caller must call stop_emulator (use a trap).
start_emulator() {
  local dir=$1
  shift
  EMU_CERT="$dir/cert.pem"
  EMU_LOG="$dir/emulator.log"
  EMU_CLIENT_ID=${EMU_CLIENT_ID:-conformanceBootstrapClient0000001}
  EMU_CLIENT_SECRET=${EMU_CLIENT_SECRET:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')}
  "${M2MCTL:?set M2MCTL to the binary}" emulator --listen 127.0.0.1:0 --tls --cert-out "$EMU_CERT" \
    --bootstrap-client-id="$EMU_CLIENT_ID" --bootstrap-client-secret="$EMU_CLIENT_SECRET" "$@" \
    >"$EMU_LOG" 2>&1 &
  EMU_PID=$!
  local i url=""
  for i in $(seq 1 300); do
    if ! kill -0 "$EMU_PID" 2>/dev/null; then
      echo "emulator exited early; its output:" >&2
      cat "$EMU_LOG" >&2
      return 1
    fi
    url=$(grep -oE 'https://127\.0\.0\.1:[0-9]+' "$EMU_LOG" | head -n1 || true)
    if [ -n "$url" ] && [ -s "$EMU_CERT" ] &&
      curl -sS -o /dev/null --cacert "$EMU_CERT" "$url/.well-known/jwks.json" 2>/dev/null; then
      break
    fi
    url=""
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "emulator did not print an https://127.0.0.1:PORT address and answer within 30 s; its output:" >&2
    cat "$EMU_LOG" >&2
    return 1
  fi
  EMU_BASE=$url
  EMU_DOMAIN=${url#https://}
  export EMU_PID EMU_DOMAIN EMU_BASE EMU_CERT EMU_LOG EMU_CLIENT_ID EMU_CLIENT_SECRET
  echo "emulator pid $EMU_PID at $EMU_BASE (cert $EMU_CERT)"
}

# Stops the emulator started by start_emulator (SIGTERM, then SIGKILL after 5 s). Safe to call twice.
stop_emulator() {
  if [ -n "${EMU_PID:-}" ] && kill -0 "$EMU_PID" 2>/dev/null; then
    kill -TERM "$EMU_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do
      kill -0 "$EMU_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$EMU_PID" 2>/dev/null; then
      echo "emulator did not stop on SIGTERM within 5 s; killing it" >&2
      kill -KILL "$EMU_PID" 2>/dev/null || true
    fi
    wait "$EMU_PID" 2>/dev/null || true
  fi
  EMU_PID=""
}
