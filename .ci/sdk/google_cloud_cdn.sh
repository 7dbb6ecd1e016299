#!/usr/bin/env bash
# Cross-checks the google-cloud-cdn simulator with Google's own Python auth library
# (.ci/sdk/google_cloud_cdn.py): installs google-auth and requests, pinned in
# google_cloud_cdn.requirements.txt, from PyPI into a venv cached outside the checkout
# ($PURGE_WAIT_CI_CACHE, default ~/.cache/purge-wait-ci), starts
# `purge-wait simulate --provider google-cloud-cdn` on a free loopback port (the same simulator
# serves Compute, the OAuth token endpoint, STS, IAM Credentials, the GitHub OIDC token mock, a
# URL credential source and the metadata server), runs google-auth's flows and an
# AuthorizedSession against it and stops it. With GOOGLE_CLOUD_CDN_SIM_URL set, uses that
# simulator instead of starting one.
set -euo pipefail
cd "$(dirname "$0")/../.."

cache="${PURGE_WAIT_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/purge-wait-ci}"
venv="$cache/google-sdk-$(sha256sum .ci/sdk/google_cloud_cdn.requirements.txt | cut -c1-16)"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import google.auth, requests' 2>/dev/null; then
    echo "installing google-auth from PyPI into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r .ci/sdk/google_cloud_cdn.requirements.txt >&2
fi

sim_pid=""
stop() {
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
}
trap stop EXIT

if [ -z "${GOOGLE_CLOUD_CDN_SIM_URL:-}" ]; then
    cargo build --locked --quiet --bin purge-wait
    bin="${CARGO_TARGET_DIR:-target}/debug/purge-wait"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    log="$(mktemp)"
    # Operations end after 2 s, so each wait long-poll is answered DONE within one round.
    "$bin" simulate --provider google-cloud-cdn --listen "127.0.0.1:$port" --default-duration 2s >"$log" 2>&1 &
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
    export GOOGLE_CLOUD_CDN_SIM_URL="http://127.0.0.1:$port"
fi

echo "google-auth cross-check against $GOOGLE_CLOUD_CDN_SIM_URL"
"$venv/bin/python" .ci/sdk/google_cloud_cdn.py
