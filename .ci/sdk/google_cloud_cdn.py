"""Cross-checks the google-cloud-cdn simulator with Google's own Python auth library.

google-auth (pinned in google_cloud_cdn.requirements.txt) does the credential work exactly as
it does against Google: a service-account JWT bearer grant to the key file's token_uri, an
identity_pool external_account (file and URL credential sources, text and JSON formats, with
and without service-account impersonation) through STS and IAM Credentials, the metadata
server; then its AuthorizedSession calls Compute: operations get and wait, and
urlMaps.invalidateCache with a requestId (replayed: the same operation). Refusals are checked
too: a key signed with the wrong key id, a token the simulator never issued.

The demo values (key file, OIDC token, workload identity provider, service account) are read
from the simulator's source, src/provider/google_cloud_cdn/sim/mod.rs, so they cannot drift.
Run by google_cloud_cdn.sh with GOOGLE_CLOUD_CDN_SIM_URL set to the simulator's base URL.
"""

import json
import os
import pathlib
import re
import sys
import tempfile
import time
import urllib.parse
import uuid

BASE = os.environ["GOOGLE_CLOUD_CDN_SIM_URL"].rstrip("/")
# The metadata server is the simulator too; google-auth reads these when imported.
os.environ["GCE_METADATA_HOST"] = urllib.parse.urlsplit(BASE).netloc
os.environ["GCE_METADATA_IP"] = urllib.parse.urlsplit(BASE).netloc

import google.auth.exceptions  # noqa: E402
import requests  # noqa: E402
import google.auth.transport.requests  # noqa: E402
from google.auth import compute_engine, identity_pool  # noqa: E402
from google.auth.compute_engine import _metadata  # noqa: E402
from google.oauth2 import credentials as oauth2_credentials  # noqa: E402
from google.oauth2 import service_account  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "src/provider/google_cloud_cdn/sim/mod.rs").read_text()
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"

failures = []


def const(name):
    """A `pub const NAME: &str = "…";` (or `r#"…"#`) of the simulator's source."""
    m = re.search(r"pub const %s: &str =\s*r#\"(.*?)\"#;" % name, SOURCE, re.S)
    if m:
        return m.group(1)
    m = re.search(r"pub const %s: &str =\s*\"((?:[^\"\\]|\\.)*)\";" % name, SOURCE, re.S)
    if not m:
        sys.exit(f"error: {name} not found in the simulator's source")
    return m.group(1).replace("\\n\\\n", "\n")


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + (f": {detail}" if detail and not ok else ""))
    if not ok:
        failures.append(what)


PROJECT = const("DEMO_PROJECT")
URL_MAP = const("DEMO_URL_MAP")
SERVICE_ACCOUNT = const("DEMO_SERVICE_ACCOUNT")
KEY = json.loads(const("DEMO_SERVICE_ACCOUNT_KEY_JSON"))
OIDC_TOKEN = const("DEMO_OIDC_TOKEN")
STS_AUDIENCE = const("DEMO_STS_AUDIENCE")
OIDC_AUDIENCE = const("DEMO_OIDC_AUDIENCE")
GITHUB_REQUEST_TOKEN = const("DEMO_GITHUB_REQUEST_TOKEN")
m = re.search(r'pub const DEMO_SUBJECT_HEADER: \(&str, &str\) = \("([^"]+)", "([^"]+)"\);', SOURCE)
SUBJECT_HEADER = (m.group(1), m.group(2))
SUBJECT_FIELD = const("SUBJECT_TOKEN_FIELD")

COMPUTE = f"{BASE}/compute/v1/projects/{PROJECT}/global"
request = google.auth.transport.requests.Request()


def service_account_credentials(**changes):
    info = dict(KEY, token_uri=f"{BASE}/token", **changes)
    return service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])


def external_account(source, impersonate, scopes=(CLOUD_PLATFORM,)):
    info = {
        "type": "external_account",
        "audience": STS_AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": f"{BASE}/v1/token",
        "credential_source": source,
    }
    if impersonate:
        info["service_account_impersonation_url"] = (
            f"{BASE}/v1/projects/-/serviceAccounts/{SERVICE_ACCOUNT}:generateAccessToken"
        )
    return identity_pool.Credentials.from_info(info, scopes=list(scopes))


def refreshes(what, creds):
    try:
        creds.refresh(request)
    except Exception as e:  # noqa: BLE001 - reported as a failure
        check(what, False, repr(e))
        return None
    check(what, bool(creds.token) and creds.expiry is not None, f"token {creds.token!r}")
    return creds


def compute_calls(what, creds):
    """get, wait and invalidateCache (twice with one requestId) with an AuthorizedSession."""
    session = google.auth.transport.requests.AuthorizedSession(creds)
    r = session.get(f"{COMPUTE}/operations/operation-sdk-check")
    check(f"{what}: operations.get", r.status_code == 200 and r.json().get("status") in ("PENDING", "RUNNING", "DONE"), r.text)
    request_id = str(uuid.uuid4())
    url = f"{COMPUTE}/urlMaps/{URL_MAP}/invalidateCache?requestId={request_id}"
    rule = {"path": "/sdk/*", "host": "www.example.com"}
    r = session.post(url, json=rule)
    created = r.json() if r.status_code == 200 else {}
    check(f"{what}: invalidateCache", r.status_code == 200 and created.get("operationType") == "invalidateCache"
          and created.get("clientOperationId") == request_id, r.text)
    name = created.get("name", "missing")
    r = session.post(url, json=rule)
    check(f"{what}: invalidateCache replayed with the same requestId is the same operation",
          r.status_code == 200 and r.json().get("name") == name, r.text)
    started = time.monotonic()
    status, rounds = None, 0
    while status != "DONE" and rounds < 10:
        r = session.post(f"{COMPUTE}/operations/{name}/wait")
        rounds += 1
        if r.status_code != 200:
            break
        status = r.json().get("status")
    check(f"{what}: operations.wait until DONE ({rounds} round(s), {time.monotonic() - started:.1f} s)",
          status == "DONE" and "error" not in r.json(), r.text)
    r = session.post(url.replace(request_id, str(uuid.uuid4())), json={"path": "img/*"})
    check(f"{what}: a bad path is refused 400 INVALID_ARGUMENT",
          r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT", r.text)


def main():
    print(f"google-auth {google.auth.__version__} against {BASE}")

    # 1. Service account key: the JWT bearer grant (signed by google-auth, verified by the simulator).
    creds = refreshes("service_account refresh (JWT bearer grant)", service_account_credentials())
    if creds:
        compute_calls("service_account", creds)
    try:
        service_account_credentials(private_key_id="ffffffffffffffffffffffffffffffffffffffff").refresh(request)
        check("a wrong key id is refused", False, "refresh succeeded")
    except google.auth.exceptions.RefreshError as e:
        check("a wrong key id is refused (invalid_grant, Invalid JWT Signature.)", "Invalid JWT Signature." in str(e), str(e))
    try:
        service_account_credentials(client_email="nobody@example-project.iam.gserviceaccount.com").refresh(request)
        check("an unknown account is refused", False, "refresh succeeded")
    except google.auth.exceptions.RefreshError as e:
        check("an unknown account is refused (account not found)", "account not found" in str(e), str(e))

    # 2. Workload identity federation: identity_pool credentials.
    with tempfile.TemporaryDirectory() as tmp:
        token_file = pathlib.Path(tmp, "oidc-token")
        token_file.write_text(OIDC_TOKEN)
        creds = refreshes("identity_pool, file source, impersonation",
                          external_account({"file": str(token_file)}, impersonate=True))
        if creds:
            compute_calls("identity_pool file + impersonation", creds)
        refreshes("identity_pool, file source, direct access",
                  external_account({"file": str(token_file)}, impersonate=False))
    url_text = {"url": f"{BASE}/subject-token", "headers": {SUBJECT_HEADER[0]: SUBJECT_HEADER[1]}}
    refreshes("identity_pool, URL source (text), impersonation", external_account(url_text, impersonate=True))
    url_json = dict(url_text, url=f"{BASE}/subject-token?format=json",
                    format={"type": "json", "subject_token_field_name": SUBJECT_FIELD})
    refreshes("identity_pool, URL source (json), direct access", external_account(url_json, impersonate=False))
    github = {
        "url": f"{BASE}/github-oidc-token?audience=" + urllib.parse.quote(OIDC_AUDIENCE, safe=""),
        "headers": {"Authorization": f"Bearer {GITHUB_REQUEST_TOKEN}"},
        "format": {"type": "json", "subject_token_field_name": "value"},
    }
    creds = refreshes("identity_pool, google-github-actions/auth's URL source, impersonation",
                      external_account(github, impersonate=True))
    if creds:
        compute_calls("identity_pool GitHub URL + impersonation", creds)
    try:
        other = dict(github, url=f"{BASE}/github-oidc-token?audience=sts.amazonaws.com")
        external_account(other, impersonate=True).refresh(request)
        check("a token for another audience is refused by STS", False, "refresh succeeded")
    except google.auth.exceptions.GoogleAuthError as e:  # sts.py raises OAuthError
        check("a token for another audience is refused by STS (invalid_grant)", "invalid_grant" in str(e), str(e))

    # 3. The metadata server (GCE_METADATA_HOST pointed at the simulator).
    check("metadata server: ping", _metadata.ping(request))
    check("metadata server: project id", _metadata.get_project_id(request) == PROJECT)
    creds = refreshes("compute_engine credentials refresh", compute_engine.Credentials())
    if creds:
        compute_calls("metadata server", creds)

    # 4. A token the simulator never issued: 401 with Google's envelope. (An AuthorizedSession
    # would try to refresh it, which static credentials cannot: RefreshError.)
    static = oauth2_credentials.Credentials(token="ya29.never-issued")
    headers = {}
    static.apply(headers)
    r = requests.get(f"{COMPUTE}/operations/operation-sdk-check", headers=headers, timeout=30)
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    check("an unknown token is refused 401 UNAUTHENTICATED",
          r.status_code == 401 and body.get("error", {}).get("status") == "UNAUTHENTICATED", r.text)

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("all google-auth checks passed")


if __name__ == "__main__":
    main()
