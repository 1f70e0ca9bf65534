#!/bin/sh
# Builds the fuzz targets once, then runs each for SECONDS seconds.
#
#   sh fuzz/run.sh SECONDS TARGET...
#   sh fuzz/run.sh 0 build          (the build alone)
#
# `make fuzz` and `make fuzz-smoke` call this (cargo-fuzz comes from .tools/cargo, which
# they install). The build is cargo fuzz's (sanitizer coverage, `--cfg fuzzing`, release
# with debug assertions) without a sanitizer, so it needs no nightly toolchain. Each
# target starts from the seeds in fuzz/corpus/<target> (read only) and keeps what it
# finds in fuzz/target/corpus/<target>; a crash, a hang (10 s on one input) or memory
# beyond 2 GiB stops the target, writes the input to fuzz/artifacts/<target>/ and fails
# the run, after every target has had its turn. One line per target:
#
#   fuzz: xml_stream 25 s, 1234567 runs, 0 crashes
set -u
cd "$(dirname "$0")/.."
seconds=${1:?usage: fuzz/run.sh SECONDS TARGET...}
shift
[ "$#" -gt 0 ] || { echo "usage: fuzz/run.sh SECONDS TARGET..." >&2; exit 2; }

PATH="$PWD/.tools/cargo/bin:$PATH"
export PATH
target_dir="$PWD/fuzz/target"
# FUZZ_DEV=1 (`make fuzz-smoke`): the unoptimized build, which compiles in a third of
# the time and runs fewer inputs a second: enough for a smoke, not for a search.
dev=""
[ "${FUZZ_DEV:-0}" = 1 ] && dev=--dev
fuzz() {
  sub=$1
  shift
  # shellcheck disable=SC2086 # $dev is one word or none
  cargo fuzz "$sub" --sanitizer none $dev --target-dir "$target_dir" "$@"
}

start=$(date +%s)
fuzz build || exit 1
echo "fuzz: built in $(( $(date +%s) - start )) s"
# `sh fuzz/run.sh 0 build`: the build alone (`make fuzz-build`).
[ "$1" = build ] && exit 0

mkdir -p fuzz/target/logs
# One target for SECONDS; its line goes to fuzz/target/logs/<target>.result.
run_one() {
  t=$1
  work="fuzz/target/corpus/$t"
  log="fuzz/target/logs/$t.log"
  mkdir -p "$work" "fuzz/artifacts/$t"
  dict=""
  [ -f "fuzz/dict/$t.dict" ] && dict="-dict=fuzz/dict/$t.dict"
  began=$(date +%s)
  # shellcheck disable=SC2086 # $dict is one word or none
  fuzz run "$t" "$work" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $dict \
    >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - began ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz: $t $took s, ${runs:-0} runs, 0 crashes" >"fuzz/target/logs/$t.result"
  else
    artifact=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" | tail -n 1)
    echo "fuzz: $t $took s, ${runs:-?} runs, 1 crash (${artifact:-see $log}; exit $rc)" >"fuzz/target/logs/$t.result"
  fi
  return "$rc"
}

for t in "$@"; do rm -f "fuzz/target/logs/$t.result"; done
# FUZZ_PARALLEL=1 (`make fuzz-smoke`): every target at once, sharing the cores; otherwise
# one after the other, each with the machine to itself.
if [ "${FUZZ_PARALLEL:-0}" = 1 ]; then
  for t in "$@"; do run_one "$t" & done
  wait
else
  for t in "$@"; do run_one "$t"; done
fi

failed=0
for t in "$@"; do
  result=$(cat "fuzz/target/logs/$t.result" 2>/dev/null || echo "fuzz: $t did not run, 1 crash (see fuzz/target/logs/$t.log)")
  case "$result" in
    *", 0 crashes") ;;
    *) failed=1; tail -n 40 "fuzz/target/logs/$t.log" 2>/dev/null ;;
  esac
  echo "$result"
done
exit "$failed"
