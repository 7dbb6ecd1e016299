#!/usr/bin/env bash
# Cross-checks every simulator with its cloud's official Python SDK: runs each
# .ci/sdk/NAME.sh (not common.sh, the library they source), all of them even when one fails,
# and fails if any did. Each installs its pinned SDK from PyPI into a venv cached outside the
# checkout ($PURGE_WAIT_CI_CACHE) and starts its own simulator on a free loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=()
for script in .ci/sdk/*.sh; do
    [ "$script" = .ci/sdk/common.sh ] && continue
    echo "== $script"
    if ! bash "$script"; then
        failed+=("$script")
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "sdk: failed: ${failed[*]}" >&2
    exit 1
fi
echo "sdk: ok"
