"""Cross-checks the Tencent simulator with Tencent Cloud's official Python SDK.

Every call below is built and TC3-signed by the SDK itself (tencentcloud-sdk-python-common,
-cdn, -teo, -sts); the simulator must accept each one, and must refuse one signed with a
wrong SecretKey with AuthFailure.SignatureFailure. The simulator's base URL comes from
TENCENT_SIM_URL (http://127.0.0.1:PORT): the SDK is pointed at it with
HttpProfile(endpoint="127.0.0.1:PORT", protocol="http"), so it sends
`POST http://127.0.0.1:PORT/` with `Host: 127.0.0.1:PORT`, the host it signs.

Credentials and ids default to the simulator's demo ones (src/provider/tencent/sim/mod.rs,
DEMO_*); TENCENT_SIM_SECRET_ID, TENCENT_SIM_SECRET_KEY, TENCENT_SIM_ZONE_ID,
TENCENT_SIM_ROLE_ARN, TENCENT_SIM_OIDC_PROVIDER_ID and TENCENT_SIM_GITHUB_REQUEST_TOKEN
override them. Exit 0 when every check passed, 1 otherwise.
"""

import json
import os
import sys
import time
import urllib.request
from urllib.parse import urlparse

from tencentcloud.cdn.v20180606 import cdn_client
from tencentcloud.cdn.v20180606 import models as cdn_models
from tencentcloud.common import credential as tc_credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.teo.v20220901 import models as teo_models
from tencentcloud.teo.v20220901 import teo_client

BASE = os.environ["TENCENT_SIM_URL"].rstrip("/")
URL = urlparse(BASE)
ENDPOINT, PROTOCOL = URL.netloc, URL.scheme

SECRET_ID = os.environ.get("TENCENT_SIM_SECRET_ID", "AKIDPurgeWaitDemoSecretIdNotReal0001")
SECRET_KEY = os.environ.get("TENCENT_SIM_SECRET_KEY", "PurgeWaitDemoSecretKeyNotReal001")
ZONE_ID = os.environ.get("TENCENT_SIM_ZONE_ID", "zone-2o0l8g7zisgt")
ROLE_ARN = os.environ.get(
    "TENCENT_SIM_ROLE_ARN", "qcs::cam::uin/100000000001:roleName/purge-wait-demo"
)
PROVIDER_ID = os.environ.get("TENCENT_SIM_OIDC_PROVIDER_ID", "github-actions")
GITHUB_REQUEST_TOKEN = os.environ.get(
    "TENCENT_SIM_GITHUB_REQUEST_TOKEN", "demo-actions-id-token-request-token-tencent"
)
# How long to poll a task before giving up (the simulator's purge scenario decides).
POLL_SECONDS = float(os.environ.get("TENCENT_SIM_POLL_SECONDS", "60"))

failures = []


def check(name, fn):
    try:
        detail = fn()
        print(f"ok   {name}: {detail}")
    except Exception as e:  # noqa: BLE001 - report every failure, then go on
        failures.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {e}")


def profile():
    http = HttpProfile(protocol=PROTOCOL, endpoint=ENDPOINT, reqTimeout=10)
    return ClientProfile(httpProfile=http)


def cdn(cred):
    return cdn_client.CdnClient(cred, "", profile())


def teo(cred):
    return teo_client.TeoClient(cred, "", profile())


STATIC = tc_credential.Credential(SECRET_ID, SECRET_KEY)


def poll(describe, statuses, done, pending):
    """Calls describe() until every status is `done`; refuses any other word."""
    deadline = time.monotonic() + POLL_SECONDS
    seen = []
    while True:
        words = statuses(describe())
        seen.append(",".join(words))
        if not words:
            raise AssertionError("an empty list")
        unknown = [w for w in words if w not in (done, pending)]
        if unknown:
            raise AssertionError(f"unexpected status {unknown}")
        if all(w == done for w in words):
            return " -> ".join(dict.fromkeys(seen))
        if time.monotonic() > deadline:
            raise AssertionError(f"still {words} after {POLL_SECONDS} s")
        time.sleep(0.5)


def cdn_describe(cred, task_id):
    req = cdn_models.DescribePurgeTasksRequest()
    req.TaskId = task_id
    return cdn(cred).DescribePurgeTasks(req)


def cdn_statuses(resp):
    return [log.Status for log in resp.PurgeLogs or []]


def purge_urls():
    req = cdn_models.PurgeUrlsCacheRequest()
    req.Urls = [
        "https://www.example.com/index.html",
        "https://www.example.com/a b.png",
        "https://www.example.com/\u672a\u547d\u540d.css",
    ]
    req.UrlEncode = True
    resp = cdn(STATIC).PurgeUrlsCache(req)
    assert resp.TaskId, "no TaskId"
    states = poll(lambda: cdn_describe(STATIC, resp.TaskId), cdn_statuses, "done", "process")
    return f"TaskId {resp.TaskId}; DescribePurgeTasks {states}"


def purge_path():
    req = cdn_models.PurgePathCacheRequest()
    req.Paths = ["https://www.example.com/img/"]
    req.FlushType = "flush"
    resp = cdn(STATIC).PurgePathCache(req)
    assert resp.TaskId, "no TaskId"
    described = cdn_describe(STATIC, resp.TaskId)
    log = described.PurgeLogs[0]
    assert (log.Url, log.PurgeType, log.FlushType) == (req.Paths[0], "path", "flush"), log
    return f"TaskId {resp.TaskId}; {log.Url} {log.Status}"


def purge_quota():
    resp = cdn(STATIC).DescribePurgeQuota(cdn_models.DescribePurgeQuotaRequest())
    url = resp.UrlPurge[0]
    return f"UrlPurge {url.Area} {url.Available}/{url.Total}, batch {url.Batch}"


def teo_describe(cred, job_id):
    req = teo_models.DescribePurgeTasksRequest()
    req.ZoneId = ZONE_ID
    f = teo_models.AdvancedFilter()
    f.Name = "job-id"
    f.Values = [job_id]
    req.Filters = [f]
    return teo(cred).DescribePurgeTasks(req)


def teo_statuses(resp):
    return [t.Status for t in resp.Tasks or []]


def edgeone():
    req = teo_models.CreatePurgeTaskRequest()
    req.ZoneId = ZONE_ID
    req.Type = "purge_prefix"
    req.Method = "delete"
    req.Targets = ["https://www.example.com/img/", "https://www.example.com/css/"]
    resp = teo(STATIC).CreatePurgeTask(req)
    assert resp.JobId, "no JobId"
    assert not resp.FailedList, resp.FailedList
    states = poll(lambda: teo_describe(STATIC, resp.JobId), teo_statuses, "success", "processing")
    return f"JobId {resp.JobId}; DescribePurgeTasks {states}"


class _HttpProfile(HttpProfile):
    """The SDK's OIDC credential provider builds its own HttpProfile (https); the same with
    the simulator's protocol."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("protocol", PROTOCOL)
        super().__init__(*args, **kwargs)


def oidc():
    # The GitHub Actions OIDC token, from the simulator's ACTIONS_ID_TOKEN_REQUEST_URL mock.
    token_req = urllib.request.Request(
        f"{BASE}/github-oidc-token?audience=sts.tencentcloudapi.com",
        headers={"Authorization": f"bearer {GITHUB_REQUEST_TOKEN}"},
    )
    with urllib.request.urlopen(token_req, timeout=10) as r:
        token = json.load(r)["value"]
    # The SDK's own OIDCRoleArnCredential: AssumeRoleWithWebIdentity, Authorization: SKIP.
    tc_credential.HttpProfile = _HttpProfile
    cred = tc_credential.OIDCRoleArnCredential(
        "ap-guangzhou", PROVIDER_ID, token, ROLE_ARN, "purge-wait-sdk-check", 7200, ENDPOINT
    )
    tmp_id, _, session_token = cred.get_credential_info()
    assert tmp_id and session_token, "no temporary credentials"
    # The temporary credentials (X-TC-Token) on both APIs.
    req = cdn_models.PurgeUrlsCacheRequest()
    req.Urls = ["https://www.example.com/oidc.html"]
    task = cdn(cred).PurgeUrlsCache(req).TaskId
    cdn_describe(cred, task)
    job = teo_describe(cred, "sdk-check-unknown-job")
    return f"TmpSecretId {tmp_id[:8]}…; PurgeUrlsCache {task}; teo DescribePurgeTasks {len(job.Tasks or [])} task(s)"


def wrong_key():
    req = cdn_models.PurgeUrlsCacheRequest()
    req.Urls = ["https://www.example.com/index.html"]
    try:
        cdn(tc_credential.Credential(SECRET_ID, SECRET_KEY + "x")).PurgeUrlsCache(req)
    except TencentCloudSDKException as e:
        assert e.get_code() == "AuthFailure.SignatureFailure", e.get_code()
        assert e.get_request_id(), "no RequestId"
        return f"{e.get_code()} (RequestId {e.get_request_id()})"
    raise AssertionError("accepted")


def wrong_id():
    req = cdn_models.DescribePurgeQuotaRequest()
    try:
        cdn(tc_credential.Credential("AKIDnotknown", SECRET_KEY)).DescribePurgeQuota(req)
    except TencentCloudSDKException as e:
        assert e.get_code() == "AuthFailure.SecretIdNotFound", e.get_code()
        return e.get_code()
    raise AssertionError("accepted")


check("cdn PurgeUrlsCache + DescribePurgeTasks", purge_urls)
check("cdn PurgePathCache + DescribePurgeTasks", purge_path)
check("cdn DescribePurgeQuota", purge_quota)
check("teo CreatePurgeTask + DescribePurgeTasks", edgeone)
check("sts AssumeRoleWithWebIdentity (OIDC) + temporary credentials", oidc)
check("cdn PurgeUrlsCache with a wrong SecretKey", wrong_key)
check("cdn DescribePurgeQuota with an unknown SecretId", wrong_id)

if failures:
    print(f"tencent SDK cross-check: {len(failures)} failed: {', '.join(failures)}")
    sys.exit(1)
print("tencent SDK cross-check: ok")
