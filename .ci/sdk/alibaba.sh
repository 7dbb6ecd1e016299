#!/usr/bin/env bash
# Cross-checks the Alibaba Cloud simulator with Alibaba Cloud's official Python SDK (V2:
# alibabacloud_dcdn20180115, alibabacloud_cdn20180510, alibabacloud_sts20150401 on
# alibabacloud_tea_openapi; .ci/sdk/alibaba.py): `purge-wait simulate --provider
# alibaba-dcdn` and `--provider alibaba-cdn`, each on a free loopback port (DCDN, CDN, STS
# and the GitHub OIDC token mock on one port). With ALIBABA_DCDN_SIM_URL and
# ALIBABA_CDN_SIM_URL set, uses those simulators instead (the DCDN one started with the
# same --op flag, or ALIBABA_SIM_FAULTY_TASK= to skip the fault check).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
sdk_venv alibaba alibabacloud_dcdn20180115.client
sdk_simulator ALIBABA_DCDN_SIM_URL alibaba-dcdn --default-duration 2s \
    --op 7042229000:after=1s,throttle=1,retry-after=2,errors=1
sdk_simulator ALIBABA_CDN_SIM_URL alibaba-cdn --default-duration 2s
echo "alibaba SDK cross-check against $ALIBABA_DCDN_SIM_URL (dcdn) and $ALIBABA_CDN_SIM_URL (cdn)"
sdk_python .ci/sdk/alibaba.py
