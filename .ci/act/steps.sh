#!/usr/bin/env bash
# The shell side of .ci/act/action-test.yml (run by act on the host): one subcommand per
# step, so that the workflow reads as what it checks. Servers listen on 127.0.0.1 with a
# port of the kernel's choosing and are bounded in time; `stop` ends them by their pid.
set -euo pipefail

out="${PURGE_WAIT_ACT_OUT:?run through .ci/act.sh}"
now() { date +%s%N; }

# Waits (at most 20 s) for a line matching $2 in file $1; prints it.
wait_for_line() {
    for _ in $(seq 200); do
        if line="$(grep -m 1 -E "$2" "$1" 2>/dev/null)"; then
            printf '%s\n' "$line"
            return 0
        fi
        sleep 0.1
    done
    echo "no line matching $2 in $1:" >&2
    cat "$1" >&2
    return 1
}

# Starts "$@" in the background, in a session of its own (`stop` ends it whole; timeout
# --foreground stays in it), for at most 5 minutes, each output line stamped with the
# time it was read (nanoseconds), into $out/$name.log; records its pid.
start() {
    local name="$1"
    shift
    : >"$out/$name.log"
    # shellcheck disable=SC2016 # expanded by the inner bash
    setsid bash -c '
        timeout --foreground 300 "$@" 2>&1 | while IFS= read -r line; do
            printf "%s %s\n" "$(date +%s%N)" "$line"
        done' _ "$@" >>"$out/$name.log" 2>&1 </dev/null &
    echo $! >"$out/$name.pid"
}

case "$1" in
    checkout)
        # What actions/checkout would bring: the tracked and new files of the checkout.
        src="${PURGE_WAIT_SRC:?}"
        git -C "$src" ls-files -z --cached --others --exclude-standard |
            (cd "$src" && xargs -0 tar -cf - --no-recursion --ignore-failed-read) | tar -xf -
        test -f action.yml
        ;;
    put-on-path)
        dir="$(dirname "${PURGE_WAIT_TEST_BIN:?}")"
        echo "$dir" >>"$GITHUB_PATH"
        ;;
    simulator)
        name="$2"
        shift 2
        start "$name" "$PURGE_WAIT_TEST_BIN" simulate --listen 127.0.0.1:0 "$@"
        url="$(wait_for_line "$out/$name.log" 'Simulating .* on http://127\.0\.0\.1:[0-9]+' |
            grep -oE 'http://127\.0\.0\.1:[0-9]+')"
        echo "SIM_URL=$url" >>"$GITHUB_ENV"
        ;;
    release)
        # What .github/workflows/release.yml publishes for this version and this runner, and
        # the checksums file it commits (action/checksums/v<version>.sha256): the good
        # archive's. The tampered archive is served under the same name elsewhere.
        version="$(sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)"
        case "$RUNNER_ARCH" in
            X64) target=x86_64-unknown-linux-musl ;;
            ARM64) target=aarch64-unknown-linux-musl ;;
            *) echo "no release target for $RUNNER_ARCH" >&2; exit 1 ;;
        esac
        asset="purge-wait-$target.tar.gz"
        srv="$RUNNER_TEMP/release"
        mkdir -p "$srv/stage" "$srv/good/v$version" "$srv/tampered/v$version"
        # Stripped, the debug binary is about the size of a release asset (6 MB packed,
        # not 112 MB unpacked): the download measures what a user downloads.
        strip -o "$srv/stage/purge-wait" "$PURGE_WAIT_TEST_BIN" 2>/dev/null ||
            cp "$PURGE_WAIT_TEST_BIN" "$srv/stage/purge-wait"
        cp README.md LICENSE-MIT "$srv/stage/"
        tar -C "$srv/stage" -czf "$srv/good/v$version/$asset" .
        echo "tampered" >"$srv/stage/README.md"
        tar -C "$srv/stage" -czf "$srv/tampered/v$version/$asset" .
        mkdir -p action/checksums
        (cd "$srv/good/v$version" && sha256sum "$asset") >"action/checksums/v$version.sha256"
        cat "action/checksums/v$version.sha256"
        ls -l "$srv/good/v$version/$asset"
        start release python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$srv"
        port="$(wait_for_line "$out/release.log" 'Serving HTTP on 127\.0\.0\.1 port [0-9]+' |
            grep -oE 'port [0-9]+' | cut -d ' ' -f 2)"
        {
            echo "RELEASE_URL=http://127.0.0.1:$port"
            echo "TOOL_CACHE=$RUNNER_TEMP/tool-cache"
            echo "VERSION=$version"
        } >>"$GITHUB_ENV"
        ;;
    mark)
        now >"$out/mark-$2"
        ;;
    overhead)
        # From the end of the step before the action to the first request the simulator saw
        # after it.
        mark="$(cat "$out/mark-$2")"
        first="$(awk -v m="$mark" '$1 > m && / GET / { print $1; exit }' "$out/$3.log")"
        test -n "$first"
        ms=$(((first - mark) / 1000000))
        echo "overhead $2: ${ms} ms from step start to the binary's first request"
        echo "$2 $ms" >>"$out/overhead.txt"
        ;;
    requests-to-release)
        n="$(grep -c 'GET /.*/purge-wait-' "$out/release.log" || true)"
        if [ "$n" != "$2" ]; then
            echo "the release server answered $n asset requests, not $2:" >&2
            cat "$out/release.log" >&2
            exit 1
        fi
        ;;
    stop)
        if [ -f "$out/$2.pid" ]; then
            kill -- "-$(cat "$out/$2.pid")" 2>/dev/null || true
        fi
        ;;
    *)
        echo "unknown step $1" >&2
        exit 2
        ;;
esac
