# shellcheck shell=bash
# Sourced by the SDK cross-checks (.ci/sdk/NAME.sh): the parts they share.
#
#   source "$(dirname "$0")/common.sh"
#   sdk_venv NAME MODULE                  # .ci/sdk/NAME.requirements.txt into a cached venv
#   sdk_simulator VAR PROVIDER [ARGS...]  # unless $VAR is set: start the simulator, export VAR
#   sdk_python .ci/sdk/NAME.py            # run a check with the venv's Python
#
# The venv lives outside the checkout ($PURGE_WAIT_CI_CACHE, default ~/.cache/purge-wait-ci),
# one per requirements file, keyed by the file's hash, so a new pin makes a new venv. The
# simulator is the debug binary (`cargo build --locked`), `purge-wait simulate --provider
# PROVIDER --listen 127.0.0.1:<free port> [ARGS...]` in the background; it is stopped when the
# script exits (by its PID; common.sh sets the EXIT trap, and INT/TERM exit through it), and
# its log is shown if it exits early or the script fails. The simulator starts from an
# empty environment (PATH and HOME only): a cloud's own variables on the machine
# (AWS_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_ID, PURGE_WAIT_*, …) would change the keys it
# accepts; it takes what it needs from ARGS.

sdk_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sdk_cache="${PURGE_WAIT_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/purge-wait-ci}"
sdk_pids=()
sdk_logs=()
SDK_PYTHON=""
cd "$sdk_root" || exit 1

# Stops every simulator this script started; on failure, shows their logs.
sdk_stop() {
    local rc=$? pid log
    for pid in "${sdk_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for log in "${sdk_logs[@]}"; do
        if [ "$rc" != 0 ]; then
            echo "--- simulator log $log" >&2
            cat "$log" >&2
        fi
        rm -f "$log"
    done
    return "$rc"
}
trap sdk_stop EXIT
trap 'exit 130' INT TERM

# sdk_venv NAME MODULE: a venv with .ci/sdk/NAME.requirements.txt installed from PyPI (made
# again when MODULE does not import); sets SDK_PYTHON to its python.
sdk_venv() {
    local name="$1" module="$2"
    local req="$sdk_root/.ci/sdk/$name.requirements.txt" venv
    venv="$sdk_cache/$name-sdk-$(sha256sum "$req" | cut -c1-16)"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import $module" 2>/dev/null; then
        echo "installing the $name Python SDK from PyPI into $venv" >&2
        rm -rf "$venv"
        mkdir -p "$sdk_cache"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
    fi
    SDK_PYTHON="$venv/bin/python"
}

# A free loopback port (bound, read and released by the kernel's choice).
sdk_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sdk_simulator VAR PROVIDER [ARGS...]: unless VAR is already set (a simulator started
# elsewhere), builds the debug binary, starts `purge-wait simulate --provider PROVIDER` on a
# free loopback port with ARGS, waits until it accepts connections (10 s at most) and exports
# VAR=http://127.0.0.1:PORT.
sdk_simulator() {
    local var="$1" provider="$2"
    shift 2
    if [ -n "${!var:-}" ]; then
        echo "$var=${!var}: using that simulator" >&2
        return 0
    fi
    cargo build --locked --quiet --bin purge-wait
    local bin="${CARGO_TARGET_DIR:-target}/debug/purge-wait" port log pid
    port="$(sdk_free_port)"
    log="$(mktemp)"
    sdk_logs+=("$log")
    env -i PATH="$PATH" HOME="${HOME:-/nonexistent}" \
        "$bin" simulate --provider "$provider" --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
    pid=$!
    sdk_pids+=("$pid")
    for _ in $(seq 1 100); do
        if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
            export "$var=http://127.0.0.1:$port"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "error: the $provider simulator exited" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "error: the $provider simulator did not listen on 127.0.0.1:$port within 10 s" >&2
    return 1
}

# sdk_python ARGS...: runs the venv's python (sdk_venv first).
sdk_python() {
    "$SDK_PYTHON" "$@"
}
