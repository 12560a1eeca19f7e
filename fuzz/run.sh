#!/usr/bin/env bash
# Coverage-guided fuzzing with AFL++ on the stable toolchain (issue 22, RELIABILITY.md).
#
#   fuzz/run.sh [SECONDS] [TARGET...]   build the targets instrumented, then fuzz each for
#                                       SECONDS (default 60); all targets when none named
#
# Targets (fuzz/src/bin/): covenant, covtest, decision_json, checkpoint_note, and the
# hub's and agent's parsers: log_segment, cert_identity, hub_config, agent_config,
# person_registry, agent_json_export. Seeds come from the repository (the covenant
# encoding, its .covtest files, the DECISION-JSON examples, the example configurations,
# a dev PKI's certificates and registry, a log written by log_segment itself); findings land in fuzz/out/<target>/ (crashes/ holds the inputs that crashed:
# each becomes a regression test beside the parser, see RELIABILITY.md).
#
# How it works without nightly or cargo-afl: rustc's SanitizerCoverage pass
# (trace-pc-guard) instruments the code and the binaries link AFL++'s runtime
# (afl-compiler-rt.o from Debian's afl++ package), which implements the fork server and
# the coverage map; afl-fuzz feeds each input on stdin. Needs: apt-get install afl++.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(covenant covtest decision_json checkpoint_note log_segment cert_identity \
    hub_config agent_config person_registry agent_json_export)
fi
runtime=/usr/lib/afl/afl-compiler-rt.o
if ! command -v afl-fuzz >/dev/null || [ ! -f "$runtime" ]; then
  echo "afl-fuzz or $runtime is missing: apt-get install afl++" >&2
  exit 2
fi

export CARGO_TARGET_DIR="$PWD/target"
export RUSTFLAGS="-C passes=sancov-module \
  -C llvm-args=-sanitizer-coverage-level=3 \
  -C llvm-args=-sanitizer-coverage-trace-pc-guard \
  -C llvm-args=-sanitizer-coverage-prune-blocks=0 \
  -C llvm-args=-sanitizer-coverage-trace-compares \
  -C codegen-units=1 \
  -C link-arg=$runtime"
cargo build --release --bins

# Seeds: real inputs from the repository, each target its own.
seeds="$PWD/target/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{covenant,covtest,decision_json,checkpoint_note}
cp ../policies/treiteraanpak.covenant "$seeds/covenant/"
find ../policies/tests -name '*.cov' -size -16k -exec cp {} "$seeds/covenant/" \;
find ../policies/tests -name '*.covtest' -size -16k -exec cp {} "$seeds/covtest/" \;
find ../policies/tests -name '*.request.json' -size -16k -exec cp {} "$seeds/decision_json/" \;
printf 'hub.treiter.test/log\n4242\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 hub.treiter.test/log AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n' \
  > "$seeds/checkpoint_note/note"
# The hub's and the agent's parsers.
mkdir -p "$seeds"/{log_segment,cert_identity,hub_config,agent_config,person_registry,agent_json_export}
"$CARGO_TARGET_DIR/release/log_segment" --write-seed "$seeds/log_segment/log"
cp ../hub/etc/hub.example.toml "$seeds/hub_config/"
find ../node-agent/etc -name '*.toml' -size -16k -exec cp {} "$seeds/agent_config/" \; 2>/dev/null || true
# A dev PKI (certs-dev) for certificates and the person registry; its broken test
# certificates are good seeds too.
pki="$PWD/target/seed-pki"
rm -rf "$pki"
if (cd .. && env -u RUSTFLAGS -u CARGO_TARGET_DIR cargo run --quiet -p treiter-certs-dev --bin certs-dev -- init --out "$pki" --test-certs >/dev/null 2>&1); then
  find "$pki" -name '*.pem' -size -16k | head -40 | while read -r pem; do
    # DER: the base64 between the PEM lines.
    sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$pem" | grep -v -- '-----' | base64 -d \
      > "$seeds/cert_identity/$(basename "$pem" .pem).der" 2>/dev/null || true
  done
  find "$pki" -name 'persons*.toml' -exec cp {} "$seeds/person_registry/" \;
fi
printf '[{"reference":"BVH-P-1","recorded_at":"2026-11-01T09:00:00Z","fields":{"datum":"2026-10-30","incidentsoort":"Testmarker","samenvatting":"Testmarker synthetisch"}}]' \
  > "$seeds/agent_json_export/record.json"
for target in "${targets[@]}"; do
  find "$seeds/$target" -type f -empty -delete 2>/dev/null || true
  [ -n "$(ls -A "$seeds/$target" 2>/dev/null)" ] || echo x > "$seeds/$target/x"
done

status=0
for target in "${targets[@]}"; do
  out="$PWD/out/$target"
  mkdir -p "$out"
  echo "== afl-fuzz $target for ${seconds}s"
  # AFL_SKIP_CPUFREQ, AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: a shared machine whose
  # governor and core_pattern we do not own. AFL_NO_UI: plain progress lines.
  AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
    AFL_NO_AFFINITY=1 \
    afl-fuzz -V "$seconds" -i "$seeds/$target" -o "$out" -- "$CARGO_TARGET_DIR/release/$target" \
    >"$out/afl.log" 2>&1 || { echo "afl-fuzz $target failed; see $out/afl.log" >&2; status=1; continue; }
  crashes=$(find "$out" -path '*crashes/id:*' | wc -l)
  runs=$(awk -F: '/^execs_done/ {gsub(/ /,"",$2); print $2}' "$out"/default/fuzzer_stats 2>/dev/null || echo '?')
  echo "   $runs inputs run, $crashes crashes"
  [ "$crashes" -eq 0 ] || status=1
done
exit "$status"
