# Sourced by the benchmark scripts: which build they run. BENCH_PROFILE=release (the
# default: every figure is measured on it) or dev (the unoptimized build the tests use:
# the smoke runs of `make test` take it, since they check that the machinery works, not
# how fast, and the tests have built it already). Sets $build_flag (for cargo build) and
# $profile_dir (the binaries' folder under the target dir).
case "${BENCH_PROFILE:-release}" in
  release) build_flag=--release profile_dir=release ;;
  dev) build_flag="" profile_dir=debug ;;
  *) echo "BENCH_PROFILE is release or dev, not ${BENCH_PROFILE}" >&2; exit 2 ;;
esac
