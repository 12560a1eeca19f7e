#!/usr/bin/env bash
# Coverage-guided fuzzing with AFL++ on the stable toolchain (issue 22, RELIABILITY.md,
# fuzz/README.md).
#
#   fuzz/run.sh [SECONDS] [TARGET...]   build the targets instrumented, then fuzz each for
#                                       SECONDS (default 60); all targets when none named
#
# Environment:
#   FUZZ_JOBS=N    targets fuzzed at the same time (default: 2, or 1 on one core)
#   FUZZ_BUILD_ONLY=1   build the instrumented targets and write the seeds, fuzz nothing
#
# Needs cargo-afl (`cargo install cargo-afl --locked --version 0.18.2`), which builds
# AFL++ itself when it is installed (or with `cargo afl config --build`: make and a C
# compiler). Debian's afl++ package is not used: its afl-fuzz (4.04c) cannot drive the
# runtime cargo-afl links (4.40c).
#
# Targets (fuzz/src/bin/, bodies in fuzz/src/targets.rs): covenant, covtest,
# decision_json, checkpoint_note, log_segment, cert_identity, hub_config, agent_config,
# person_registry, agent_json_export. Seeds come from the repository (the covenant, its
# .covtest files, the DECISION-JSON examples, the example configurations, a dev PKI's
# certificates and registry, a log written by log_segment itself, and every input kept
# under fuzz/regressions/). Findings land in fuzz/out/<target>/default/{crashes,hangs}/.
#
# Prints one line per target (inputs run, corpus, edges, crashes, hangs) and writes the
# same counts as reliability tallies (target/reliability/afl-*.tsv) for
# scripts/reliability-summary.sh. Exits 1 when any target crashed or hung.
set -euo pipefail
# The workspace's target directory (for the tallies), before ours replaces it.
main_target="${CARGO_TARGET_DIR:-$(cd "$(dirname "$0")/.." && pwd)/target}"
case "$main_target" in /*) ;; *) main_target="$PWD/$main_target" ;; esac
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(covenant covtest decision_json checkpoint_note log_segment cert_identity \
    hub_config agent_config person_registry agent_json_export)
fi
afl_version=0.18.2

if ! cargo afl --version >/dev/null 2>&1; then
  echo "cargo-afl is missing: cargo install cargo-afl --locked --version $afl_version" >&2
  exit 2
fi
# AFL++ is built per Rust version (under ~/.local/share/afl.rs/); installing cargo-afl
# builds it, a newer rustc needs it built again. "Already built" is fine.
config_log=$(mktemp)
if ! cargo afl config --build >"$config_log" 2>&1 && ! grep -q "already built" "$config_log"; then
  cat "$config_log" >&2
  echo "cannot build AFL++ (needs make and a C compiler)" >&2
  exit 2
fi
rm -f "$config_log"

export CARGO_TARGET_DIR="$PWD/target"
cargo afl build --release --locked --bins
bin="$CARGO_TARGET_DIR/release"

# Seeds: real inputs from the repository, each target its own, and every input kept
# under regressions/ (what crashed once is a good place to start from).
seeds="$PWD/target/seeds"
rm -rf "$seeds"
for target in covenant covtest decision_json checkpoint_note log_segment cert_identity \
  hub_config agent_config person_registry agent_json_export; do
  mkdir -p "$seeds/$target"
done
cp ../policies/treiteraanpak.covenant "$seeds/covenant/"
find ../policies/tests -name '*.covenant' -size -16k -exec cp {} "$seeds/covenant/" \;
find ../policies/tests -name '*.covtest' -size -16k -exec cp {} "$seeds/covtest/" \;
find ../policies/tests -name '*.request.json' -size -16k -exec cp {} "$seeds/decision_json/" \;
printf 'hub.treiter.test/log\n4242\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 hub.treiter.test/log AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n' \
  > "$seeds/checkpoint_note/note"
"$bin/log_segment" --write-seed "$seeds/log_segment/log"
cp ../hub/etc/hub.example.toml "$seeds/hub_config/"
find ../node-agent/etc -name '*.toml' -size -16k -exec cp {} "$seeds/agent_config/" \; 2>/dev/null || true
# A dev PKI (certs-dev) for certificates and the person registry; its broken test
# certificates are good seeds too.
pki="$PWD/target/seed-pki"
rm -rf "$pki"
if (cd .. && CARGO_TARGET_DIR="$main_target" cargo run --locked --quiet -p treiter-certs-dev --bin certs-dev -- init --out "$pki" --test-certs >/dev/null 2>&1); then
  find "$pki" -name '*.pem' -size -16k | sort | head -40 | while read -r pem; do
    # DER: the base64 between the PEM lines.
    sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$pem" | grep -v -- '-----' | base64 -d \
      > "$seeds/cert_identity/$(basename "$pem" .pem).der" 2>/dev/null || true
  done
  find "$pki" -name 'persons*.toml' -exec cp {} "$seeds/person_registry/" \;
fi
printf '[{"reference":"BVH-P-1","recorded_at":"2026-11-01T09:00:00Z","fields":{"datum":"2026-10-30","incidentsoort":"Testmarker","samenvatting":"Testmarker synthetisch"}}]' \
  > "$seeds/agent_json_export/record.json"
for target in "${targets[@]}"; do
  if [ -d "regressions/$target" ]; then
    find "regressions/$target" -type f ! -name 'README*' -exec cp {} "$seeds/$target/" \;
  fi
  find "$seeds/$target" -type f -empty -delete 2>/dev/null || true
  [ -n "$(ls -A "$seeds/$target" 2>/dev/null)" ] || echo x > "$seeds/$target/x"
done
if [ "${FUZZ_BUILD_ONLY:-}" = 1 ]; then
  exit 0
fi

# AFL_SKIP_CPUFREQ, AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: a container or shared machine
# whose CPU governor and core_pattern we do not own. AFL_NO_UI: plain progress lines.
# AFL_NO_AFFINITY: other processes (and our other jobs) share the cores.
# AFL_FAST_CAL: a shorter calibration of the seeds, for short runs.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
  AFL_NO_AFFINITY=1 AFL_FAST_CAL=1
# A parser that takes a second on one input (of at most AFL's 1 MB) is a defect, not a
# slow machine: -t 1000 makes that a hang. Generous, so a loaded CI machine does not
# report hangs that are not there.
timeout_ms=1000

fuzz_one() {
  local target="$1"
  local out="$PWD/out/$target"
  rm -rf "$out"
  mkdir -p "$out"
  local code=0
  cargo afl fuzz -V "$seconds" -t "$timeout_ms" -i "$seeds/$target" -o "$out" \
    -- "$bin/$target" >"$out/afl.log" 2>&1 || code=$?
  echo "$code" >"$out/exit"
}

jobs="${FUZZ_JOBS:-$(( $(nproc) >= 2 ? 2 : 1 ))}"
echo "== afl-fuzz: ${#targets[@]} targets, ${seconds}s each, $jobs at a time"
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_one "$target" &
  running=$((running + 1))
done
wait

# One line per target, and the tallies for the reliability summary (tried = inputs
# run, wrong = hangs, panics = crashes).
tallies="$main_target/reliability"
mkdir -p "$tallies"
stat_of() { awk -F' *: *' -v key="$1" '$1 == key { print $2 }' "$2" 2>/dev/null; }
status=0
printf '%-20s %10s %8s %8s %8s %6s\n' "afl target" "inputs" "corpus" "edges" "crashes" "hangs"
for target in "${targets[@]}"; do
  out="$PWD/out/$target"
  stats="$out/default/fuzzer_stats"
  crashes=$(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
  hangs=$(find "$out/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
  if [ "$(cat "$out/exit" 2>/dev/null)" != 0 ] || [ ! -f "$stats" ]; then
    echo "afl-fuzz $target did not run to its end; see fuzz/out/$target/afl.log:" >&2
    tail -n 15 "$out/afl.log" >&2 || true
    status=1
    continue
  fi
  execs=$(stat_of execs_done "$stats")
  printf '%-20s %10s %8s %8s %8s %6s\n' "$target" "$execs" "$(stat_of corpus_count "$stats")" \
    "$(stat_of edges_found "$stats")" "$crashes" "$hangs"
  printf 'afl inputs run (coverage)\t%s\t%s\t%s\n' "$execs" "$hangs" "$crashes" \
    > "$tallies/afl-$target.afl-inputs-run.tsv"
  if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
    echo "  $target: inputs under fuzz/out/$target/default/{crashes,hangs}/; fix the parser," \
      "keep each input under fuzz/regressions/$target/ (fuzz/README.md)" >&2
    status=1
  fi
done
exit "$status"
