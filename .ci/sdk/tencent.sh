#!/usr/bin/env bash
# Cross-checks the Tencent simulator with Tencent Cloud's official Python SDK
# (.ci/sdk/tencent.py; common, cdn, teo and sts pinned in tencent.requirements.txt):
# `purge-wait simulate --provider tencent-cdn` on a free loopback port (the same simulator
# serves CDN, EdgeOne, STS and the GitHub OIDC token mock). With TENCENT_SIM_URL set, uses
# that simulator instead.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
sdk_venv tencent tencentcloud.teo
sdk_simulator TENCENT_SIM_URL tencent-cdn
echo "tencent SDK cross-check against $TENCENT_SIM_URL"
sdk_python .ci/sdk/tencent.py
