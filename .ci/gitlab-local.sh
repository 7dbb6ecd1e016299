#!/usr/bin/env bash
# Runs .gitlab-ci.yml — the README's GitLab example — in a real GitLab pipeline engine,
# gitlab-ci-local (npm), with the shell executor: no Docker. The job from
# templates/purge-wait.yml runs the freshly built binary (found on the PATH, so the
# template's download step is skipped) against `purge-wait simulate` started here in the
# background, writes the dotenv and JUnit reports, and the next stage's jobs read the
# dotenv variables. Twice: once where every purge succeeds, once where one never finishes
# and the 124 exit is allowed to fail (allow_failure: exit_codes: [124]). gitlab-ci-local
# sets GITLAB_CI=false to tell jobs they run locally; the pipeline gets GITLAB_CI=true, as a
# real runner sets it, so that `report: auto` is tested as it runs on GitLab.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/tools.sh
ci_node_tools
ci_rsync

cargo build --locked --quiet --bin purge-wait
bin_dir="$(cd "${CARGO_TARGET_DIR:-target}/debug" && pwd)"
export PATH="$bin_dir:$PATH"

SUB=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
EP=11111111-2222-3333-4444-555555555555
KEY_ID=00000000-1111-2222-3333-444444444444
KEY=Z2l0bGFiLWxvY2FsLWRlbW8ta2V5
ID1=3f2b8c1e-6d4a-4e8b-9c2d-1a5e7f9b0c31
ID2=8a7d6c5b-4e3f-4a1b-8c9d-0e1f2a3b4c5d
ID3=c0ffee00-1234-4abc-8def-001122334455

work="$(mktemp -d)"
sim_pid=
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
    rm -rf "$work" .gitlab-ci-local purge-wait.env purge-wait-junit.xml
}
trap cleanup EXIT

PURGE_WAIT_SUBSCRIPTION_ID=$SUB PURGE_WAIT_ENDPOINT_ID=$EP \
AZURE_CDN_API_KEY_ID=$KEY_ID AZURE_CDN_API_KEY_SECRET=$KEY \
    purge-wait simulate --listen 127.0.0.1:0 \
    --op "$ID1:after=1s" --op "$ID2:after=2s,throttle=1,retry-after=1" \
    --op "$ID3:outcome=stuck" >"$work/sim.log" 2>&1 &
sim_pid=$!
addr=
for _ in $(seq 100); do
    addr="$(sed -n 's|^Simulating .* on http://\([0-9.:]*\)$|\1|p' "$work/sim.log")"
    [ -n "$addr" ] && break
    sleep 0.1
done
[ -n "$addr" ] || { cat "$work/sim.log"; echo "error: the simulator did not start" >&2; exit 1; }

pipeline() { # TASK_ID EXPECT_STATUS EXPECT_TIMED_OUT EXPECT_SUCCEEDED EXPECT_PENDING [extra --variable …]
    local ids=$1 status=$2 timed_out=$3 succeeded=$4 pending=$5
    shift 5
    echo "--- gitlab-ci-local: expecting $status" >&2
    rm -f purge-wait.env purge-wait-junit.xml
    gitlab-ci-local --force-shell-executor --no-color \
        --variable PURGE_WAIT_LOCAL_PIPELINE=true \
        --variable GITLAB_CI=true \
        --variable "TASK_ID=$ids" \
        --variable "AZURE_CDN_SUBSCRIPTION_ID=$SUB" \
        --variable "AZURE_CDN_ENDPOINT_ID=$EP" \
        --variable "AZURE_CDN_API_KEY_ID=$KEY_ID" \
        --variable "AZURE_CDN_API_KEY_SECRET=$KEY" \
        --variable "PURGE_WAIT_ENDPOINT=http://$addr" \
        --variable PURGE_WAIT_INTERVAL=500ms \
        --variable "EXPECT_STATUS=$status" \
        --variable "EXPECT_TIMED_OUT=$timed_out" \
        --variable "EXPECT_SUCCEEDED=$succeeded" \
        --variable "EXPECT_PENDING=$pending" \
        "$@" | tee "$work/pipeline.log"
    grep -q "PASS  check-dotenv" "$work/pipeline.log"
    grep -q "PASS  smoke-test" "$work/pipeline.log"
    if grep -q "FAIL " "$work/pipeline.log"; then
        echo "error: a job failed" >&2
        return 1
    fi
}

pipeline "$ID1,$ID2" succeeded false 2 0
grep -q "PASS  purge-wait" "$work/pipeline.log"
pipeline "$ID1,$ID3" timed-out true 1 1 --variable PURGE_WAIT_TIMEOUT=3s
grep -q "WARN  purge-wait" "$work/pipeline.log"
echo "gitlab-ci-local: 2 pipelines passed" >&2
