"""Cross-checks the Alibaba Cloud simulator with Alibaba Cloud's official Python SDK.

The V2 SDK packages (alibabacloud_dcdn20180115, alibabacloud_cdn20180510 on
alibabacloud_tea_openapi) build and sign every DCDN and CDN call with ACS3-HMAC-SHA256 (the
`x-acs-*` headers, parameters in the query); the simulator must accept each one, and refuse
what the service refuses: a wrong AccessKey secret (SignatureDoesNotMatch), an unknown
AccessKey id (InvalidAccessKeyId.NotFound), an ObjectPath that is not a URL
(InvalidObjectPath.Malformed), a TaskId that is not digits (InvalidTaskId.Malformed); a
throttled call must reach the SDK as its ThrottlingException with the wait it reads from
x-acs-retry-after (milliseconds); an x-acs-date more than 15 minutes old
(InvalidTimeStamp.Expired) and a nonce sent again (SignatureNonceUsed) are refused.
STS AssumeRoleWithOIDC goes through alibabacloud_sts20150401 (anonymous, the RPC style with
the parameters in the query), with the token from the simulator's GitHub token service, and
its temporary credentials (x-acs-security-token) are then used on both APIs; so is the
credentials package's own oidc_role_arn provider (what the default credential chain uses
with ALIBABA_CLOUD_OIDC_*: a GET with the parameters in the query).

The SDK is pointed at the simulator with Config(endpoint="127.0.0.1:PORT", protocol="http"):
it sends `POST http://127.0.0.1:PORT/?...` with `host: 127.0.0.1:PORT`, the host it signs.
ALIBABA_DCDN_SIM_URL and ALIBABA_CDN_SIM_URL give the simulators (`--provider alibaba-dcdn`
and `alibaba-cdn`; either serves both APIs). Keys and ids default to the simulator's demo
ones (src/provider/alibaba/sim.rs, DEMO_*); ALIBABA_SIM_ACCESS_KEY_ID,
ALIBABA_SIM_ACCESS_KEY_SECRET, ALIBABA_SIM_ROLE_ARN, ALIBABA_SIM_OIDC_PROVIDER_ARN and
ALIBABA_SIM_GITHUB_REQUEST_TOKEN override them. Exit 0 when every check passed, 1 otherwise.
"""

import contextlib
import datetime
import json
import os
import sys
import tempfile
import time
import urllib.request
import uuid
from urllib.parse import urlparse

# Nothing from the machine's own Alibaba Cloud setup (the credentials chain reads these).
for name in list(os.environ):
    if name.startswith("ALIBABA_CLOUD_") or name.startswith("ALICLOUD_"):
        del os.environ[name]

from alibabacloud_cdn20180510 import models as cdn_models  # noqa: E402
from alibabacloud_credentials import models as credential_models  # noqa: E402
from alibabacloud_credentials.client import Client as CredentialClient  # noqa: E402
from alibabacloud_credentials.provider import oidc as oidc_provider  # noqa: E402
from alibabacloud_cdn20180510.client import Client as CdnClient  # noqa: E402
from alibabacloud_dcdn20180115 import models as dcdn_models  # noqa: E402
from alibabacloud_dcdn20180115.client import Client as DcdnClient  # noqa: E402
from alibabacloud_sts20150401 import models as sts_models  # noqa: E402
from alibabacloud_sts20150401.client import Client as StsClient  # noqa: E402
from alibabacloud_tea_openapi import models as open_api_models  # noqa: E402
from alibabacloud_tea_openapi.exceptions import ServerException, ThrottlingException  # noqa: E402
from alibabacloud_tea_openapi.utils import Utils as OpenApiUtils  # noqa: E402
from alibabacloud_tea_util import models as util_models  # noqa: E402
from Tea.core import TeaCore  # noqa: E402

DCDN_BASE = os.environ["ALIBABA_DCDN_SIM_URL"].rstrip("/")
CDN_BASE = os.environ.get("ALIBABA_CDN_SIM_URL", DCDN_BASE).rstrip("/")

ACCESS_KEY_ID = os.environ.get("ALIBABA_SIM_ACCESS_KEY_ID", "LTAI5tDemoAccessKeyIdNotReal")
ACCESS_KEY_SECRET = os.environ.get("ALIBABA_SIM_ACCESS_KEY_SECRET", "DemoAccessKeySecretNotReal0123")
ROLE_ARN = os.environ.get("ALIBABA_SIM_ROLE_ARN", "acs:ram::1234567890123456:role/purge-wait-demo")
PROVIDER_ARN = os.environ.get(
    "ALIBABA_SIM_OIDC_PROVIDER_ARN", "acs:ram::1234567890123456:oidc-provider/github-actions"
)
GITHUB_REQUEST_TOKEN = os.environ.get(
    "ALIBABA_SIM_GITHUB_REQUEST_TOKEN", "demo-actions-id-token-request-token"
)
# How long to poll a task (the simulator's refresh tasks take 3 s).
POLL_SECONDS = float(os.environ.get("ALIBABA_SIM_POLL_SECONDS", "60"))

# One read per call, no retries: a refusal must show as the first answer's code.
RUNTIME = util_models.RuntimeOptions(autoretry=False, read_timeout=10000, connect_timeout=5000)

failures = []


def check(name, fn):
    try:
        detail = fn()
        print(f"ok   {name}: {detail}")
    except Exception as e:  # noqa: BLE001 - report every failure, then go on
        failures.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {e}")


def config(base, key_id=ACCESS_KEY_ID, secret=ACCESS_KEY_SECRET, token=None):
    url = urlparse(base)
    return open_api_models.Config(
        access_key_id=key_id,
        access_key_secret=secret,
        security_token=token,
        endpoint=url.netloc,
        protocol=url.scheme,
        region_id="cn-hangzhou",
    )


def dcdn(**kw):
    return DcdnClient(config(DCDN_BASE, **kw))


def cdn(**kw):
    return CdnClient(config(CDN_BASE, **kw))


def code_of(call):
    """The error code `call` fails with (it must fail), and its RequestId."""
    try:
        call()
    except Exception as e:  # noqa: BLE001 - the SDK's ClientException / ServerException
        code = getattr(e, "code", None)
        if not code:
            raise
        return code, getattr(e, "request_id", None) or (getattr(e, "data", None) or {}).get("RequestId")
    raise AssertionError("accepted")


def poll(describe):
    """Calls describe() until every task of the answer is Complete; refuses any other word."""
    deadline = time.monotonic() + POLL_SECONDS
    seen = []
    while True:
        body = describe().body
        words = [t.status for t in body.tasks or []]
        assert words, "no tasks"
        assert body.total_count == len(words), (body.total_count, len(words))
        seen.append(",".join(dict.fromkeys(words)))
        unknown = [w for w in words if w not in ("Pending", "Refreshing", "Complete")]
        assert not unknown, f"unexpected status {unknown}"
        if all(w == "Complete" for w in words):
            assert all(t.process == "100%" for t in body.tasks), [t.process for t in body.tasks]
            return body, " -> ".join(dict.fromkeys(seen))
        assert time.monotonic() < deadline, f"still {words} after {POLL_SECONDS} s"
        time.sleep(0.5)


DCDN_URLS = [
    "https://www.example.com/index.html",
    "https://www.example.com/a%20b.png?v=1&w=2",
    "https://static.example.org/%E6%9C%AA%E5%91%BD%E5%90%8D.css",
]


def dcdn_refresh(client=None):
    client = client or dcdn()
    req = dcdn_models.RefreshDcdnObjectCachesRequest(object_path="\n".join(DCDN_URLS), object_type="File")
    resp = client.refresh_dcdn_object_caches_with_options(req, RUNTIME)
    ids = resp.body.refresh_task_id.split(",")
    assert len(ids) == 2 and all(i.isdigit() for i in ids), ids  # one task per domain
    assert resp.body.request_id, "no RequestId"
    describe = dcdn_models.DescribeDcdnRefreshTaskByIdRequest(task_id=",".join(ids))
    body, states = poll(lambda: client.describe_dcdn_refresh_task_by_id_with_options(describe, RUNTIME))
    paths = sorted(t.object_path for t in body.tasks)
    assert paths == sorted(DCDN_URLS), paths
    return f"RefreshTaskId {','.join(ids)}; DescribeDcdnRefreshTaskById {states}"


def dcdn_directory():
    req = dcdn_models.RefreshDcdnObjectCachesRequest(
        object_path="https://www.example.com/img/", object_type="Directory", force=True
    )
    task = dcdn().refresh_dcdn_object_caches_with_options(req, RUNTIME).body.refresh_task_id
    body = dcdn().describe_dcdn_refresh_task_by_id_with_options(
        dcdn_models.DescribeDcdnRefreshTaskByIdRequest(task_id=task), RUNTIME
    ).body
    t = body.tasks[0]
    assert (t.object_path, t.object_type) == ("https://www.example.com/img/", "directory"), (t.object_path, t.object_type)
    return f"RefreshTaskId {task}; {t.object_type} {t.status} {t.process}"


def cdn_refresh(client=None):
    client = client or cdn()
    req = cdn_models.RefreshObjectCachesRequest(object_path="https://cdn.example.com/app.js\nhttps://cdn.example.com/app.css")
    ids = client.refresh_object_caches_with_options(req, RUNTIME).body.refresh_task_id
    assert ids.isdigit(), ids
    describe = cdn_models.DescribeRefreshTaskByIdRequest(task_id=ids)
    _, states = poll(lambda: client.describe_refresh_task_by_id_with_options(describe, RUNTIME))
    return f"RefreshTaskId {ids}; DescribeRefreshTaskById {states}"


def refused_path():
    req = dcdn_models.RefreshDcdnObjectCachesRequest(object_path="www.example.com/no-scheme.html")
    code, rid = code_of(lambda: dcdn().refresh_dcdn_object_caches_with_options(req, RUNTIME))
    assert code == "InvalidObjectPath.Malformed", code
    return f"{code} (RequestId {rid})"


def refused_task_id():
    req = cdn_models.DescribeRefreshTaskByIdRequest(task_id="12a")
    code, _ = code_of(lambda: cdn().describe_refresh_task_by_id_with_options(req, RUNTIME))
    assert code == "InvalidTaskId.Malformed", code
    return code


def wrong_secret():
    req = dcdn_models.DescribeDcdnRefreshTaskByIdRequest(task_id="123")
    code, rid = code_of(lambda: dcdn(secret=ACCESS_KEY_SECRET + "x").describe_dcdn_refresh_task_by_id_with_options(req, RUNTIME))
    assert code == "SignatureDoesNotMatch", code
    assert rid, "no RequestId"
    code2, _ = code_of(
        lambda: cdn(secret=ACCESS_KEY_SECRET + "x").refresh_object_caches_with_options(
            cdn_models.RefreshObjectCachesRequest(object_path="https://cdn.example.com/x.js"), RUNTIME
        )
    )
    assert code2 == "SignatureDoesNotMatch", code2
    return f"{code} (RequestId {rid}); cdn RefreshObjectCaches {code2}"


def unknown_key():
    req = dcdn_models.DescribeDcdnRefreshTaskByIdRequest(task_id="123")
    code, _ = code_of(lambda: dcdn(key_id="LTAI5tNotKnown").describe_dcdn_refresh_task_by_id_with_options(req, RUNTIME))
    assert code == "InvalidAccessKeyId.NotFound", code
    return code


@contextlib.contextmanager
def patched(name, value):
    """The SDK's own request, with one of its helpers (timestamp, nonce) replaced."""
    old = getattr(OpenApiUtils, name)
    setattr(OpenApiUtils, name, staticmethod(value))
    try:
        yield
    finally:
        setattr(OpenApiUtils, name, old)


def skew_and_replay():
    req = dcdn_models.DescribeDcdnRefreshTaskByIdRequest(task_id="11")

    def stamp(minutes):
        t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes)
        return lambda: t.strftime("%Y-%m-%dT%H:%M:%SZ")

    with patched("get_timestamp", stamp(14)):
        dcdn().describe_dcdn_refresh_task_by_id_with_options(req, RUNTIME)
    with patched("get_timestamp", stamp(16)):
        skewed, _ = code_of(lambda: dcdn().describe_dcdn_refresh_task_by_id_with_options(req, RUNTIME))
    assert skewed == "InvalidTimeStamp.Expired", skewed
    nonce = uuid.uuid4().hex
    with patched("get_nonce", lambda: nonce):
        dcdn().describe_dcdn_refresh_task_by_id_with_options(req, RUNTIME)
        replayed, _ = code_of(lambda: dcdn().describe_dcdn_refresh_task_by_id_with_options(req, RUNTIME))
    assert replayed == "SignatureNonceUsed", replayed
    return f"x-acs-date 14 min old accepted, 16 min {skewed}; x-acs-signature-nonce again {replayed}"


# Scripted in alibaba.sh: answered Throttling.User (x-acs-retry-after: 2000) once, then 503
# ServiceUnavailable once, then as any task.
# An empty ALIBABA_SIM_FAULTY_TASK skips the check (a simulator started without it).
FAULTY_TASK = os.environ.get("ALIBABA_SIM_FAULTY_TASK", "7042229000")


def faults():
    if not FAULTY_TASK:
        return "skipped (ALIBABA_SIM_FAULTY_TASK is empty)"
    req = dcdn_models.DescribeDcdnRefreshTaskByIdRequest(task_id=FAULTY_TASK)
    try:
        dcdn().describe_dcdn_refresh_task_by_id_with_options(req, RUNTIME)
        raise AssertionError("not throttled")
    except ThrottlingException as e:
        assert e.code == "Throttling.User" and e.retry_after == 2000, (e.code, e.retry_after)
        throttled = f"ThrottlingException {e.code} retry_after {e.retry_after} ms"
    try:
        dcdn().describe_dcdn_refresh_task_by_id_with_options(req, RUNTIME)
        raise AssertionError("no 503")
    except ServerException as e:
        assert (e.status_code, e.code) == (503, "ServiceUnavailable"), (e.status_code, e.code)
        server = f"ServerException {e.status_code} {e.code}"
    body = dcdn().describe_dcdn_refresh_task_by_id_with_options(req, RUNTIME).body
    assert [t.task_id for t in body.tasks] == [FAULTY_TASK], body.tasks
    return f"{throttled}; {server}; then {body.tasks[0].status}"


def oidc():
    token_req = urllib.request.Request(
        f"{DCDN_BASE}/github-oidc-token?audience=sts.aliyuncs.com",
        headers={"Authorization": f"bearer {GITHUB_REQUEST_TOKEN}"},
    )
    with urllib.request.urlopen(token_req, timeout=10) as r:
        token = json.load(r)["value"]
    url = urlparse(DCDN_BASE)
    sts = StsClient(open_api_models.Config(endpoint=url.netloc, protocol=url.scheme, region_id="cn-hangzhou"))
    req = sts_models.AssumeRoleWithOIDCRequest(
        oidcprovider_arn=PROVIDER_ARN,
        role_arn=ROLE_ARN,
        oidctoken=token,
        role_session_name="purge-wait-sdk-check",
        duration_seconds=900,
    )
    creds = sts.assume_role_with_oidcwith_options(req, RUNTIME).body.credentials
    assert creds.access_key_id.startswith("STS.") and creds.security_token, creds
    tmp = {"key_id": creds.access_key_id, "secret": creds.access_key_secret, "token": creds.security_token}
    dcdn_detail = dcdn_refresh(dcdn(**tmp))
    # The credentials are the DCDN simulator's; the CDN API of the same simulator.
    CdnClient(config(DCDN_BASE, **tmp)).describe_refresh_task_by_id_with_options(
        cdn_models.DescribeRefreshTaskByIdRequest(task_id="42"), RUNTIME
    )
    # The temporary key without its SecurityToken is refused.
    code, _ = code_of(
        lambda: dcdn(key_id=creds.access_key_id, secret=creds.access_key_secret).describe_dcdn_refresh_task_by_id_with_options(
            dcdn_models.DescribeDcdnRefreshTaskByIdRequest(task_id="42"), RUNTIME
        )
    )
    assert code == "MissingSecurityToken", code
    bad = sts_models.AssumeRoleWithOIDCRequest(
        oidcprovider_arn=PROVIDER_ARN, role_arn=ROLE_ARN, oidctoken=token + "x", role_session_name="purge-wait-sdk-check"
    )
    bad_code, _ = code_of(lambda: sts.assume_role_with_oidcwith_options(bad, RUNTIME))
    assert bad_code == "AuthenticationFail.OIDCToken.Invalid", bad_code
    return (
        f"{creds.access_key_id[:8]}… until {creds.expiration}; dcdn {dcdn_detail}; cdn describe ok; "
        f"without the token {code}; a wrong token {bad_code}"
    )


class _TeaCoreOverHttp:
    """The credentials package's OIDC provider always asks STS over https; the same request
    with the simulator's scheme."""

    @staticmethod
    def do_action(request, runtime=None):
        request.protocol = urlparse(DCDN_BASE).scheme
        return TeaCore.do_action(request, runtime)


def credentials_oidc():
    with urllib.request.urlopen(
        urllib.request.Request(
            f"{DCDN_BASE}/github-oidc-token?audience=sts.aliyuncs.com",
            headers={"Authorization": f"bearer {GITHUB_REQUEST_TOKEN}"},
        ),
        timeout=10,
    ) as r:
        token = json.load(r)["value"]
    with tempfile.NamedTemporaryFile("w", suffix=".jwt") as f:
        f.write(token)
        f.flush()
        oidc_provider.TeaCore = _TeaCoreOverHttp
        credential = CredentialClient(
            credential_models.Config(
                type="oidc_role_arn",
                role_arn=ROLE_ARN,
                oidc_provider_arn=PROVIDER_ARN,
                oidc_token_file_path=f.name,
                role_session_name="purge-wait-sdk-check",
                sts_endpoint=urlparse(DCDN_BASE).netloc,
            )
        )
        url = urlparse(DCDN_BASE)
        client = DcdnClient(
            open_api_models.Config(credential=credential, endpoint=url.netloc, protocol=url.scheme)
        )
        body = client.describe_dcdn_refresh_task_by_id_with_options(
            dcdn_models.DescribeDcdnRefreshTaskByIdRequest(task_id="7"), RUNTIME
        ).body
    key = credential.get_credential().access_key_id
    assert key.startswith("STS."), key
    return f"{key[:8]}… (GET /?Action=AssumeRoleWithOIDC&Format=JSON); DescribeDcdnRefreshTaskById {len(body.tasks)} task(s)"


check("dcdn RefreshDcdnObjectCaches (File, 2 domains) + DescribeDcdnRefreshTaskById", dcdn_refresh)
check("dcdn RefreshDcdnObjectCaches (Directory, Force)", dcdn_directory)
check("cdn RefreshObjectCaches + DescribeRefreshTaskById", cdn_refresh)
check("dcdn RefreshDcdnObjectCaches, an ObjectPath without a scheme", refused_path)
check("cdn DescribeRefreshTaskById, a TaskId that is not digits", refused_task_id)
check("dcdn and cdn with a wrong AccessKey secret", wrong_secret)
check("dcdn with an unknown AccessKey id", unknown_key)
check("dcdn with an old x-acs-date, and a nonce again", skew_and_replay)
check("dcdn throttled (x-acs-retry-after), then 503, then answered", faults)
check("sts AssumeRoleWithOIDC + temporary credentials", oidc)
check("credentials oidc_role_arn provider + dcdn", credentials_oidc)

if failures:
    print(f"alibaba SDK cross-check: {len(failures)} failed: {', '.join(failures)}")
    sys.exit(1)
print("alibaba SDK cross-check: ok")
