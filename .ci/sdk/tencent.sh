#!/usr/bin/env bash
# Cross-checks the Tencent simulator with Tencent Cloud's official Python SDK
# (.ci/sdk/tencent.py): installs the pinned SDK packages from PyPI into a venv cached outside
# the checkout ($PURGE_WAIT_CI_CACHE, default ~/.cache/purge-wait-ci), starts
# `purge-wait simulate --provider tencent-cdn` on a free loopback port (the same simulator
# serves CDN, EdgeOne, STS and the GitHub OIDC token mock), runs the SDK's calls against it
# and stops it. With TENCENT_SIM_URL set, uses that simulator instead of starting one.
set -euo pipefail
cd "$(dirname "$0")/../.."

cache="${PURGE_WAIT_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/purge-wait-ci}"
venv="$cache/tencent-sdk-$(sha256sum .ci/sdk/tencent.requirements.txt | cut -c1-16)"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import tencentcloud.teo' 2>/dev/null; then
    echo "installing the Tencent Cloud Python SDK from PyPI into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r .ci/sdk/tencent.requirements.txt >&2
fi

sim_pid=""
stop() {
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
}
trap stop EXIT

if [ -z "${TENCENT_SIM_URL:-}" ]; then
    cargo build --locked --quiet --bin purge-wait
    bin="${CARGO_TARGET_DIR:-target}/debug/purge-wait"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    log="$(mktemp)"
    "$bin" simulate --provider tencent-cdn --listen "127.0.0.1:$port" >"$log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 1 100); do
        if python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
            break
        fi
        if ! kill -0 "$sim_pid" 2>/dev/null; then
            echo "error: the simulator exited:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.1
    done
    export TENCENT_SIM_URL="http://127.0.0.1:$port"
fi

echo "tencent SDK cross-check against $TENCENT_SIM_URL"
"$venv/bin/python" .ci/sdk/tencent.py
