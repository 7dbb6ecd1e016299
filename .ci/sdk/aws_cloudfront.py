"""Cross-checks the CloudFront simulator with AWS's official Python SDK (boto3/botocore).

Every call below is built and SigV4-signed by botocore itself; the simulator must accept
each one as CloudFront does, and refuse what CloudFront refuses: a wrong secret key
(SignatureDoesNotMatch), an unknown key id (InvalidClientTokenId), a path without its
leading slash (InvalidArgument), a CallerReference used again with other paths
(InvalidationBatchAlreadyExists); Throttling and 503 must be what botocore's standard retries
take as transient; an x-amz-date more than 15 minutes off is RequestTimeTooSkewed. STS AssumeRoleWithWebIdentity goes through boto3's sts
client (botocore sends it unsigned), and its temporary credentials (x-amz-security-token)
are then used against CloudFront.

The simulator's base URL comes from AWS_CLOUDFRONT_SIM_URL (http://127.0.0.1:PORT), given to
both clients as endpoint_url; CloudFront signs for us-east-1. Keys and ids default to the
simulator's demo ones (src/provider/aws_cloudfront/sim.rs, DEMO_*); AWS_SIM_ACCESS_KEY_ID,
AWS_SIM_SECRET_ACCESS_KEY, AWS_SIM_DISTRIBUTION_ID, AWS_SIM_TENANT_ID, AWS_SIM_ROLE_ARN and
AWS_SIM_WEB_IDENTITY_TOKEN override them. Exit 0 when every check passed, 1 otherwise.
"""

import datetime
import os
import sys
import time
import uuid

# Nothing from the machine's own AWS setup: no shared files, no instance metadata.
for name in list(os.environ):
    if name.startswith("AWS_") and not name.startswith("AWS_SIM_") and name != "AWS_CLOUDFRONT_SIM_URL":
        del os.environ[name]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

import boto3  # noqa: E402
import botocore  # noqa: E402
from botocore import UNSIGNED  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

BASE = os.environ["AWS_CLOUDFRONT_SIM_URL"].rstrip("/")
ACCESS_KEY_ID = os.environ.get("AWS_SIM_ACCESS_KEY_ID", "AKIAPURGEWAITDEMO0001")
SECRET_ACCESS_KEY = os.environ.get(
    "AWS_SIM_SECRET_ACCESS_KEY", "pUrGeWaIt/DemoSecretAccessKey+NotReal0001"
)
DISTRIBUTION = os.environ.get("AWS_SIM_DISTRIBUTION_ID", "EDFDVBD6EXAMPLE")
TENANT = os.environ.get("AWS_SIM_TENANT_ID", "dt_2wjDZi3hD1ivOXf6rpZJOSNE1AB")
ROLE_ARN = os.environ.get("AWS_SIM_ROLE_ARN", "arn:aws:iam::123456789012:role/purge-wait-demo")
WEB_IDENTITY_TOKEN = os.environ.get(
    "AWS_SIM_WEB_IDENTITY_TOKEN",
    "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSJ9.cHVyZ2Utd2FpdC1kZW1v",
)
# How long to poll an invalidation (the simulator's --default-duration decides).
POLL_SECONDS = float(os.environ.get("AWS_SIM_POLL_SECONDS", "60"))

# Paths as CloudFront wants them: a leading slash, characters outside RFC 1738 already
# percent-encoded, a `*` only at the end; `&` and `?` kept (botocore escapes them in the XML).
PATHS = [
    "/index.html",
    "/img/*",
    "/a%20b.png",
    "/%E6%9C%AA%E5%91%BD%E5%90%8D.css",
    "/search?q=1&lang=en",
]

failures = []


def check(name, fn):
    try:
        detail = fn()
        print(f"ok   {name}: {detail}")
    except Exception as e:  # noqa: BLE001 - report every failure, then go on
        failures.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {e}")


def cloudfront(key_id=ACCESS_KEY_ID, secret=SECRET_ACCESS_KEY, token=None, retries=3):
    return boto3.client(
        "cloudfront",
        endpoint_url=BASE,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(
            retries={"mode": "standard", "total_max_attempts": retries},
            connect_timeout=5,
            read_timeout=10,
        ),
    )


CF = cloudfront()


def batch(paths, reference):
    return {"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": reference}


def code_of(call):
    """The error code `call` fails with (it must fail)."""
    try:
        call()
    except ClientError as e:
        err = e.response["Error"]
        rid = e.response["ResponseMetadata"].get("RequestId")
        assert rid, "no request id"
        return err["Code"], rid
    raise AssertionError("accepted")


def poll(get):
    deadline = time.monotonic() + POLL_SECONDS
    seen = []
    while True:
        status = get()["Invalidation"]["Status"]
        seen.append(status)
        assert status in ("InProgress", "Completed"), f"unexpected status {status!r}"
        if status == "Completed":
            return " -> ".join(dict.fromkeys(seen))
        assert time.monotonic() < deadline, f"still {status} after {POLL_SECONDS} s"
        time.sleep(0.5)


# Scripted in aws_cloudfront.sh: each answered Throttling once, then 503 ServiceUnavailable
# once, then as any invalidation (before anything lists them, which counts as an answer).
# An empty AWS_SIM_FAULTY_IDS skips the check (a simulator started without them).
FAULTY = [i for i in os.environ.get("AWS_SIM_FAULTY_IDS", "ISDKFAULTY0001,ISDKFAULTY0002").split(",") if i]


def faults():
    if len(FAULTY) < 2:
        return "skipped (AWS_SIM_FAULTY_IDS names no two scripted invalidations)"
    once = cloudfront(retries=1)
    codes = [code_of(lambda: once.get_invalidation(DistributionId=DISTRIBUTION, Id=FAULTY[0]))[0] for _ in range(2)]
    assert codes == ["Throttling", "ServiceUnavailable"], codes
    once.get_invalidation(DistributionId=DISTRIBUTION, Id=FAULTY[0])
    # botocore's standard retries take both as transient.
    got = cloudfront(retries=3).get_invalidation(DistributionId=DISTRIBUTION, Id=FAULTY[1])
    attempts = got["ResponseMetadata"]["RetryAttempts"]
    assert attempts == 2, attempts
    # The scripted ones are the tenant's too, each with its own faults.
    for inv_id in FAULTY:
        tenant_got = CF.get_invalidation_for_distribution_tenant(DistributionTenantId=TENANT, Id=inv_id)
        assert tenant_got["ResponseMetadata"]["RetryAttempts"] == 2, tenant_got["ResponseMetadata"]
    return (
        f"{' then '.join(codes)} without retries; with standard retries {got['Invalidation']['Status']} "
        f"after {attempts} retries (tenant form too)"
    )


def create_and_get():
    ref = f"sdk-check-{uuid.uuid4()}"
    created = CF.create_invalidation(DistributionId=DISTRIBUTION, InvalidationBatch=batch(PATHS, ref))
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201, created["ResponseMetadata"]
    inv = created["Invalidation"]
    assert inv["Status"] == "InProgress", inv["Status"]
    assert inv["InvalidationBatch"]["Paths"]["Items"] == PATHS, inv["InvalidationBatch"]
    assert inv["InvalidationBatch"]["CallerReference"] == ref
    assert created["Location"].endswith(f"/distribution/{DISTRIBUTION}/invalidation/{inv['Id']}"), created["Location"]
    # The same CallerReference and paths: the same invalidation, nothing new.
    again = CF.create_invalidation(DistributionId=DISTRIBUTION, InvalidationBatch=batch(PATHS, ref))
    assert again["Invalidation"]["Id"] == inv["Id"], (again["Invalidation"]["Id"], inv["Id"])
    states = poll(lambda: CF.get_invalidation(DistributionId=DISTRIBUTION, Id=inv["Id"]))
    got = CF.get_invalidation(DistributionId=DISTRIBUTION, Id=inv["Id"])["Invalidation"]
    assert got["InvalidationBatch"]["Paths"]["Items"] == PATHS, got["InvalidationBatch"]
    return f"{inv['Id']} ({len(PATHS)} paths); same CallerReference -> same Id; GetInvalidation {states}"


def reference_reused():
    ref = f"sdk-check-{uuid.uuid4()}"
    CF.create_invalidation(DistributionId=DISTRIBUTION, InvalidationBatch=batch(["/one.html"], ref))
    code, rid = code_of(
        lambda: CF.create_invalidation(DistributionId=DISTRIBUTION, InvalidationBatch=batch(["/two.html"], ref))
    )
    assert code == "InvalidationBatchAlreadyExists", code
    return f"{code} (RequestId {rid})"


def path_without_slash():
    code, rid = code_of(
        lambda: cloudfront(retries=1).create_invalidation(
            DistributionId=DISTRIBUTION, InvalidationBatch=batch(["index.html"], str(uuid.uuid4()))
        )
    )
    assert code == "InvalidArgument", code
    return f"{code} (RequestId {rid})"


def listing():
    ids = [
        CF.create_invalidation(
            DistributionId=DISTRIBUTION, InvalidationBatch=batch([f"/list-{n}.html"], str(uuid.uuid4()))
        )["Invalidation"]["Id"]
        for n in range(3)
    ]
    first = CF.list_invalidations(DistributionId=DISTRIBUTION, MaxItems="1")["InvalidationList"]
    assert first["IsTruncated"] is True and first["Quantity"] == 1, first
    assert first["Items"][0]["Id"] == ids[-1], (first["Items"], ids)  # newest first
    pages = CF.get_paginator("list_invalidations").paginate(
        DistributionId=DISTRIBUTION, PaginationConfig={"PageSize": 2}
    )
    listed, count = [], 0
    for page in pages:
        count += 1
        items = page["InvalidationList"].get("Items", [])
        assert len(items) <= 2, items
        listed += [i["Id"] for i in items]
    assert len(listed) == len(set(listed)), f"listed twice: {listed}"
    assert listed[:3] == ids[::-1], (listed, ids)
    return f"{len(listed)} invalidations in {count} pages of 2 (paginator), newest first"


def tenant():
    ref = f"sdk-check-{uuid.uuid4()}"
    created = CF.create_invalidation_for_distribution_tenant(Id=TENANT, InvalidationBatch=batch(["/tenant/*"], ref))
    inv_id = created["Invalidation"]["Id"]
    again = CF.create_invalidation_for_distribution_tenant(Id=TENANT, InvalidationBatch=batch(["/tenant/*"], ref))
    assert again["Invalidation"]["Id"] == inv_id
    CF.get_waiter("invalidation_for_distribution_tenant_completed").wait(
        DistributionTenantId=TENANT, Id=inv_id, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    listed = CF.list_invalidations_for_distribution_tenant(Id=TENANT, MaxItems=10)["InvalidationList"]
    assert inv_id in [i["Id"] for i in listed.get("Items", [])], listed
    code, _ = code_of(
        lambda: cloudfront(retries=1).get_invalidation_for_distribution_tenant(DistributionTenantId="dt_unknown", Id=inv_id)
    )
    assert code == "EntityNotFound", code
    return f"{inv_id}; waiter invalidation_for_distribution_tenant_completed; listed; unknown tenant {code}"


def waiter():
    created = CF.create_invalidation(DistributionId=DISTRIBUTION, InvalidationBatch=batch(["/waiter.html"], str(uuid.uuid4())))
    inv_id = created["Invalidation"]["Id"]
    start = time.monotonic()
    CF.get_waiter("invalidation_completed").wait(
        DistributionId=DISTRIBUTION, Id=inv_id, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    return f"{inv_id} Completed after {time.monotonic() - start:.1f} s"


def skew():
    import botocore.auth

    real = botocore.auth.get_current_datetime

    def at(minutes):
        return lambda *a, **k: real(*a, **k) - datetime.timedelta(minutes=minutes)

    try:
        botocore.auth.get_current_datetime = at(14)
        cloudfront(retries=1).get_invalidation(DistributionId=DISTRIBUTION, Id="ISKEW14")
        botocore.auth.get_current_datetime = at(16)
        code, _ = code_of(lambda: cloudfront(retries=1).get_invalidation(DistributionId=DISTRIBUTION, Id="ISKEW16"))
    finally:
        botocore.auth.get_current_datetime = real
    assert code == "RequestTimeTooSkewed", code
    return f"x-amz-date 14 min old accepted, 16 min {code}"


def wrong_secret():
    code, rid = code_of(
        lambda: cloudfront(secret=SECRET_ACCESS_KEY + "x", retries=1).get_invalidation(
            DistributionId=DISTRIBUTION, Id="IWRONGSECRET"
        )
    )
    assert code == "SignatureDoesNotMatch", code
    return f"{code} (RequestId {rid})"


def unknown_key():
    code, _ = code_of(
        lambda: cloudfront(key_id="AKIANOTKNOWN00000000", retries=1).list_invalidations(DistributionId=DISTRIBUTION)
    )
    assert code == "InvalidClientTokenId", code
    return code


def unknown_distribution():
    code, _ = code_of(lambda: cloudfront(retries=1).get_invalidation(DistributionId="ENOTMINE", Id="I1"))
    assert code == "NoSuchDistribution", code
    return code


def not_an_id():
    # botocore encodes the Id into the path (I%2FA); CloudFront decodes it and knows no such
    # invalidation (the simulator used to answer one named "I%2FA").
    codes = {
        i: code_of(lambda i=i: cloudfront(retries=1).get_invalidation(DistributionId=DISTRIBUTION, Id=i))[0]
        for i in ["I/A", "I A", "in-progress"]
    }
    assert set(codes.values()) == {"NoSuchInvalidation"}, codes
    return ", ".join(f"{i!r} {c}" for i, c in codes.items())


def web_identity():
    sts = boto3.client(
        "sts", endpoint_url=BASE, region_name="us-east-1", config=Config(signature_version=UNSIGNED)
    )
    out = sts.assume_role_with_web_identity(
        RoleArn=ROLE_ARN,
        RoleSessionName="purge-wait-sdk-check",
        WebIdentityToken=WEB_IDENTITY_TOKEN,
        DurationSeconds=900,
    )
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA"), creds["AccessKeyId"]
    assert out["AssumedRoleUser"]["Arn"].endswith("/purge-wait-sdk-check"), out["AssumedRoleUser"]
    temp = cloudfront(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    created = temp.create_invalidation(
        DistributionId=DISTRIBUTION, InvalidationBatch=batch(["/sts.html"], str(uuid.uuid4()))
    )
    temp.get_invalidation(DistributionId=DISTRIBUTION, Id=created["Invalidation"]["Id"])
    # The temporary key without its session token is refused.
    code, _ = code_of(
        lambda: cloudfront(creds["AccessKeyId"], creds["SecretAccessKey"], retries=1).list_invalidations(
            DistributionId=DISTRIBUTION
        )
    )
    assert code == "InvalidClientTokenId", code
    # A token STS does not accept.
    try:
        sts.assume_role_with_web_identity(
            RoleArn=ROLE_ARN, RoleSessionName="purge-wait-sdk-check", WebIdentityToken="not-a-jwt"
        )
        raise AssertionError("a wrong token accepted")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "InvalidIdentityToken", e.response["Error"]
    return (
        f"{creds['AccessKeyId'][:8]}… until {creds['Expiration']:%H:%M:%S}; CreateInvalidation + GetInvalidation "
        f"with the session token; without it {code}; a wrong token InvalidIdentityToken"
    )


print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}")
check("GetInvalidation throttled, then 503", faults)
check("CreateInvalidation + CallerReference idempotency + GetInvalidation", create_and_get)
check("CreateInvalidation, a CallerReference again with other paths", reference_reused)
check("CreateInvalidation, a path without its leading slash", path_without_slash)
check("ListInvalidations, MaxItems and the paginator", listing)
check("distribution tenant: create, waiter, list", tenant)
check("waiter invalidation_completed", waiter)
check("GetInvalidation with an old x-amz-date", skew)
check("GetInvalidation with a wrong secret key", wrong_secret)
check("ListInvalidations with an unknown access key", unknown_key)
check("GetInvalidation on another distribution", unknown_distribution)
check("GetInvalidation of ids that are not letters and digits", not_an_id)
check("STS AssumeRoleWithWebIdentity + temporary credentials", web_identity)

if failures:
    print(f"aws-cloudfront SDK cross-check: {len(failures)} failed: {', '.join(failures)}")
    sys.exit(1)
print("aws-cloudfront SDK cross-check: ok")
