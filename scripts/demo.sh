#!/usr/bin/env bash
# The demo: builds the binaries, writes a development PKI, starts the hub and one node
# agent per party of the covenant's Annex A (each answering from SYNTHETIC sample data),
# shows them connected and surviving a hub restart, and then walks through a
# Treiteraanpak case with `hubctl`, as the people involved would: a melding, the
# informatiemakelaar's registration and bevraging, the case file in duiding and in
# aanpak, escalation, an emergency, closing the case; then the privacy officers read
# their parties' log entries, verify the log and produce the victim's inzage overview.
#
#   scripts/demo.sh            run the demo, then stop everything and exit
#   scripts/demo.sh --keep     leave hub and agents running until Ctrl-C
#
# Everything it writes goes under demo-run/ (logs in demo-run/logs/). The node agents'
# SQLite sample databases are built from node-agent/examples/*.sql by
# `cargo run -p treiter-node-agent --example samples`. CARGO_TARGET_DIR is honoured;
# TREITER_DEMO_PORT moves the hub (default 7443; the admin port is the next one). Both
# ports are checked before anything is built or started, and so is the run directory:
# while another demo runs in it (its hub or agents, even if its script was killed), this
# one refuses to start instead of wiping that demo's data and certificates, and says
# whose it is and what to do. When a step fails, the last line says which step it was
# and where the logs are.
#
# For the automated test of the demo (tests/tests/demo.rs): TREITER_DEMO_DIR puts the
# run directory elsewhere, TREITER_DEMO_BIN names a directory holding the already built
# binaries, in which case nothing is built, and TREITER_DEMO_SAMPLES a directory holding
# the sample databases as <kind>/<kind>.sqlite (the test builds them from the same .sql).
set -euo pipefail

keep=false
case "${1:-}" in
  --keep) keep=true ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [--keep]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
root=$(pwd)
run=${TREITER_DEMO_DIR:-$root/demo-run}
shown=${run#"$root/"} # the run directory as the messages show it
target=${CARGO_TARGET_DIR:-$root/target}
case "$target" in /*) ;; *) target="$root/$target" ;; esac
bin=${TREITER_DEMO_BIN:-$target/debug}
samples=${TREITER_DEMO_SAMPLES:-$root/node-agent/examples}
hub_port=${TREITER_DEMO_PORT:-7443}
case "$hub_port" in
  '' | *[!0-9]*) echo "demo: TREITER_DEMO_PORT=\"$hub_port\" is not a port number; choose one from 1024 to 65534" >&2; exit 2 ;;
esac
admin_port=$((hub_port + 1))

# The step under way and the line of the command that failed in it, for the last line
# of a failed run.
current_step="starting"
failed_line=""
step() {
  current_step="$*"
  failed_line=""
  printf '\n\033[1m== %s\033[0m\n' "$*"
}
say() { printf '%s\n' "$*" | fold -s -w 92 | sed 's/^/   /'; }

pids=()
cleanup() {
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
finished=false # set once the story has been told: stopping after that is no failure
on_exit() {
  local status=$?
  cleanup
  if [ "$status" -ne 0 ] && ! $finished; then
    local what="FAILED" where=""
    if [ "$status" -eq 130 ] || [ "$status" -eq 143 ]; then what="stopped"; fi
    if [ -n "$failed_line" ]; then where="scripts/demo.sh line $failed_line, "; fi
    printf '\ndemo: %s at step "%s" (%sexit status %s); see the messages above and the logs in %s/logs/\n' \
      "$what" "$current_step" "$where" "$status" "$run" >&2
  fi
}
# set -E: the ERR trap also sees a command failing inside a function. The first failing
# line of a step is the one the last line names.
set -E
trap 'failed_line=${failed_line:-$LINENO}' ERR
trap on_exit EXIT
# Ctrl-C or a TERM ends the script through `exit`, so the EXIT trap stops everything.
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$run/logs"

# The run directory of the demo whose hub is process $1 (from its --config
# DIR/hub.toml), if /proc tells; empty otherwise.
demo_of_pid() {
  local args
  args=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 0
  case "$args" in
    *" serve --config "*/hub.toml*)
      args=${args#*" serve --config "}
      args=${args%%/hub.toml*}
      printf '%s' "$args"
      ;;
  esac
}
# Who listens on TCP port $1 (any address), as "NAME (pid N)", if ss or lsof can tell;
# for another demo's hub, with that demo's run directory.
port_holder() {
  local who="" pid="" dir=""
  if command -v ss >/dev/null 2>&1; then
    who=$(ss -Hltnp "sport = :$1" 2>/dev/null \
      | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -1)
  fi
  if [ -z "$who" ] && command -v lsof >/dev/null 2>&1; then
    who=$(lsof -nP -iTCP:"$1" -sTCP:LISTEN -Fpc 2>/dev/null \
      | awk '/^p/ { pid = substr($0, 2) } /^c/ { print substr($0, 2) " (pid " pid ")"; exit }')
  fi
  pid=$(printf '%s' "$who" | sed -n 's/.*(pid \([0-9]*\))$/\1/p')
  if [ -n "$pid" ]; then
    dir=$(demo_of_pid "$pid")
  fi
  printf '%s' "$who${dir:+: the hub of another demo, running in $dir}"
}
# Whether something listens on TCP port $1: ss sees listeners on any address (which
# also block 127.0.0.1); without ss, whether a connection to 127.0.0.1 is accepted.
port_taken() {
  if command -v ss >/dev/null 2>&1 && [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; then
    return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The first port p from $1 on (in steps of 10) with p and p + 1 free now; empty if none.
free_pair_from() {
  local candidate
  for candidate in $(seq "$1" 10 $(($1 + 190))); do
    if [ "$candidate" -le 65534 ] && ! port_taken "$candidate" && ! port_taken $((candidate + 1)); then
      printf '%s' "$candidate"
      return 0
    fi
  done
}

# One demo per run directory: a second one would wipe the first one's data, PKI and
# keys while its hub and agents use them. The lock is held on a file descriptor that
# the demo's hub and agents inherit, so it lasts while any of them runs (also after
# the script itself was killed); demo.owner says whose it is.
step "Checking that no other demo is running in $shown"
lock="$run/demo.lock"
owner="$run/demo.owner"
other_demo() {
  local pid port since holders suggestion
  pid=$(sed -n 's/^pid=//p' "$owner" 2>/dev/null || true)
  port=$(sed -n 's/^hub_port=//p' "$owner" 2>/dev/null || true)
  since=$(sed -n 's/^started=//p' "$owner" 2>/dev/null || true)
  echo "demo: another demo is running in $shown${pid:+ (script pid $pid${port:+, hub on 127.0.0.1:$port}${since:+, started $since})}; starting here would wipe its data and certificates" >&2
  holders=""
  if command -v lsof >/dev/null 2>&1; then
    holders=$(lsof -t "$lock" 2>/dev/null | sort -un | tr '\n' ' ' | sed 's/ $//')
  fi
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "      stop it first: Ctrl-C in its terminal, or kill $pid;" >&2
  elif [ -n "$holders" ]; then
    echo "      its script has ended but its hub or agents still run: stop them first with kill $holders;" >&2
  else
    echo "      stop it first (Ctrl-C in its terminal);" >&2
  fi
  suggestion=$(free_pair_from $((hub_port + 100)))
  echo "      or run this one in another directory and on other ports:" \
    "TREITER_DEMO_DIR=${TMPDIR:-/tmp}/treiter-demo-$$ TREITER_DEMO_PORT=${suggestion:-PORT} scripts/demo.sh" >&2
}
if command -v flock >/dev/null 2>&1; then
  exec 9>>"$lock"
  if ! flock -n 9; then
    other_demo
    exit 1
  fi
elif [ -f "$owner" ]; then
  # Without flock(1): the owner's script must be gone.
  other_pid=$(sed -n 's/^pid=//p' "$owner")
  if [ -n "$other_pid" ] && [ "$other_pid" != "$$" ] && kill -0 "$other_pid" 2>/dev/null; then
    other_demo
    exit 1
  fi
fi
printf 'pid=%s\nhub_port=%s\nstarted=%s\n' "$$" "$hub_port" "$(date '+%Y-%m-%d %H:%M:%S')" > "$owner"
echo "  none"

step "Checking that ports $hub_port (hub) and $admin_port (its admin endpoint) are free on 127.0.0.1"
if [ "$hub_port" -lt 1024 ] || [ "$hub_port" -gt 65534 ]; then
  echo "demo: TREITER_DEMO_PORT=$hub_port is outside 1024-65534 (the admin port is the next one)" >&2
  exit 2
fi
taken=false
for port in "$hub_port" "$admin_port"; do
  if port_taken "$port"; then
    taken=true
    holder=$(port_holder "$port")
    echo "demo: port $port is already in use${holder:+, by $holder}" >&2
  fi
done
if $taken; then
  suggestion=$(free_pair_from $((hub_port + 10)))
  echo "demo: stop what holds the port (a demo left running with --keep stops with Ctrl-C in its terminal)," >&2
  if [ -n "$suggestion" ]; then
    echo "      or run the demo on other ports: TREITER_DEMO_PORT=$suggestion scripts/demo.sh" \
      "(uses $suggestion and $((suggestion + 1)), both free now)" >&2
  else
    echo "      or run the demo on other ports: TREITER_DEMO_PORT=PORT scripts/demo.sh (uses PORT and PORT+1)" >&2
  fi
  exit 1
fi
echo "  free"

if [ -z "${TREITER_DEMO_BIN:-}" ]; then
  step "Building hub, node-agent, hubctl, certs-dev and the sample databases"
  say "The first build compiles a few hundred crates and takes several minutes; later runs" \
      "take seconds. Cargo shows its progress below."
  cargo build --locked -p treiter-hub -p treiter-node-agent -p treiter-certs-dev -p treiter-hubctl --bins
  cargo build --locked -p treiter-node-agent --example samples
fi

started=$(date +%s)

step "Writing a development PKI to $shown/pki (dev only)"
mkdir -p "$run/logs"
rm -rf "$run/data" "$run/data.keys" "$run/master.key" "$run/sources" "$run/profiles" "$run/state" "$run"/agent-*.toml
"$bin/certs-dev" init --out "$run/pki" --force --test-certs
# The master key that wraps every case key (encryption at rest, article 12.2): 0600,
# outside the data directory. The per-case keys go to data.keys/, next to data/.
"$bin/hub" master-key generate --out "$run/master.key"

cat > "$run/hub.toml" <<TOML
listen = "127.0.0.1:$hub_port"
admin_listen = "127.0.0.1:$admin_port"
covenant = "$root/policies/treiteraanpak.covenant"
persons = "pki/persons.toml"
data_dir = "data"
master_key_file = "master.key"

[tls]
cert = "pki/hub/hub.pem"
key = "pki/hub/hub.key"

[[trust_anchor]]
cert = "pki/ca/root.pem"
crl = "pki/ca/root.crl.pem"

[link]
heartbeat_interval_seconds = 5
TOML
# check-config only reads; `hub init` creates the data directory, key store and log key.
"$bin/hub" check-config --config "$run/hub.toml" | tee "$run/logs/check-config.out"
"$bin/hub" init --config "$run/hub.toml" | tee "$run/logs/init.out"
# The decision log's public verifier key: privacy officers (hubctl `log verify`) and
# agents check the hub's signed checkpoints with it, never with a key the hub sends.
log_verifier=$(sed -n 's/^decision log verifier key: //p' "$run/logs/init.out")

step "Sample sources with SYNTHETIC people, one per party"
# The covenant-wide pseudonym key (article 8.4): held by the parties and by hubctl,
# never by the hub. A fresh random one per demo run.
old_umask=$(umask)
umask 077
{ od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; echo; } > "$run/pseudonym.key"
umask "$old_umask"
if [ -z "${TREITER_DEMO_BIN:-}" ]; then
  "$bin/examples/samples" > "$run/logs/samples.log"
fi
# The SQLite examples of node-agent/examples/, one per party kind: each agent
# pseudonymises its own rows with the key and answers only with mapped columns.
sqlite_party() { # kind slug
  local kind=$1 slug=$2 dir="$run/sources/$2"
  mkdir -p "$dir" "$run/state/$slug"
  cp "$samples/$kind/$kind.sqlite" "$dir/"
  sed -e "s|^hub_url = .*|hub_url = \"https://localhost:$hub_port\"|" \
      -e "s|^cert = .*|cert = \"$run/pki/parties/$slug.pem\"|" \
      -e "s|^key = .*|key = \"$run/pki/parties/$slug.key\"|" \
      -e "s|^trust_anchors = .*|trust_anchors = [\"$run/pki/ca/root.pem\"]|" \
      -e "s|^covenant = .*|covenant = \"$root/policies/treiteraanpak.covenant\"|" \
      -e "s|^pseudonym_key = .*|pseudonym_key = \"$run/pseudonym.key\"|" \
      -e "s|^receipts = .*|receipts = \"$run/state/$slug/receipts.log\"|" \
      -e "s|^log_verifier = .*|log_verifier = \"$log_verifier\"|" \
      -e "s|^key_file = \"state/witness.key\"|key_file = \"$run/state/$slug/witness.key\"|" \
      -e "s|^key_file = \"state/inbox.key\"|key_file = \"$run/state/$slug/inbox.key\"|" \
      -e "s|^dir = \"state/inbox\"|dir = \"$run/state/$slug/inbox\"|" \
      -e "s|^state = .*|state = \"$run/state/$slug/witnessed.checkpoint\"|" \
      -e "/^listen = /d" \
      "$root/node-agent/examples/$kind/node-agent.toml" > "$dir/node-agent.toml"
}
sqlite_party gemeente gemeente
sqlite_party politie politie
sqlite_party om om
sqlite_party woningcorporatie degracht
sqlite_party zorgpartner ggd
# Two partners export JSON files instead (one folder per category, one file per
# pseudonym). Zorgcollectief Amstel's export carries a `diagnose` field, which the
# covenant never lets leave (article 7.1).
json_party() { # slug
  local slug=$1
  mkdir -p "$run/sources/$slug/export" "$run/state/$slug"
  cat > "$run/sources/$slug/node-agent.toml" <<TOML
hub_url = "https://localhost:$hub_port"
cert = "$run/pki/parties/$slug.pem"
key = "$run/pki/parties/$slug.key"
trust_anchors = ["$run/pki/ca/root.pem"]
covenant = "$root/policies/treiteraanpak.covenant"

[source]
kind = "json-dir"
path = "export"

[witness]
log_verifier = "$log_verifier"
key_file = "$run/state/$slug/witness.key"
state = "$run/state/$slug/witnessed.checkpoint"

[link]
initial_backoff_ms = 200
max_backoff_ms = 5000
TOML
}
json_party lieflijkwonen
json_party amstel
tobias=$("$bin/node-agent" pseudonym --key "$run/pseudonym.key" \
  --name "Tobias Testdader" --birth-date 1980-01-01 --postcode "1091 AB" --house-number 12)
mkdir -p "$run/sources/amstel/export/zorgbetrokkenheid"
cat > "$run/sources/amstel/export/zorgbetrokkenheid/$tobias.json" <<JSON
[{ "reference": "ZCA-2026-0031", "recorded_at": "2026-10-12T10:00:00Z",
   "fields": { "zorg_betrokken": "ja", "contactpersoon": "wijkteam Oost",
               "diagnose": "synthetische diagnose" } }]
JSON
say "gemeente, politie, om, degracht, ggd: SQLite databases from node-agent/examples/ (people.sql:" \
    "Tobias Testdader, Sanne Slachtoffer, ... all invented); lieflijkwonen and amstel: JSON exports."

step "Starting the hub on 127.0.0.1:$hub_port"
"$bin/hub" serve --config "$run/hub.toml" >"$run/logs/hub.log" 2>&1 &
pids+=($!)

parties=(gemeente politie om degracht lieflijkwonen ggd amstel)
step "Starting ${#parties[@]} node agents, one per party"
for slug in "${parties[@]}"; do
  "$bin/node-agent" --config "$run/sources/$slug/node-agent.toml" >"$run/logs/agent-$slug.log" 2>&1 &
  pids+=($!)
  echo "  $slug (log: $shown/logs/agent-$slug.log)"
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
  echo "demo: only $connected of ${#parties[@]} agents linked; see $shown/logs/" >&2
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
  echo "demo: the agents did not all come back; see $shown/logs/" >&2
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

# ---------------------------------------------------------------------------------
# The case, with hubctl. Each person has a profile: the hub's URL, their own person
# certificate, the CA, and (coordinators) the covenant's pseudonym key.

step "hubctl profiles for the people in this story"
mkdir -p "$run/profiles"
profile() { # name person-id [pseudonym key]
  {
    echo "hub_url = \"https://localhost:$hub_port\""
    echo "cert = \"../pki/persons/$2.pem\""
    echo "key = \"../pki/persons/$2.key\""
    echo "trust_anchors = [\"../pki/ca/root.pem\"]"
    if [ "${3:-}" = key ]; then echo "pseudonym_key = \"../pseudonym.key\""; fi
    if [ "${4:-}" = verifier ]; then echo "log_verifier = \"$log_verifier\""; fi
  } > "$run/profiles/$1.toml"
}
profile im p-gemeente-001 key       # informatiemakelaar, stadsdeel oost
profile sdr p-gemeente-004 key      # stadsdeelregisseur, stadsdeel oost
profile stedelijk p-gemeente-005    # stedelijk regisseur
profile politie p-politie-017       # partnercontact of the politie
profile po-gemeente p-gemeente-090 key verifier  # the gemeente's privacy officer
profile po-politie p-politie-090 - verifier      # the politie's privacy officer
profile po-amstel p-amstel-090 - verifier        # Zorgcollectief Amstel's privacy officer
profile auditor p-gemeente-095 - verifier        # the auditor (art. 5.5 of covenant version 2)
sed 's/^/    im.toml: /' "$run/profiles/im.toml"

# The arguments as one would type them: quoted where they hold spaces or symbols.
quoted() {
  local out="" a
  for a in "$@"; do
    case "$a" in
      "" | *[!A-Za-z0-9_./:=,+-]*) out+=" \"$a\"" ;;
      *) out+=" $a" ;;
    esac
  done
  printf '%s' "${out# }"
}
# hubctl as PERSON, showing the command and indenting its answer.
as() {
  local who=$1; shift
  printf '\n  \033[2m[%s]$\033[0m hubctl %s\n' "$who" "$(quoted "$@")"
  HUBCTL_PROFILE="$run/profiles/$who.toml" "$bin/hubctl" "$@" | sed 's/^/    /'
}
# The same for a command the hub must refuse: shows the message and the exit code.
refused() {
  local who=$1; shift
  printf '\n  \033[2m[%s]$\033[0m hubctl %s\n' "$who" "$(quoted "$@")"
  local code=0
  HUBCTL_PROFILE="$run/profiles/$who.toml" "$bin/hubctl" "$@" >"$run/logs/refused.out" 2>&1 || code=$?
  sed 's/^/    /' "$run/logs/refused.out"
  if [ "$code" -eq 0 ]; then
    echo "demo: expected a refusal" >&2
    exit 1
  fi
  echo "    (exit code $code)"
}
# hubctl as PERSON with identifying data on standard input (never echoed).
as_stdin() {
  local who=$1 data=$2; shift 2
  printf '\n  \033[2m[%s]$\033[0m hubctl %s   \033[2m(name, date of birth, address on stdin)\033[0m\n' "$who" "$(quoted "$@")"
  printf '%s\n' "$data" | HUBCTL_PROFILE="$run/profiles/$who.toml" "$bin/hubctl" "$@" | sed 's/^/    /'
}

step "1. Melding: a resident of Oost calls 14020 — her neighbour has threatened her for months"
say "Anna (informatiemakelaar, stadsdeel oost) registers the melding. The hub knows her from her" \
    "certificate and its own person registry; hubctl sends no role."
as im whoami
as im case create --stadsdeel oost --melding-at now-3h --reference 14020-2026-118 | tee "$run/logs/created.out"
case_id=$(grep -oE 'C-[0-9]{4}-[0-9]{4,}' "$run/logs/created.out" | head -1)
say "The melder must be contacted within 2 working days (art. 4.3); the list keeps it in view."
as im case list
as im case contact "$case_id" --at now-30m

step "2. Registratie: the subjects, pseudonymised on Anna's machine"
say "hubctl computes each subject's keyed pseudonym locally (art. 8.4); the name, date of birth and" \
    "address never leave the machine and are not printed."
as im case move "$case_id" registratie --reason "melding complete, structural harassment suspected"
as_stdin im $'Sanne Slachtoffer\t1975-05-05\t1091 AB\t14-2' \
  subject add "$case_id" --role slachtoffer --label "melder, bewoner 14-2" --stdin
as_stdin im $'Tobias Testdader\t1980-01-01\t1091 AB\t12' \
  subject add "$case_id" --role dader --label "buurman nr. 12" --stdin

step "3. Bevraging: who knows the subjects? (hit / no hit only, art. 8.4)"
as im bevraag "$case_id" --subject "buurman nr. 12"
as im bevraag "$case_id" --subject "melder, bewoner 14-2"
say "The hub refuses a move that skips a phase, and says which moves are allowed:"
refused im case move "$case_id" aanpak --reason "skip ahead"

step "4. Duiding: the case file as the informatiemakelaar sees it"
say "Police incidents reach her without their summary (art. 6.3a); the OM's justitiële gegevens" \
    "are for the stadsdeelregisseur in aanpak only (art. 6.4), so nothing of them reaches her."
as im case move "$case_id" duiding --reason "assess with the partners' information"
as im casefile request "$case_id" --purpose duiding

step "5. Aanpak: the stadsdeelregisseur's richer case file"
say "Daan (stadsdeelregisseur oost) records the victim's consent for slachtofferinformatie" \
    "(art. 6.9, 11.3), starts the joint approach and requests the file for aanpak. Zorgcollectief" \
    "Amstel's record carries a diagnose: it is refused as a whole (art. 7.1) and its privacy" \
    "officer is notified. The yellow card the stadsdeel gave (handhaving) is in the file."
as sdr consent record "$case_id" --subject "melder, bewoner 14-2" --category slachtofferinformatie --date today
as sdr case move "$case_id" aanpak --reason "complex case: joint approach" --expect duiding
as sdr casefile request "$case_id" --purpose aanpak --watch

step "6. The plan van aanpak: the politie and De Gracht take part"
as sdr participant add "$case_id" politie
as sdr participant add "$case_id" "De Gracht"
say "Gerda (partnercontact of the politie) now sees the case, but may not register one:"
as politie case list
refused politie case create --stadsdeel oost --melding-at now

step "7. Escalation to city level (art. 4.5, 14)"
as sdr case escalate "$case_id" --reason "harassment continues despite the yellow card"
as stedelijk case list --escalated
as stedelijk casefile request "$case_id" --purpose aanpak --category politie-incidenten,justitiele-gegevens

step "8. An emergency (spoed, art. 15): an acute threat reported to the police"
say "The politie's partnercontact declares an emergency with a written reason (no names: the" \
    "privacy officers who review emergency shares read it). For 72 hours she receives as the" \
    "stadsdeelregisseur would; every share beyond her own rights is marked and reported."
as politie emergency "$case_id" --reason "threat with a weapon reported tonight; victim at risk"
as politie casefile request "$case_id" --purpose aanpak

step "9. The case is closed"
as sdr case move "$case_id" afgesloten --reason "harasser moved; situation ended"
as sdr case show "$case_id"

step "9b. The gemeente's own copy: its node agent's inbox"
say "What the gemeente's coordinators received was also delivered to the gemeente's own node" \
    "agent: each share sealed on disk, tagged with its purpose and deleted when the case's" \
    "retention ends (articles 3.2, 9). Listing it shows no values; exporting needs the purpose."
printf '\n  \033[2m$\033[0m node-agent inbox list --config %s/sources/gemeente/node-agent.toml\n' "$shown"
"$bin/node-agent" inbox list --config "$run/sources/gemeente/node-agent.toml" 2>&1 \
  | sed -n '1,12p' | sed 's/^/    /'

step "10. The privacy officers: each party's part of the decision log, and the victim's inzage"
say "Every decision above was appended to the hub's tamper-evident decision log before anything" \
    "passed. A privacy officer sees the entries of shares their party provided or received, and" \
    "no others (art. 10.3): subjects by pseudonym, fields by name, never a value. Coordinators" \
    "cannot read the log at all."
refused sdr log entries --case "$case_id"
as po-politie log entries --case "$case_id" --kind share-decision
say "Zorgcollectief Amstel's privacy officer is told that its record carrying a diagnose was" \
    "refused (art. 7.1, 7.2), and the politie's reviews the emergency shares (art. 15.2):"
as po-amstel notifications list
as po-politie notifications list --kind emergency-review
say "Each privacy officer can check, with the hub's public verifier key in their own profile," \
    "that the hub's signed checkpoint is genuine, that each of their entries is in the log, and" \
    "that the log only grew since they last looked (art. 10.2):"
as po-politie log verify
say "The victim asks the gemeente what was shared about her (inzage, art. 11.1). Her identity" \
    "is pseudonymised on the privacy officer's machine; the hub builds the overview from the" \
    "whole log, due within 4 weeks (art. 11.2):"
as_stdin po-gemeente $'Sanne Slachtoffer\t1975-05-05\t1091 AB\t14-2' \
  inzage request --stdin --reference "inzage-2026-001"

step "10b. A new covenant version: the auditor (art. 5.5)"
say "The parties add a read-only auditor to the covenant: a person of the gemeente who reads" \
    "the decision log's entries of every party (pseudonyms and field names, never a value)," \
    "the evaluation figures and the covenant versions, verifies the whole log, and changes" \
    "nothing. Until a version with article 5.5 is in force, the registry's role gives nothing:"
refused auditor log entries --case "$case_id"
say "The gemeente's privacy officer proposes version 2; the privacy officers of the gemeente and" \
    "the politie approve it, and it takes effect (art. 13.1):"
as po-gemeente covenant propose "$root/policies/treiteraanpak.v2.covenant" \
  --description "art. 5.5: a read-only auditor of the whole decision log"
as po-gemeente covenant approve 2 --yes
as po-politie covenant approve 2 --yes
say "The auditor now reads every party's entries of the case and verifies the whole log, but" \
    "sees no case and changes nothing:"
as auditor whoami
as auditor log entries --case "$case_id" --kind share-decision
as auditor log verify
refused auditor case show "$case_id"
refused auditor notifications list

step "11. The decision log verifies as a whole"
say "\`hub log-verify\` recomputes the whole Merkle tree from the stored entries and checks every" \
    "signed checkpoint, naming the first entry changed, removed or reordered; it runs on a" \
    "stopped hub."
if $keep; then
  say "(--keep: the hub keeps running, so the log is not verified now; stop the hub and run" \
      "${bin#"$root/"}/hub log-verify --config $shown/hub.toml)"
else
  kill "${pids[0]}" 2>/dev/null || true
  wait "${pids[0]}" 2>/dev/null || true
  printf '\n  \033[2m$\033[0m hub log-verify --config %s/hub.toml\n' "$shown"
  "$bin/hub" log-verify --config "$run/hub.toml" 2>&1 | sed 's/^/    /'
fi

step "12. Encryption at rest and retention (articles 12.2, 9)"
say "Everything the hub stores about the case is sealed under the case's own key, which is" \
    "kept wrapped under the master key in $shown/data.keys/, apart from the data. The" \
    "subject's label is nowhere in the data directory in the clear. The case is deleted 24" \
    "months after afgesloten: the deletion is logged, then its key is deleted, so no copy" \
    "of the data can be read again."
if ! $keep; then
  printf '\n  \033[2m$\033[0m grep -rc "buurman nr. 12" %s/data | grep -v ":0"\n' "$shown"
  if grep -rc "buurman nr. 12" "$run/data" | grep -v ":0$"; then
    echo "   the label is in the clear on disk!" >&2
    exit 1
  fi
  say "(no hits)"
  printf '\n  \033[2m$\033[0m hub retention-sweep --config %s/hub.toml\n' "$shown"
  "$bin/hub" retention-sweep --config "$run/hub.toml" 2>&1 | sed 's/^/    /'
fi

took=$(( $(date +%s) - started ))
if $keep; then
  step "The web console (hubctl console) for the informatiemakelaar and the gemeente's privacy officer"
  say "Each runs on this machine with the person's own profile and certificate, as hubctl" \
      "does. Open a link once in a browser: it signs you in (the link then stops working)."
  for who in im po-gemeente; do
    "$bin/hubctl" --profile "$run/profiles/$who.toml" console --listen 127.0.0.1:0 \
      >"$run/logs/console-$who.out" 2>&1 &
    pids+=($!)
  done
  for who in im po-gemeente; do
    link=""
    for _ in $(seq 100); do
      link=$(grep -o 'http://127\.0\.0\.1:[0-9]*/[^ ]*token=[0-9a-zA-Z_-]*' "$run/logs/console-$who.out" | head -n 1 || true)
      [ -n "$link" ] && break
      sleep 0.1
    done
    if [ -z "$link" ]; then
      echo "demo: the console for $who did not start; see $run/logs/console-$who.out" >&2
      exit 1
    fi
    case "$who" in
      im) say "informatiemakelaar (Mijn casussen shows case $case_id):" ;;
      *) say "privacy officer of the Gemeente Amsterdam:" ;;
    esac
    printf '     %s\n' "$link"
  done
  step "Running; press Ctrl-C to stop. Status: ${bin#"$root/"}/hub status --config $shown/hub.toml"
  say "hubctl profiles: $shown/profiles/{im,sdr,stedelijk,politie}.toml, e.g." \
      "HUBCTL_PROFILE=$shown/profiles/sdr.toml ${bin#"$root/"}/hubctl case show $case_id"
  finished=true
  wait
else
  step "Demo finished in ${took}s: every partner's agent linked over mutual TLS, and case $case_id went from melding to afgesloten"
fi
