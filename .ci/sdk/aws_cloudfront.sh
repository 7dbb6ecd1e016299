#!/usr/bin/env bash
# Cross-checks the CloudFront simulator with AWS's official Python SDK, boto3/botocore
# (.ci/sdk/aws_cloudfront.py): `purge-wait simulate --provider aws-cloudfront` on a free
# loopback port (CloudFront, STS and the rest on one port), invalidations that complete 2 s
# after they are created, two scripted to fault once each. With AWS_CLOUDFRONT_SIM_URL set,
# uses that simulator instead (started with the same --op flags, or AWS_SIM_FAULTY_IDS= to
# skip the fault check).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
sdk_venv aws_cloudfront boto3
sdk_simulator AWS_CLOUDFRONT_SIM_URL aws-cloudfront --default-duration 2s \
    --op ISDKFAULTY0001:after=1s,throttle=1,errors=1 --op ISDKFAULTY0002:after=1s,throttle=1,errors=1
echo "aws-cloudfront SDK cross-check against $AWS_CLOUDFRONT_SIM_URL"
sdk_python .ci/sdk/aws_cloudfront.py
