# Helpers shared by the coordinator build benchmarks (sourced, not run): the fleet's env, the tools, the
# coordinator binary, one timed build, and the figures read from its rusage (scripts/bench/rusage.py) and --json report.
# The caller sets $work (a directory of its own); runs go to $work/runs/NAME.{json,time,wall,log}.

env_file="${COORDINATOR_TESTBED_DIR:-/tmp/coordinator-testbed}/env"
[ -f "$env_file" ] || { echo "the test fleet is not running: scripts/testbed up" >&2; exit 1; }
# shellcheck disable=SC1090
. "$env_file"
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v python3 >/dev/null || { echo "python3 is missing: apt-get install python3" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is missing: apt-get install jq" >&2; exit 1; }

if [ -z "${COORDINATOR_BIN:-}" ]; then
    if [ -x .build/debug/coordinator ]; then COORDINATOR_BIN=$PWD/.build/debug/coordinator
    elif [ -x /work/main/.build/debug/coordinator ]; then COORDINATOR_BIN=/work/main/.build/debug/coordinator
    else swift build --product coordinator >&2 && COORDINATOR_BIN=$PWD/.build/debug/coordinator
    fi
fi

# bench_build NAME INVENTORY IMAGE PLATFORMS CONTEXT: one build, every cache defeated by a BENCH_ROUND build
# argument unique to NAME; exits the benchmark when it fails.
bench_build() {
    local name=$1 inventory=$2 image=$3 platforms=$4 ctx=$5
    # From $work, so that the build's _output/logs land there.
    if ! (cd "$work" && python3 "$bench_dir/rusage.py" "$work/runs/$name.time" "$COORDINATOR_BIN" build \
        --inventory "$inventory" --image "$image" --tag "b$$-$name" \
        --platform "$platforms" --context "$ctx" --build-arg "BENCH_ROUND=$$-$name" \
        --no-resume --json "$work/runs/$name.json" --progress plain >"$work/runs/$name.log" 2>&1); then
        echo "build $name ($platforms) failed; log: $work/runs/$name.log" >&2
        tail -20 "$work/runs/$name.log" >&2
        exit 1
    fi
    awk '/^wall_us / {printf "%d\n", $2 / 1000}' "$work/runs/$name.time" >"$work/runs/$name.wall"
}
# Wall time of a run, in ms.
ms() { cat "$work/runs/$1.wall"; }
# The longest remote "building" phase of a run, in ms.
longest_building_ms() { jq '[.platforms[].phases.building // 0] | max * 1000 | round' "$work/runs/$1.json"; }
# The coordinator's peak RSS in KiB.
rss_kib() { awk '/^maxrss_kib / {print $2}' "$work/runs/$1.time"; }
# The coordinator's CPU time (user + system), in ms.
cpu_ms() { awk '/^cpu_us / {printf "%.1f", $2 / 1000}' "$work/runs/$1.time"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# overhead_context DIR SLEEP COPY_MIB: the context of scripts/bench/build-overhead (and fleet-contention): a Linux
# Dockerfile whose step sleeps SLEEP seconds in a build-platform stage, and a Windows one (cross-built by buildah,
# where RUN is impossible) whose step is a COPY of COPY_MIB MiB. BENCH_ROUND changes every round so no builder
# cache can skip the timed steps.
overhead_context() {
    mkdir -p "$1"
    head -c "$(($3 << 20))" /dev/urandom >"$1/payload.bin"
    cat >"$1/Dockerfile" <<DOCKERFILE
FROM --platform=\$BUILDPLATFORM $TESTBED_BASE_IMAGE AS wait
ARG BENCH_ROUND
RUN --network=none sleep $2 && echo "\$BENCH_ROUND" >/round
FROM scratch
COPY --from=wait /round /round
DOCKERFILE
    cat >"$1/Dockerfile-Windows" <<'DOCKERFILE'
ARG OS_VERSION=ltsc2022
FROM scratch
ARG BENCH_ROUND
COPY payload.bin /payload.bin
LABEL bench.round="${BENCH_ROUND}"
DOCKERFILE
    printf '.dockerignore\n' >"$1/.dockerignore"
}
