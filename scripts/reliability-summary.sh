#!/usr/bin/env bash
# Prints the reliability suite's summary table (issue 22, RELIABILITY.md): what the
# tests of the last run tried — fuzz inputs, faults injected, identity claims,
# certificates, crash points — and how many were lost or accepted wrongly, and how many
# panicked. Each test writes its counts to target/reliability/<test>.<kind>.tsv
# (tests/tests/reliability/mod.rs, `tally`); this script only adds them up.
#
#   scripts/reliability-summary.sh          print the table; exit 1 if anything went wrong
#   scripts/reliability-summary.sh --reset  remove the counts (before a run)
#
# CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${CARGO_TARGET_DIR:-target}/reliability"

if [ "${1:-}" = "--reset" ]; then
  rm -rf "$dir"
  exit 0
fi
if ! compgen -G "$dir/*.tsv" >/dev/null; then
  echo "no reliability counts under $dir: run the tests first" >&2
  exit 1
fi

# One line per file: kind <TAB> tried <TAB> wrong <TAB> panics.
cat "$dir"/*.tsv | awk -F'\t' '
  {
    if (!($1 in tried)) { order[++n] = $1 }
    tried[$1] += $2; wrong[$1] += $3; panics[$1] += $4; tests[$1] += 1
    bad += $3 + $4
  }
  END {
    printf "%-28s %6s %10s %22s %7s\n", "reliability suite", "tests", "tried", "lost/accepted wrongly", "panics"
    for (i = 1; i <= n; i++) {
      k = order[i]
      printf "%-28s %6d %10d %22d %7d\n", k, tests[k], tried[k], wrong[k], panics[k]
    }
    exit bad > 0
  }'
