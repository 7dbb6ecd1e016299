#!/usr/bin/env bash
# The first step of the composite action (action.yml): finds the purge-wait binary for the
# action's version and writes its path to the step output `bin`. In order:
#   1. `purge-wait` on PATH, when its `--version` is that version (self-hosted runners, an
#      earlier step that installed it);
#   2. the runner's tool cache, $RUNNER_TOOL_CACHE/purge-wait/<version>/<arch>;
#   3. the release asset for RUNNER_OS/RUNNER_ARCH, downloaded from the release of that
#      version, its SHA-256 checked against action/checksums/v<version>.sha256 committed
#      with the action (the release workflow writes it), then cached in the tool cache;
#   4. when this action ref has no checksums for the version (an unreleased version, a
#      fork) or no asset fits the runner: built from this ref's source with
#      `cargo install --locked --path`, said in the log.
# Anything else stops the step with an ::error:: annotation; nothing unverified is run.
#
# Environment: INSTALL_VERSION (input `version`), INSTALL_BASE_URL (input
# `download-base-url`, for mirrors and tests: https://, or http:// on loopback only), and the
# runner's GITHUB_ACTION_PATH, GITHUB_OUTPUT, RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE,
# RUNNER_TEMP. Runs in bash on Linux, macOS and Windows (Git Bash).
set -euo pipefail

log() { printf 'purge-wait action: %s\n' "$*"; }
fail() {
    printf '::error title=purge-wait action::%s\n' "$*"
    exit 1
}

# Git Bash on Windows: the runner hands over Windows paths.
unix_path() {
    if command -v cygpath >/dev/null 2>&1; then cygpath -u "$1"; else printf '%s\n' "$1"; fi
}

action_path="$(unix_path "${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}")"
version="${INSTALL_VERSION:-}"
version="${version#v}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
    fail "input version: '${INSTALL_VERSION:-}' is not a version such as 0.1.0"
fi

exe=""
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) target=x86_64-unknown-linux-musl ext=tar.gz ;;
    Linux/ARM64) target=aarch64-unknown-linux-musl ext=tar.gz ;;
    macOS/X64) target=x86_64-apple-darwin ext=tar.gz ;;
    macOS/ARM64) target=aarch64-apple-darwin ext=tar.gz ;;
    Windows/X64) target=x86_64-pc-windows-msvc ext=zip exe=.exe ;;
    Windows/ARM64) target=aarch64-pc-windows-msvc ext=zip exe=.exe ;;
    Windows/*) target="" ext="" exe=.exe ;;
    *) target="" ext="" ;;
esac
arch="$(printf '%s' "${RUNNER_ARCH:-unknown}" | tr '[:upper:]' '[:lower:]')"

found() {
    log "using $1 ($2)"
    printf 'bin=%s\n' "$1" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
    printf 'source=%s\n' "$3" >>"$GITHUB_OUTPUT"
    exit 0
}

is_version() { [ "$("$1" --version 2>/dev/null || true)" = "purge-wait $version" ]; }

# 1. PATH.
if on_path="$(command -v "purge-wait$exe" 2>/dev/null)"; then
    if is_version "$on_path"; then
        found "$on_path" "purge-wait $version on PATH" path
    fi
    log "$on_path on PATH is not purge-wait $version; looking further"
fi

# 2. The tool cache (the layout of @actions/tool-cache: <tool>/<version>/<arch> and a
# <arch>.complete marker written last).
cache_dir=""
if [ -n "${RUNNER_TOOL_CACHE:-}" ]; then
    cache_dir="$(unix_path "$RUNNER_TOOL_CACHE")/purge-wait/$version/$arch"
    if [ -f "$cache_dir.complete" ] && is_version "$cache_dir/purge-wait$exe"; then
        found "$cache_dir/purge-wait$exe" "from the tool cache" tool-cache
    fi
fi

work="$(mktemp -d "$(unix_path "${RUNNER_TEMP:-${TMPDIR:-/tmp}}")/purge-wait-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# 4. From source: this ref's own version only.
from_source() {
    log "$1"
    local source_version
    source_version="$(sed -n 's/^version = "\([^"]*\)".*/\1/p' "$action_path/Cargo.toml" | head -n 1)"
    if [ "$source_version" != "$version" ]; then
        fail "$1; this action ref's source is version ${source_version:-unknown}, not $version, so it cannot be built either: use a released version or the ref of $version"
    fi
    command -v cargo >/dev/null 2>&1 ||
        fail "$1; building from source needs cargo (a Rust toolchain, e.g. from rustup) on PATH"
    printf '::notice title=purge-wait action::%s\n' "$1: building purge-wait $version from source with cargo install --locked --path (this takes a few minutes)"
    local root="$work/source"
    cargo install --locked --path "$action_path" --root "$root" --bin purge-wait
    is_version "$root/bin/purge-wait$exe" || fail "the binary built from source does not report purge-wait $version"
    # Outside $work, which is removed on exit; not cached: it is no release.
    local keep
    keep="$(mktemp -d "$(unix_path "${RUNNER_TEMP:-${TMPDIR:-/tmp}}")/purge-wait-source.XXXXXX")"
    mv "$root/bin/purge-wait$exe" "$keep/"
    found "$keep/purge-wait$exe" "built from source" source
}

sums="$action_path/action/checksums/v$version.sha256"
[ -n "$target" ] || from_source "no release asset is built for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
[ -f "$sums" ] || from_source "this action ref has no checksums for purge-wait $version (action/checksums/v$version.sha256): an unreleased version or a fork"
asset="purge-wait-$target.$ext"
expected="$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1; exit }' "$sums")"
if ! [[ "$expected" =~ ^[0-9a-f]{64}$ ]]; then
    fail "action/checksums/v$version.sha256 has no SHA-256 for $asset"
fi

# 3. Download. https only; plain http only to a loopback address (tests, a local mirror).
base="${INSTALL_BASE_URL:-}"
base="${base:-https://github.com/purge-wait/purge-wait/releases/download}"
base="${base%/}"
if [[ "$base" =~ ^https://[^@[:space:]]+$ ]]; then
    proto='=https'
elif [[ "$base" =~ ^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/[^@[:space:]]*)?$ ]]; then
    proto='=http'
else
    fail "input download-base-url: '$base' must be an https:// URL (plain http:// only on 127.0.0.1, localhost or [::1])"
fi
url="$base/v$version/$asset"
log "downloading $url"
curl --proto "$proto" --proto-redir "$proto" --tlsv1.2 -fsSL --retry 5 --connect-timeout 20 \
    --max-time 300 -o "$work/$asset" "$url" || fail "could not download $url"

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d ' ' -f 1
    elif command -v openssl >/dev/null 2>&1; then
        openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
    else
        fail "checking the download needs sha256sum, shasum or openssl"
    fi
}
actual="$(sha256 "$work/$asset")"
if [ "$actual" != "$expected" ]; then
    fail "$asset from $url has SHA-256 $actual, but action/checksums/v$version.sha256 says $expected: refusing to run it"
fi
log "SHA-256 $actual matches action/checksums/v$version.sha256"

mkdir "$work/x"
case "$ext" in
    tar.gz) tar -xzf "$work/$asset" -C "$work/x" ;;
    zip)
        if command -v unzip >/dev/null 2>&1; then
            unzip -q "$work/$asset" -d "$work/x"
        elif [ -x "${SYSTEMROOT:-C:/Windows}/System32/tar.exe" ]; then
            "${SYSTEMROOT:-C:/Windows}/System32/tar.exe" -xf "$work/$asset" -C "$work/x"
        else
            # shellcheck disable=SC2016 # PowerShell's $args, not the shell's
            pwsh -NoProfile -Command 'Expand-Archive -LiteralPath $args[0] -DestinationPath $args[1]' \
                "$work/$asset" "$work/x"
        fi
        ;;
esac
bin="$work/x/purge-wait$exe"
[ -f "$bin" ] || fail "$asset has no purge-wait$exe at its root"
chmod +x "$bin"
is_version "$bin" || fail "$asset does not hold purge-wait $version"

if [ -z "$cache_dir" ]; then
    keep="$(mktemp -d "$(unix_path "${RUNNER_TEMP:-${TMPDIR:-/tmp}}")/purge-wait.XXXXXX")"
    mv "$bin" "$keep/"
    found "$keep/purge-wait$exe" "downloaded and verified; no tool cache" download
fi
# Into the cache: a fresh directory renamed into place, the marker last, so a concurrent
# job never sees half a copy.
mkdir -p "$(dirname "$cache_dir")"
stage="$(mktemp -d "$cache_dir.tmp.XXXXXX")"
mv "$bin" "$stage/"
rm -rf "$cache_dir" "$cache_dir.complete"
mv "$stage" "$cache_dir"
touch "$cache_dir.complete"
found "$cache_dir/purge-wait$exe" "downloaded, verified and cached in the tool cache" download
