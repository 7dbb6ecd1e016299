#!/usr/bin/env bash
# Cross-checks the google-cloud-cdn simulator with Google's own Python auth library
# (.ci/sdk/google_cloud_cdn.py; google-auth and requests pinned in
# google_cloud_cdn.requirements.txt): `purge-wait simulate --provider google-cloud-cdn` on a
# free loopback port (Compute, the OAuth token endpoint, STS, IAM Credentials, the GitHub OIDC
# token mock, a URL credential source and the metadata server), google-auth's flows and an
# AuthorizedSession against it. Operations end after 2 s, so each wait long-poll is answered
# DONE within one round. With GOOGLE_CLOUD_CDN_SIM_URL set, uses that simulator instead.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
sdk_venv google_cloud_cdn google.auth
sdk_simulator GOOGLE_CLOUD_CDN_SIM_URL google-cloud-cdn --default-duration 2s
echo "google-auth cross-check against $GOOGLE_CLOUD_CDN_SIM_URL"
sdk_python .ci/sdk/google_cloud_cdn.py
