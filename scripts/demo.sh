#!/usr/bin/env bash
# The demo: builds the binaries, writes a development PKI, starts the hub and one node
# agent per party of the covenant's Annex A, and shows them connected.
#
#   scripts/demo.sh            run the demo, then stop everything and exit
#   scripts/demo.sh --keep     leave hub and agents running until Ctrl-C
#
# Everything it writes goes under demo-run/ (logs in demo-run/logs/).
set -euo pipefail

keep=false
case "${1:-}" in
  --keep) keep=true ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [--keep]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
root=$(pwd)
run="$root/demo-run"
bin="$root/target/debug"
hub_port=${TREITER_DEMO_PORT:-7443}
admin_port=$((hub_port + 1))

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Building hub, node-agent and certs-dev"
cargo build --locked --quiet -p treiter-hub -p treiter-node-agent -p treiter-certs-dev

pids=()
cleanup() {
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap cleanup EXIT

step "Writing a development PKI to demo-run/pki (dev only)"
mkdir -p "$run/logs"
"$bin/certs-dev" init --out "$run/pki" --force --test-certs

cat > "$run/hub.toml" <<TOML
listen = "127.0.0.1:$hub_port"
admin_listen = "127.0.0.1:$admin_port"
covenant = "$root/policies/treiteraanpak.covenant"
persons = "pki/persons.toml"
data_dir = "data"

[tls]
cert = "pki/hub/hub.pem"
key = "pki/hub/hub.key"

[[trust_anchor]]
cert = "pki/ca/root.pem"
crl = "pki/ca/root.crl.pem"

[link]
heartbeat_interval_seconds = 5
TOML
"$bin/hub" check-config --config "$run/hub.toml"

step "Starting the hub on 127.0.0.1:$hub_port"
"$bin/hub" serve --config "$run/hub.toml" >"$run/logs/hub.log" 2>&1 &
pids+=($!)

parties=(gemeente politie om degracht lieflijkwonen ggd amstel)
step "Starting ${#parties[@]} node agents, one per party"
for slug in "${parties[@]}"; do
  cat > "$run/agent-$slug.toml" <<TOML
hub_url = "https://localhost:$hub_port"
cert = "pki/parties/$slug.pem"
key = "pki/parties/$slug.key"
trust_anchors = ["pki/ca/root.pem"]
covenant = "$root/policies/treiteraanpak.covenant"

[link]
initial_backoff_ms = 200
max_backoff_ms = 5000
TOML
  "$bin/node-agent" --config "$run/agent-$slug.toml" >"$run/logs/agent-$slug.log" 2>&1 &
  pids+=($!)
  echo "  $slug (log: demo-run/logs/agent-$slug.log)"
done

step "Waiting for every agent to link"
for _ in $(seq 1 150); do
  if "$bin/hub" status --config "$run/hub.toml" --json 2>/dev/null \
      | grep -c '"connected": true' | grep -qx "${#parties[@]}"; then
    break
  fi
  sleep 0.2
done
"$bin/hub" status --config "$run/hub.toml"
connected=$("$bin/hub" status --config "$run/hub.toml" --json | grep -c '"connected": true' || true)
if [ "$connected" -ne "${#parties[@]}" ]; then
  echo "demo: only $connected of ${#parties[@]} agents linked; see demo-run/logs/" >&2
  exit 1
fi

step "kill -9 the hub, start it again: the agents come back by themselves"
kill -9 "${pids[0]}" 2>/dev/null || true
wait "${pids[0]}" 2>/dev/null || true
sleep 1
"$bin/hub" serve --config "$run/hub.toml" >>"$run/logs/hub.log" 2>&1 &
pids[0]=$!
back=false
for _ in $(seq 1 100); do
  if [ "$("$bin/hub" status --config "$run/hub.toml" --json 2>/dev/null | grep -c '"connected": true')" = "${#parties[@]}" ]; then
    back=true
    break
  fi
  sleep 0.1
done
if ! $back; then
  echo "demo: the agents did not all come back; see demo-run/logs/" >&2
  exit 1
fi
echo "  all ${#parties[@]} agents linked again"

step "An expired certificate is refused, and the hub says why"
cat > "$run/agent-expired.toml" <<TOML
hub_url = "https://localhost:$hub_port"
cert = "pki/test/expired.pem"
key = "pki/test/expired.key"
trust_anchors = ["pki/ca/root.pem"]
covenant = "$root/policies/treiteraanpak.covenant"
TOML
"$bin/node-agent" --config "$run/agent-expired.toml" >"$run/logs/agent-expired.log" 2>&1 &
expired=$!
sleep 2
kill "$expired" 2>/dev/null || true
wait "$expired" 2>/dev/null || true
echo "  the agent's log says:"
grep -m1 "refused" "$run/logs/agent-expired.log" | sed 's/^/    /' || true
"$bin/hub" status --config "$run/hub.toml" | sed -n '/refused since start/,$p'

if $keep; then
  step "Running; press Ctrl-C to stop. Status: target/debug/hub status --config demo-run/hub.toml"
  wait
else
  step "Demo finished: every partner's agent linked to the hub over mutual TLS"
fi
