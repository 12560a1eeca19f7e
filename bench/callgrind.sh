#!/usr/bin/env bash
# Instructions per case file of one process of the load benchmark, counted by valgrind's
# callgrind: repeatable for the same binaries whatever else the machine does, where the
# load benchmark's CPU times are not (BENCHMARKS.md, "Instructions per case file").
#
#   bench/callgrind.sh <bin-dir> hub|agent [small large]
#
# <bin-dir> holds the release binaries hub, node-agent, hubctl and load. The load runs
# as `load --soak N --soak-every N --no-baseline --agents 8` (4 in flight, the demo's
# seven partners and one synthetic housing corporation, extra-07) twice, with N =
# small and large (default 400 and 1200); in each run one process runs under callgrind:
# the hub, or extra-07's agent (answering one bevraging per case file from memory).
# Printed: the instructions of each run and (large - small) / (N_large - N_small), the
# instructions per case file without those of starting and stopping. Work done per
# second rather than per file (heartbeats, one checkpoint a second per witness) counts
# more under callgrind than in a normal run, as the files come slower; compare
# binaries with the same counts, not with the load benchmark's figures.
set -euo pipefail

bin=${1:?usage: bench/callgrind.sh <bin-dir> hub|agent [small large]}
who=${2:?usage: bench/callgrind.sh <bin-dir> hub|agent [small large]}
small=${3:-400}
large=${4:-1200}
if ! [[ "$small" =~ ^[1-9][0-9]*$ && "$large" =~ ^[1-9][0-9]*$ ]] || (( small >= large )); then
  echo "small and large are case-file counts with small < large, not '$small' and '$large'" >&2
  exit 2
fi
bin=$(cd "$bin" && pwd)
command -v valgrind >/dev/null || { echo "valgrind is not installed (Debian: apt-get install valgrind)" >&2; exit 2; }
case "$who" in
  hub) wrapped=hub; when='[[ "$1" == serve ]]' ;;
  agent) wrapped=node-agent; when='[[ "${2:-}" == */extra-07/* ]]' ;;
  *) echo "the second argument is hub or agent, not '$who'" >&2; exit 2 ;;
esac

work=$(mktemp -d)
# Stops a callgrind run still going (by the pid its wrapper wrote), then cleans up.
stop_counted() {
  if [[ -s "$work/pid" ]]; then kill -TERM "$(cat "$work/pid")" 2>/dev/null || true; fi
}
trap 'stop_counted; rm -rf "$work"' EXIT
mkdir "$work/bin"
for b in hub node-agent hubctl load; do ln -s "$bin/$b" "$work/bin/$b"; done
rm "$work/bin/$wrapped"
# The benchmark kills its processes with SIGKILL, which leaves callgrind no time to
# write its counts: the wrapper runs callgrind as a child of its own, which outlives
# the killed wrapper and is stopped with SIGTERM below (hub and agent stop cleanly).
q_work=$(printf %q "$work")
q_real=$(printf %q "$bin/$wrapped")
cat > "$work/bin/$wrapped" <<EOF
#!/usr/bin/env bash
if $when; then
  valgrind --tool=callgrind --callgrind-out-file=$q_work/run.out $q_real "\$@" 2>$q_work/run.log &
  echo \$! > $q_work/pid
  wait
else
  exec $q_real "\$@"
fi
EOF
chmod +x "$work/bin/$wrapped"

count() {
  local n=$1
  rm -f "$work/run.out" "$work/run.log" "$work/pid"
  "$work/bin/load" --bin "$work/bin" --soak "$n" --soak-every "$n" --no-baseline --agents 8 >"$work/load-$n.txt" 2>&1 \
    || { cat "$work/load-$n.txt" >&2; echo "the load of $n case files failed" >&2; exit 1; }
  grep -q '^failed calls: 0' "$work/load-$n.txt" || { cat "$work/load-$n.txt" >&2; echo "calls failed" >&2; exit 1; }
  [[ -s "$work/pid" ]] || { echo "no $who ran under callgrind (is $bin/$wrapped the binary?)" >&2; exit 1; }
  stop_counted
  for _ in $(seq 120); do
    grep -q 'I *refs:' "$work/run.log" 2>/dev/null && break
    sleep 1
  done
  if ! grep -q 'I *refs:' "$work/run.log" 2>/dev/null; then
    echo "callgrind wrote no count within 120 s; its log ends:" >&2
    tail -n 20 "$work/run.log" >&2 || true
    exit 1
  fi
  grep 'I *refs:' "$work/run.log" | tr -d ',' | awk '{print $NF}'
}

a=$(count "$small")
b=$(count "$large")
echo "$who: $a instructions over $small case files, $b over $large"
echo "$who: $(( (b - a) / (large - small) )) instructions per case file"
